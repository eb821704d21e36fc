/* Minuted service worker.
 *
 * The server fills in VERSION (a hash of the app's files) and PRECACHE (every
 * static file plus the offline page). Install precaches the shell and waits for
 * it; activate deletes only this app's older caches. Pages are network-first and
 * the last good copy of each is kept, so the app opens with no signal and shows
 * what was last loaded. The API and audio are never cached here.
 */
const VERSION = '__VERSION__';
const PREFIX = 'minuted-';
const SHELL = `${PREFIX}shell-${VERSION}`;
const PAGES = `${PREFIX}pages`;
const PRECACHE = __PRECACHE__;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL);
    // cache: 'reload' skips the HTTP cache so a new version never precaches stale files
    await cache.addAll(PRECACHE.map((url) => new Request(url, { cache: 'reload' })));
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names
      .filter((name) => name.startsWith(`${PREFIX}shell-`) && name !== SHELL)
      .map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'skip-waiting') self.skipWaiting();
  if (event.data && event.data.type === 'forget-pages') event.waitUntil(caches.delete(PAGES));
});

async function fromNetworkKeepCopy(request) {
  const cache = await caches.open(PAGES);
  try {
    const response = await fetch(request);
    if (response.status === 403 && new URL(request.url).pathname.endsWith('/live')) {
      // the meeting has ended: a partner's phone still needs its saved page to send the notes it holds
      const saved = await cache.match(request, { ignoreVary: true, ignoreSearch: true });
      if (saved) return saved;
    }
    // keep only real pages: not redirects (to the login page), not errors
    if (response.ok && !response.redirected && response.type === 'basic') {
      await cache.put(request, response.clone());
    }
    return response;
  } catch (err) {
    const saved = await cache.match(request, { ignoreVary: true });
    if (saved) return saved;
    const offline = await caches.match('/offline');
    if (offline) return offline;
    throw err;
  }
}

async function fromCacheFirst(request) {
  const cached = await caches.match(request, { ignoreSearch: true });
  return cached || fetch(request);
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/api/') || url.pathname === '/sw.js') return;
  if (request.mode === 'navigate') {
    event.respondWith(fromNetworkKeepCopy(request));
  } else if (url.pathname.startsWith('/static/')) {
    event.respondWith(fromCacheFirst(request));
  }
});

// Background Sync (Chromium only): wake the open meeting pages so they send their outbox.
// The pages also sync by themselves on start, `online` and visibility, since iOS has no `sync` event.
self.addEventListener('sync', (event) => {
  if (event.tag !== 'minuted-sync') return;
  event.waitUntil((async () => {
    const clients = await self.clients.matchAll({ type: 'window' });
    for (const client of clients) client.postMessage({ type: 'sync' });
  })());
});
