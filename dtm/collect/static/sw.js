// The service worker (served as /collect/sw.js, with VERSION and PRECACHE prepended by the
// server). It precaches the app shell and modules all-or-nothing, answers them from the
// cache (so the app starts offline), leaves the API to the network, and on a Background
// Sync "sync" event sends the outbox with the same module the pages use.
import { drain } from './static/outbox.js';

const CACHE = `collect-${VERSION}`;

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(PRECACHE.map((url) => new Request(url, { cache: 'reload' }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(keys.filter((k) => k.startsWith('collect-') && k !== CACHE).map((k) => caches.delete(k))),
      )
      .then(() => self.clients.claim()),
  );
});

// A page that loaded while this worker was activating missed the claim above (it was not
// running yet); it asks again (app.js, claimWhenActive).
self.addEventListener('message', (event) => {
  if (event.data?.type === 'claim') event.waitUntil(self.clients.claim());
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === 'navigate' && url.pathname === '/collect/') {
    event.respondWith(fromCacheFirst('/collect/', request));
  } else if (PRECACHE.includes(url.pathname)) {
    event.respondWith(fromCacheFirst(url.pathname, request));
  }
});

async function fromCacheFirst(key, request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(key);
  return hit || fetch(request);
}

self.addEventListener('sync', (event) => {
  if (event.tag !== 'outbox') return;
  event.waitUntil(
    drain().then(async (result) => {
      const clients = await self.clients.matchAll();
      for (const client of clients) client.postMessage({ type: 'outbox', from: 'sync', result });
      // Ask the browser to fire the event again later.
      if (result.status === 'retry') throw new Error(result.reason);
    }),
  );
});
