// The verify page on a guard's phone: checks the code in the browser (verifier.js) with the
// trust list and status list fetched when online and kept in localStorage, so the page works
// offline after one visit (the service worker keeps the page and the scripts); reads a QR with
// the camera or from a photo (jsQR, from npm). Every text comes translated from the page.

import { importStatusList, importTrustList, verifyCode } from './verifier.js'

const root = document.getElementById('device-verify')
const STORE = 'tirek.cards.lists'
const SIGNED = new Set(['valid', 'expired', 'revoked', 'suspended'])

function message (name) {
  const el = root.querySelector(`[data-msg="${name}"]`)
  return el ? el.textContent.trim() : name
}

function bytesToB64 (bytes) {
  let s = ''
  for (const b of bytes) s += String.fromCharCode(b)
  return btoa(s)
}

function b64ToBytes (text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0))
}

// Fresh lists when online (revalidated by ETag), else the copy saved at the last visit.
async function loadLists () {
  try {
    const [trustResp, statusResp] = await Promise.all([
      fetch(root.dataset.trustUrl, { cache: 'no-cache', credentials: 'omit' }),
      fetch(root.dataset.statusUrl, { cache: 'no-cache', credentials: 'omit' })
    ])
    if (!trustResp.ok || !statusResp.ok) throw new Error('lists unavailable')
    const saved = {
      trust: await trustResp.text(),
      status: bytesToB64(new Uint8Array(await statusResp.arrayBuffer())),
      fetched: Date.now()
    }
    try {
      localStorage.setItem(STORE, JSON.stringify(saved))
    } catch (e) { /* private mode or full storage: the lists still serve this visit */ }
    return { ...saved, cached: false }
  } catch (e) {
    const text = localStorage.getItem(STORE)
    return text ? { ...JSON.parse(text), cached: true } : null
  }
}

async function prepare () {
  const saved = await loadLists()
  if (!saved) return null
  const trust = await importTrustList(saved.trust)
  let status = null
  try {
    status = await importStatusList(b64ToBytes(saved.status), trust)
  } catch (e) { /* an unusable status list: codes are checked without revocation */ }
  return { trust, status, cached: saved.cached }
}

function fmtTime (seconds) {
  return new Date(seconds * 1000).toLocaleString(document.documentElement.lang || undefined)
}

function fmtDate (seconds) {
  return new Date(seconds * 1000).toLocaleDateString(document.documentElement.lang || undefined)
}

function showListsNote (lists) {
  const note = root.querySelector('[data-testid="lists-note"]')
  if (!lists) {
    note.textContent = message('no-lists')
    return
  }
  const parts = []
  if (lists.status) {
    parts.push(message('lists-as-of').replace('%s', fmtTime(lists.status.iat)))
    if (lists.status.exp && Date.now() / 1000 > lists.status.exp) parts.push(message('lists-old'))
  } else {
    parts.push(message('no-status'))
  }
  if (lists.cached) parts.push(message('offline'))
  note.textContent = parts.join(' ')
  note.dataset.cached = lists.cached ? 'true' : 'false'
}

function codeFromPath () {
  const base = root.dataset.base
  const path = decodeURIComponent(location.pathname)
  if (!path.startsWith(base)) return ''
  const rest = path.slice(base.length)
  return /^[A-Za-z2-7]+$/.test(rest) ? rest : ''
}

function render (result, code) {
  const box = root.querySelector('[data-testid="device-result"]')
  const ok = result.reason === 'valid'
  box.hidden = false
  box.dataset.reason = result.reason
  box.dataset.statusChecked = result.statusChecked ? 'true' : 'false'
  box.classList.toggle('border-success', ok)
  box.classList.toggle('border-danger', !ok)
  const title = box.querySelector('[data-part="title"]')
  title.textContent = message(`reason-${result.reason}`)
  title.classList.toggle('text-success', ok)
  title.classList.toggle('text-danger', !ok)
  const details = box.querySelector('[data-part="details"]')
  details.hidden = !SIGNED.has(result.reason)
  const photo = box.querySelector('[data-part="photo"]')
  photo.hidden = true
  if (!SIGNED.has(result.reason)) return
  const c = result.claims
  box.querySelector('[data-part="number"]').textContent = c.n
  box.querySelector('[data-part="kind"]').textContent = message(`kind-${c.k}`)
  box.querySelector('[data-part="until"]').textContent = fmtDate(c['4'])
  box.querySelector('[data-part="live"]').hidden = !c.l
  box.querySelector('[data-part="unchecked"]').hidden = result.statusChecked
  // The photo only from the server (it is not in the code): shown when online, unless the
  // server's own answer above already shows it.
  const serverShown = document.querySelector('[data-testid="verify-result"]')
  if (code && navigator.onLine && !serverShown) {
    photo.onload = () => { photo.hidden = false }
    photo.onerror = () => { photo.hidden = true }
    photo.src = `${root.dataset.base}${code}/photo`
  }
}

function goTo (text) {
  const segment = String(text).trim().replace(/\/+$/, '').split('/').pop().toUpperCase()
  if (/^[A-Z2-7]+$/.test(segment)) {
    location.assign(root.dataset.base + segment)
    return true
  }
  return false
}

// QR reading with jsQR (a classic script from npm that sets window.jsQR).
function readQr (source, width, height, canvas) {
  canvas.width = width
  canvas.height = height
  const ctx = canvas.getContext('2d', { willReadFrequently: true })
  ctx.drawImage(source, 0, 0, width, height)
  const image = ctx.getImageData(0, 0, width, height)
  const found = window.jsQR(image.data, width, height, { inversionAttempts: 'attemptBoth' })
  return found ? found.data : ''
}

async function scanPhoto (file, canvas) {
  const bitmap = await createImageBitmap(file)
  const scale = Math.min(1, 1280 / Math.max(bitmap.width, bitmap.height))
  return readQr(bitmap, Math.round(bitmap.width * scale), Math.round(bitmap.height * scale), canvas)
}

async function scanCamera (video, canvas, status) {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } })
  video.srcObject = stream
  video.hidden = false
  await video.play()
  status.textContent = message('scanning')
  return new Promise((resolve) => {
    const tick = () => {
      if (video.readyState >= 2 && video.videoWidth) {
        const text = readQr(video, video.videoWidth, video.videoHeight, canvas)
        if (text) {
          stream.getTracks().forEach((t) => t.stop())
          video.hidden = true
          resolve(text)
          return
        }
      }
      requestAnimationFrame(tick)
    }
    tick()
  })
}

async function main () {
  if ('serviceWorker' in navigator && root.dataset.swUrl) {
    navigator.serviceWorker.register(root.dataset.swUrl, { scope: root.dataset.base })
      .catch(() => { /* no offline mode, the online page still works */ })
  }
  const canvas = document.createElement('canvas')
  const status = root.querySelector('[data-part="scan-status"]')
  const form = document.querySelector('[data-testid="verify-form"]')
  const input = form ? form.querySelector('textarea, input[name="code"]') : null
  if (form && input) {
    form.addEventListener('submit', (event) => {
      if (goTo(input.value)) event.preventDefault()
    })
  }
  root.querySelector('[data-part="camera"]').addEventListener('click', async () => {
    try {
      const text = await scanCamera(root.querySelector('video'), canvas, status)
      if (!goTo(text)) status.textContent = message('not-a-code')
    } catch (e) {
      status.textContent = message('no-camera')
    }
  })
  root.querySelector('[data-part="file"]').addEventListener('change', async (event) => {
    const file = event.target.files[0]
    if (!file) return
    try {
      const text = await scanPhoto(file, canvas)
      status.textContent = text ? '' : message('no-qr')
      if (text && !goTo(text)) status.textContent = message('not-a-code')
    } catch (e) {
      status.textContent = message('no-qr')
    }
  })

  const lists = await prepare()
  showListsNote(lists)
  const code = codeFromPath()
  if (code && lists) render(await verifyCode(code, lists.trust, lists.status), code)
  root.dataset.ready = 'true'
}

main()
