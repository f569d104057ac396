// The verify page's service worker (served at /V/sw.js with CONFIG prepended by
// tirek/cards/offline.py). It keeps the page shell and its scripts so that a phone that opened
// the page once can still check codes offline; the trust list and status list are kept by the
// page itself (localStorage), which also shows their age.
/* global CONFIG */

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CONFIG.cache)
    // The shell without cookies: no one's session or name is kept on the phone.
    await cache.add(new Request(CONFIG.shell, { credentials: 'omit' }))
    await cache.addAll(CONFIG.assets)
    await self.skipWaiting()
  })())
})

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('tirek-verify-') && name !== CONFIG.cache) await caches.delete(name)
    }
    await self.clients.claim()
  })())
})

const NAVIGATION_TIMEOUT_MS = 4000

async function navigate (request) {
  // Online: the server's page (it also checks the code against the database). Offline, or a
  // network that does not answer in time: the kept shell, which checks the code on the phone.
  try {
    const response = await Promise.race([
      fetch(request),
      new Promise((resolve, reject) => setTimeout(() => reject(new Error('timeout')), NAVIGATION_TIMEOUT_MS))
    ])
    return response
  } catch (e) {
    const cache = await caches.open(CONFIG.cache)
    return (await cache.match(CONFIG.shell)) || Response.error()
  }
}

self.addEventListener('fetch', (event) => {
  const request = event.request
  if (request.method !== 'GET') return
  const url = new URL(request.url)
  if (url.origin !== self.location.origin) return
  if (request.mode === 'navigate' && url.pathname.startsWith(CONFIG.scope)) {
    event.respondWith(navigate(request))
  } else if (CONFIG.assets.includes(url.pathname)) {
    event.respondWith((async () => {
      const cache = await caches.open(CONFIG.cache)
      return (await cache.match(request, { ignoreSearch: true })) || fetch(request)
    })())
  }
})
