/* Service worker: keeps every file of the site for offline use.

   build.py replaces __MANIFEST_VERSION__ with the hash of all other files, so each new
   build is a new service worker with a new cache; the old cache is deleted when the new
   worker activates. On install it fetches manifest.json and precaches every file listed
   there (bypassing the HTTP cache). Requests are answered from the cache first; anything
   not cached (nothing, normally) goes to the network. Only same-origin GETs are handled.
*/
// biome-ignore lint/suspicious/noRedundantUseStrict: a classic script, not a module
"use strict";

const VERSION = "__MANIFEST_VERSION__";
const CACHE = `mnist-draw-${VERSION}`;
const SCOPE = new URL("./", self.location.href);

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const response = await fetch(new URL("manifest.json", SCOPE), { cache: "no-store" });
    if (!response.ok) throw new Error(`manifest.json: HTTP ${response.status}`);
    const manifest = await response.clone().json();
    const cache = await caches.open(CACHE);
    const urls = manifest.files.map((file) => new URL(file.path, SCOPE).href);
    await cache.addAll(urls.map((url) => new Request(url, { cache: "no-store" })));
    await cache.put(new URL("manifest.json", SCOPE).href, response);
    await cache.put(SCOPE.href, await cache.match(new URL("index.html", SCOPE).href));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names
      .filter((name) => name.startsWith("mnist-draw-") && name !== CACHE)
      .map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || !request.url.startsWith(SCOPE.origin)) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const hit = await cache.match(request, { ignoreSearch: true });
    return hit || fetch(request);
  })());
});
