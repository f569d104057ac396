// Checking a card code in the browser, with no server: the same steps as tirek-verify
// (tirek/cards/verify/core.py), described in docs/cards.md. Base32 from the QR's URL, COSE_Sign1
// (RFC 9052) with ES256 over ["Signature1", protected, h'', payload], a CWT claims map, the key
// from the JWK trust list, then the 2-bit entry in the signed status list (Token Status List
// draft, zlib-compressed). CBOR comes from cborg (npm), ECDSA from WebCrypto: COSE's raw r||s
// signature is exactly what crypto.subtle expects for ECDSA, so no DER conversion is needed.

import { decode } from '../vendor/cborg/decode.js'
import { encode } from '../vendor/cborg/encode.js'

const HDR_ALG = 1
const HDR_KID = 4
const ALG_ES256 = -7
const COSE_SIGN1_TAG = 18
const CWT_TAG = 61
// Registered CWT claims are integers; Tirek's private ones are one-letter strings.
export const CLAIMS = {
  iss: 1, sub: 2, exp: 4, nbf: 5, iat: 6, cti: 7, ttl: 65534, statusList: 65533,
  kind: 'k', number: 'n', esi: 'e', unit: 'u', idx: 'i', sl: 's', photo: 'p', live: 'l'
}
export const STATUS_VALID = 0
export const STATUS_INVALID = 1
export const STATUS_SUSPENDED = 2
// Clock difference between the issuer and this phone that is tolerated, in seconds.
export const LEEWAY = 5

export class VerifyError extends Error {
  constructor (reason, detail = '') {
    super(detail ? `${reason}: ${detail}` : reason)
    this.reason = reason
    this.detail = detail
  }
}

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

// The COSE bytes from what was scanned or pasted: the verify URL, or the bare base32.
export function codeBytes (code) {
  let text = String(code).replace(/\s+/g, '').toUpperCase()
  if (text.includes('/')) text = text.replace(/\/+$/, '').split('/').pop()
  text = text.replace(/=+$/, '')
  if (!text || text.length > 4096) throw new VerifyError('malformed', 'empty or too long')
  const out = new Uint8Array(Math.floor(text.length * 5 / 8))
  let bits = 0
  let value = 0
  let n = 0
  for (const ch of text) {
    const v = B32.indexOf(ch)
    if (v < 0) throw new VerifyError('malformed', 'not base32')
    value = (value << 5) | v
    bits += 5
    if (bits >= 8) {
      bits -= 8
      out[n++] = (value >>> bits) & 0xff
    }
  }
  return out
}

function b64url (text) {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - text.length % 4) % 4)
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
}

function toHex (bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

const asciiDecoder = new TextDecoder('ascii')

// The trust list (a JWK set) as kid -> CryptoKey.
export async function importTrustList (json) {
  const data = typeof json === 'string' ? JSON.parse(json) : json
  const keys = new Map()
  for (const jwk of data.keys || []) {
    if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.kid) continue
    const key = await crypto.subtle.importKey(
      'jwk', { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y },
      { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify'])
    keys.set(jwk.kid, key)
  }
  return keys
}

function cbor (bytes) {
  return decode(bytes, {
    useMaps: true,
    tags: {
      [COSE_SIGN1_TAG]: (inner) => inner(),
      [CWT_TAG]: (inner) => inner()
    }
  })
}

export function decodeSign1 (bytes) {
  let msg
  try {
    msg = cbor(bytes)
  } catch (e) {
    throw new VerifyError('malformed', 'not CBOR')
  }
  if (!Array.isArray(msg) || msg.length !== 4) throw new VerifyError('malformed', 'not a COSE_Sign1 array')
  const [protectedBytes, unprotected, payload, signature] = msg
  if (!(protectedBytes instanceof Uint8Array) || !(unprotected instanceof Map)) {
    throw new VerifyError('malformed', 'bad headers')
  }
  if (!(payload instanceof Uint8Array) || !(signature instanceof Uint8Array)) {
    throw new VerifyError('malformed', 'bad payload or signature')
  }
  let headers
  try {
    headers = protectedBytes.length ? cbor(protectedBytes) : new Map()
  } catch (e) {
    throw new VerifyError('malformed', 'bad protected header')
  }
  if (!(headers instanceof Map)) throw new VerifyError('malformed', 'bad protected header')
  const kid = headers.get(HDR_KID) ?? unprotected.get(HDR_KID)
  return {
    protectedBytes,
    headers,
    payload,
    signature,
    kid: kid instanceof Uint8Array ? asciiDecoder.decode(kid) : ''
  }
}

export async function checkSignature (msg, trust) {
  if (msg.headers.get(HDR_ALG) !== ALG_ES256) throw new VerifyError('forged', 'algorithm is not ES256')
  const key = trust.get(msg.kid)
  if (!key) throw new VerifyError('unknown-key', msg.kid)
  if (msg.signature.length !== 64) throw new VerifyError('forged', 'signature is not 64 bytes')
  // Sig_structure: the protected bytes and payload exactly as received.
  const toBeSigned = encode(['Signature1', msg.protectedBytes, new Uint8Array(0), msg.payload])
  const ok = await crypto.subtle.verify(
    { name: 'ECDSA', hash: 'SHA-256' }, key, msg.signature, toBeSigned)
  if (!ok) throw new VerifyError('forged', 'bad signature')
}

function claimsOf (msg) {
  let claims
  try {
    claims = cbor(msg.payload)
  } catch (e) {
    throw new VerifyError('malformed', 'payload is not CBOR')
  }
  if (!(claims instanceof Map)) throw new VerifyError('malformed', 'payload is not a claims map')
  return claims
}

async function inflate (bytes) {
  // 'deflate' in the Compression Streams standard is the zlib format the draft uses.
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'))
  return new Uint8Array(await new Response(stream).arrayBuffer())
}

// The signed status list token -> {bits, lst, iat, exp, ttl, uri}; throws if it is not genuine.
export async function importStatusList (token, trust) {
  const msg = decodeSign1(token)
  await checkSignature(msg, trust)
  const claims = claimsOf(msg)
  const body = claims.get(CLAIMS.statusList)
  if (!(body instanceof Map) || !(body.get('lst') instanceof Uint8Array)) {
    throw new VerifyError('malformed', 'no status_list claim')
  }
  const bits = body.get('bits') ?? 1
  if (![1, 2, 4, 8].includes(bits)) throw new VerifyError('malformed', 'bad bits')
  let lst
  try {
    lst = await inflate(body.get('lst'))
  } catch (e) {
    throw new VerifyError('malformed', 'status list is not zlib')
  }
  return {
    bits,
    lst,
    uri: claims.get(CLAIMS.sub) || '',
    iat: claims.get(CLAIMS.iat) || 0,
    exp: claims.get(CLAIMS.exp) ?? null,
    ttl: claims.get(CLAIMS.ttl) ?? null
  }
}

export function statusAt (list, idx) {
  const perByte = 8 / list.bits
  if (idx < 0 || idx >= list.lst.length * perByte) return null
  const byte = list.lst[Math.floor(idx / perByte)]
  return (byte >> ((idx % perByte) * list.bits)) & ((1 << list.bits) - 1)
}

// Plain JSON of the claims (bytes as hex), for the page and for the tests.
export function plainClaims (claims) {
  const out = {}
  for (const [k, v] of claims) out[k] = v instanceof Uint8Array ? toHex(v) : v
  return out
}

/**
 * Check one code. Returns {reason, detail, kid, claims, statusChecked}; reason is one of
 * valid, expired, revoked, suspended, forged, unknown-key, malformed (as tirek-verify).
 * `status` may be null (revocation then unchecked); `now` is in seconds.
 */
export async function verifyCode (code, trust, status = null, now = Date.now() / 1000) {
  let msg, claims
  try {
    msg = decodeSign1(codeBytes(code))
    await checkSignature(msg, trust)
    claims = claimsOf(msg)
  } catch (e) {
    if (e instanceof VerifyError) return { reason: e.reason, detail: e.detail, kid: msg ? msg.kid : '', claims: null, statusChecked: false }
    throw e
  }
  const result = { reason: 'valid', detail: '', kid: msg.kid, claims: plainClaims(claims), statusChecked: false }
  const exp = claims.get(CLAIMS.exp)
  const nbf = claims.get(CLAIMS.nbf) ?? claims.get(CLAIMS.iat)
  if (!Number.isInteger(exp) || claims.get(CLAIMS.number) == null) {
    return { ...result, reason: 'malformed', detail: 'no exp or number claim' }
  }
  if (now > exp + LEEWAY) {
    result.reason = 'expired'
  } else if (Number.isInteger(nbf) && now < nbf - LEEWAY) {
    result.reason = 'expired'
    result.detail = 'not yet valid'
  }
  const idx = claims.get(CLAIMS.idx)
  if (status && Number.isInteger(idx)) {
    const value = statusAt(status, idx)
    result.statusChecked = true
    if (result.reason === 'valid' && value === STATUS_INVALID) result.reason = 'revoked'
    else if (result.reason === 'valid' && value === STATUS_SUSPENDED) result.reason = 'suspended'
  }
  return result
}
