/* Service worker: keeps the site for offline use.

   build.py replaces __MANIFEST_VERSION__ with the hash of all other files, so each new
   build is a new service worker with a new cache; the old cache is deleted when the new
   worker activates. On install it fetches manifest.json and precaches every file listed
   there except the lazy ones (bypassing the HTTP cache), and carries over from the old
   caches the lazy files already fetched whose sha256 the new manifest still lists; the
   files marked "gunzip" it also keeps gunzipped (keepGunzipped). Requests are answered
   from the cache first. A lazy file (the data files and NumPy's extras, "lazy": true) not
   cached yet is fetched when first asked for and cached if its bytes match the manifest,
   so it works offline from then on (requests for it meanwhile share that download; one
   fetched before this worker controlled the page, the page's worker keeps: files.js);
   anything else not cached (nothing, normally) goes to the network. Only same-origin GETs are handled.
*/
// biome-ignore lint/suspicious/noRedundantUseStrict: a classic script, not a module
"use strict";

const VERSION = "__MANIFEST_VERSION__";
const CACHE = `mnist-draw-${VERSION}`;   // files.js's keep writes to it by this name too
const SCOPE = new URL("./", self.location.href);
const MANIFEST = new URL("manifest.json", SCOPE).href;

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const response = await fetch(MANIFEST, { cache: "no-store" });
    if (!response.ok) throw new Error(`manifest.json: HTTP ${response.status}`);
    const manifest = await response.clone().json();
    const cache = await caches.open(CACHE);
    const urls = manifest.files.filter((file) => !file.lazy).map((file) => new URL(file.path, SCOPE).href);
    await cache.addAll(urls.map((url) => new Request(url, { cache: "no-store" })));
    await cache.put(MANIFEST, response);
    await cache.put(SCOPE.href, await cache.match(new URL("index.html", SCOPE).href));
    await keepGunzipped(cache, manifest.files.filter((file) => file.gunzip && !file.lazy));
    await carryOver(cache, manifest.files.filter((file) => file.lazy));
    await self.skipWaiting();
  })());
});

/* The files the manifest marks "gunzip" (the wasm, the stdlib's zip, the snapshot: shipped
   gzipped for hosts that compress only text) also kept gunzipped, under their name without
   .gz, as the content type it gives. Later starts fetch those (fetching.js's
   keptGunzipped): nothing to gunzip on the worker's thread, and a response the browser
   fetched by URL, the kind beside which Chromium can keep the wasm's compiled code (it did
   in some runs, not all: docs/performance.md). A file that cannot be kept so is only a
   missed saving: the worker then gunzips its .gz, as on a first visit. */
async function keepGunzipped(cache, files) {
  for (const file of files) {
    const url = new URL(file.path, SCOPE).href;
    try {
      const gzipped = await cache.match(url);
      const body = gzipped.body.pipeThrough(new DecompressionStream("gzip"));
      await cache.put(url.replace(/\.gz$/, ""), new Response(body, { headers: { "Content-Type": file.gunzip } }));
    } catch {
      // fetched as url, gunzipped in the worker
    }
  }
}

/* Lazy files an older cache holds with the sha256 the new manifest lists: copied, so a
   returning user does not download them again. (Only verified files are ever cached.) */
async function carryOver(cache, lazyFiles) {
  for (const name of await caches.keys()) {
    if (!name.startsWith("mnist-draw-") || name === CACHE) continue;
    try {
      const old = await caches.open(name);
      const listed = await old.match(MANIFEST);
      if (!listed) continue;
      const before = new Map((await listed.json()).files.map((file) => [file.path, file.sha256]));
      for (const file of lazyFiles) {
        const url = new URL(file.path, SCOPE).href;
        if (before.get(file.path) !== file.sha256 || (await cache.match(url))) continue;
        const kept = await old.match(url);
        if (kept) await cache.put(url, kept);
      }
    } catch {
      // an old cache that cannot be read is only a missed saving: the file is fetched when asked for
    }
  }
}

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
    if (hit) return hit;
    const url = new URL(request.url);
    url.search = "";
    const lazy = (await lazyFiles(cache)).get(url.href);
    return lazy ? fetchLazy(cache, request, url.href, lazy) : fetch(request);
  })());
});

let lazyListing = null;   // Promise of Map url -> manifest entry, from this version's cached manifest

function lazyFiles(cache) {
  lazyListing ??= cache.match(MANIFEST)
    .then((response) => (response ? response.json() : { files: [] }))
    .then(({ files }) => new Map(files.filter((file) => file.lazy)
      .map((file) => [new URL(file.path, SCOPE).href, file])));
  lazyListing.catch(() => { lazyListing = null; });
  return lazyListing;
}

const downloading = new Map();   // url -> Promise of a lazy file's download in progress

/* A lazy file from the network, cached only when it is complete and its sha256 is the
   manifest's; the response goes to the page either way (its own checks report a bad one).
   Requests for it while it downloads share that download: the two training workers ask
   for the training images at once, which would otherwise download them twice. */
async function fetchLazy(cache, request, url, file) {
  let download = downloading.get(url);
  if (!download) {
    download = downloadLazy(cache, request, url, file);
    downloading.set(url, download);
    const done = () => downloading.delete(url);
    download.then(done, done);
  }
  const { body, init } = await download;
  return new Response(body, init);
}

async function downloadLazy(cache, request, url, file) {
  const response = await fetch(url, { integrity: request.integrity });
  const body = [204, 205, 304].includes(response.status) ? null : await response.arrayBuffer();
  const init = { status: response.status, statusText: response.statusText, headers: response.headers };
  if (response.ok && body) {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
    const hex = Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
    if (hex === file.sha256) await cache.put(url, new Response(body, init));
  }
  return { body, init };
}
