/* The worker's downloads: files checked against the sha256 a listing gives (Subresource
   Integrity: the browser refuses a response with other bytes). A classic script:
   worker.js loads it with importScripts, and Node's tests (tests/js/fetching.test.js) run
   the same file.

   fetchVerified(url, sha256, name, listing): the Response, its bytes those of sha256 (hex).
     Errors name the file: "<name> could not be downloaded (<why>)" when the request fails
     or answers an HTTP error, "<name> is damaged: ..." when its bytes are not the ones
     <listing> (e.g. "manifest.json") lists.
   fetchPackages(runtime): pycore and its dependencies as pyodide-lock.json lists them.
   fetchSnapshot(url): the start-up snapshot, gunzipped.
   lookUpSnapshot(url): whether a cache holds it, fetchSnapshot's own lookup begun too.
   inCache(url): whether a cache of this origin (the service worker's) holds url.
   gunzippingFetch(fetch, types): fetch, but the URLs of types fetch their .gz, gunzipped
     (or, when a cache holds them gunzipped, themselves).
   startDownloads(after, runtime, weightsURL, helperURL): the packages and the weights (none
     when weightsURL is null), downloaded in a nested worker. arrivesWithin(promise, ms, since): whether it settled in time.
   loadPyodideOrFail(load, options): loadPyodide, rejecting when the wasm cannot start. */

/* "sha256-<base64>" from a hex sha256: fetch's integrity option. */
function integrityOf(sha256) {
  return `sha256-${btoa(String.fromCharCode(...sha256.match(/../g).map((h) => parseInt(h, 16))))}`;
}

async function sha256Hex(buffer) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", buffer));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

async function fetchVerified(url, sha256, name, listing) {
  let response;
  try {
    response = await fetch(url, { integrity: integrityOf(sha256) });
  } catch (error) {
    // The browser gives the same TypeError for a failed request and for other bytes;
    // asking once more without the check tells the two apart (only when it failed).
    throw await whyNot(url, sha256, name, listing, error);
  }
  if (!response.ok) throw new Error(`${name} could not be downloaded (HTTP ${response.status})`);
  return response;
}

async function whyNot(url, sha256, name, listing, error) {
  let response;
  try {
    response = await fetch(url);
  } catch (again) {
    return new Error(`${name} could not be downloaded (${again.message})`);
  }
  if (!response.ok) return new Error(`${name} could not be downloaded (HTTP ${response.status})`);
  const actual = await sha256Hex(await response.arrayBuffer());
  if (actual !== sha256) {
    return new Error(`${name} is damaged: its sha256 is ${actual}, ${listing} lists ${sha256}`);
  }
  return new Error(`${name} could not be downloaded (${error.message})`);
}

/* The packages of pycore and of what it depends on (numpy), dependencies first, as
   pyodide-lock.json lists them, each checked against the lock file's sha256, as
   loadPackage's checkIntegrity does. A wheel is unpacked by Pyodide; a .tar.gz (numpy:
   build.py's numpy_archive) is gunzipped here by the browser and its files written by
   the worker's untar, which is much faster. */
async function fetchPackages(runtime) {
  const response = await fetch(`${runtime}pyodide-lock.json`);
  if (!response.ok) throw new Error(`pyodide-lock.json: HTTP ${response.status}`);
  const { packages } = await response.json();
  const order = [];
  const visit = (name) => {
    if (order.includes(name)) return;
    if (!packages[name]) throw new Error(`pyodide-lock.json lists no package ${name}`);
    packages[name].depends.forEach(visit);
    order.push(name);
  };
  visit("pycore");
  return Promise.all(order.map(async (name) => {
    const { file_name: file, sha256 } = packages[name];
    const format = file.endsWith(".whl") ? "wheel" : file.endsWith(".tar.gz") ? "tar" : null;
    if (!format) throw new Error(`${file}: neither a wheel nor a .tar.gz`);
    const fetched = await fetchVerified(`${runtime}${file}`, sha256, file, "pyodide-lock.json");
    const body = format === "tar" ? fetched.body.pipeThrough(new DecompressionStream("gzip")) : fetched.body;
    return { file, format, bytes: new Uint8Array(await new Response(body).arrayBuffer()) };
  }));
}

/* The start-up snapshot, gunzipped: the exact bytes pyodide.makeMemorySnapshot() wrote.
   Those bytes as the service worker keeps them when a cache holds them (keptGunzipped). */
// biome-ignore lint/correctness/noUnusedVariables: the worker's global, read after importScripts
async function fetchSnapshot(url) {
  const kept = await keptGunzipped(unzippedName(url), fetch);
  if (kept) return new Uint8Array(await kept.arrayBuffer());
  const response = await fetch(url);
  if (!response.ok) throw new Error(`snapshot.bin.gz: HTTP ${response.status}`);
  const stream = response.body.pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/* What the service worker keeps a .gz file's gunzipped copy as (sw.js's keepGunzipped). */
function unzippedName(url) {
  return url.replace(/\.gz$/, "");
}

/* Whether a cache holds the start-up snapshot (url: its .gz), and the lookup of its kept
   copy that fetchSnapshot makes, both begun now: a worker asks at its first lines and
   reads the answer when it chooses whether to restore the snapshot. */
// biome-ignore lint/correctness/noUnusedVariables: the worker's global, read after importScripts
function lookUpSnapshot(url) {
  inCache(unzippedName(url));
  return inCache(url);
}

/* Whether url is in one of this origin's caches (the service worker precaches the start's
   files after the first start): false where there are no caches (no secure context) or
   they cannot be read. The bytes still come through fetch, so that the page's own service
   worker answers with the file of its version. Looked up once per URL (a worker asks at
   its start; each lookup reads every cache of the origin, tens of ms), so the start asks
   early and uses the answer later. */
const lookups = new Map();   // url -> Promise of the answer

function inCache(url) {
  if (!lookups.has(url)) {
    lookups.set(url, (async () => {
      if (typeof caches === "undefined") return false;
      try {
        return (await caches.match(url, { ignoreSearch: true })) !== undefined;
      } catch {
        return false;
      }
    })());
  }
  return lookups.get(url);
}

/* The response to url, a file shipped as url + ".gz", when a cache holds it gunzipped (the
   service worker keeps those: sw.js's keepGunzipped), else null. Nothing to gunzip then,
   and the response is the one fetch gave, by URL, the kind beside which Chromium can keep
   the wasm's compiled code (never beside one made from a stream: docs/performance.md).
   A failed or refused answer is null too: the .gz is fetched as on a first visit. */
async function keptGunzipped(url, fetch) {
  if (!(await inCache(url))) return null;
  try {
    const response = await fetch(url);
    if (response.ok) return response;
    response.body?.cancel();
  } catch {
    // asked for as url + ".gz" instead
  }
  return null;
}

/* fetch, except that a request for one of the URLs in types ({url: content type}) asks for
   url + ".gz" and answers with its bytes gunzipped by the browser (DecompressionStream),
   as that type: build.py ships the wasm gzipped (gzip_runtime), so that a host which
   compresses only text sends it compressed too. An HTTP error is answered as it came.
   When a cache holds url itself (keptGunzipped: a later visit), that is the answer, as
   fetch gave it, and it has arrived at once.
   wrapped.prefetch(url) asks for one of them at once, before anyone does (the next request
   for it gets that response), and resolves when its bytes have all arrived (or failed).
   started: {url: a Promise of the .gz's Response} already asked for, used instead, once. */
// biome-ignore lint/correctness/noUnusedVariables: the worker's global, read after importScripts
function gunzippingFetch(fetch, types, started = {}) {
  const early = new Map();   // url -> Promise of the Response, asked for by prefetch
  for (const url of Object.keys(types)) inCache(url);   // looked up now, beside the first requests
  const gunzipped = async (url, init) => {
    const asked = started[url];
    delete started[url];
    const kept = await keptGunzipped(url, fetch);
    if (kept) {
      asked?.then((response) => response.body?.cancel(), () => {});
      return { response: kept, arrived: Promise.resolve() };
    }
    const response = await (asked ?? fetch(`${url}.gz`, init));
    if (!response.ok) return { response, arrived: Promise.resolve() };
    const [body, counted] = response.body.tee();
    const arrived = (async () => {
      const reader = counted.getReader();
      while (!(await reader.read()).done);
    })().catch(() => {});
    const answer = new Response(body.pipeThrough(new DecompressionStream("gzip")),
      { status: 200, headers: { "Content-Type": types[url] } });
    return { response: answer, arrived };
  };
  const wrapped = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (!types[url]) return fetch(input, init);
    const asked = early.get(url);
    early.delete(url);
    return (await (asked ?? gunzipped(url, init))).response;
  };
  wrapped.prefetch = (url) => {
    const asked = gunzipped(url);
    early.set(url, asked);
    return asked.then(({ arrived }) => arrived, () => {});
  };
  return wrapped;
}

/* Whether `promise` settles within ms of the time `since` (performance.now()). */
// biome-ignore lint/correctness/noUnusedVariables: the worker's global, read after importScripts
function arrivesWithin(promise, ms, since) {
  return Promise.race([promise.then(() => true),
    new Promise((resolve) => { setTimeout(() => resolve(false), ms - (performance.now() - since)); })]);
}

/* Promises {packages, weights} of the start's downloads (fetchPackages(runtime)'s list, the
   bytes of weightsURL, or null without one: the training worker needs no weights), asked for
   once `after` settles, by the script helperURL (downloads.js) in a nested worker: the
   worker's thread is held by Python's start-up meanwhile, and a response nobody reads stops
   arriving. Without nested workers, fetched here. */
// biome-ignore lint/correctness/noUnusedVariables: the worker's global, read after importScripts
function startDownloads(after, runtime, weightsURL, helperURL) {
  if (typeof Worker !== "function") {
    return {
      packages: after.then(() => fetchPackages(runtime)),
      weights: weightsURL === null ? Promise.resolve(null) : after.then(() => fetch(weightsURL)).then(async (response) => {
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        return new Uint8Array(await response.arrayBuffer());
      }),
    };
  }
  const helper = new Worker(helperURL);
  const wait = {};
  const settled = Object.fromEntries(["packages", "weights"].map((name) =>
    [name, new Promise((resolve, reject) => { wait[name] = { resolve, reject }; })]));
  let left = weightsURL === null ? 1 : 2;
  if (weightsURL === null) wait.weights.resolve(null);
  helper.onmessage = ({ data }) => {
    const name = "packages" in data || "packagesError" in data ? "packages" : "weights";
    const error = data[`${name}Error`];
    if (error === undefined) wait[name].resolve(data[name]);
    else wait[name].reject(new Error(error));
    if (--left === 0) helper.terminate();
  };
  helper.onerror = (event) => {
    event.preventDefault();
    for (const { reject } of Object.values(wait)) reject(new Error("downloads.js could not start"));
  };
  after.then(() => helper.postMessage({ runtime, weights: weightsURL }));
  return settled;
}

/* load(options) (loadPyodide), failing instead of hanging: when pyodide.asm.wasm is missing
   or broken, Pyodide 0.27.7 only logs "wasm instantiation failed!" with console.warn and
   loadPyodide never settles; this watches for that warning (and the error logged after it)
   and rejects with that error. */
// biome-ignore lint/correctness/noUnusedVariables: the worker's global, read after importScripts
async function loadPyodideOrFail(load, options) {
  const warn = console.warn;
  let failed;
  const wasmFailure = new Promise((_, reject) => { failed = reject; });
  let sawFailure = false;
  console.warn = (...args) => {
    warn.apply(console, args);
    if (sawFailure) failed(args[0]);
    else if (String(args[0]).includes("wasm instantiation failed")) sawFailure = true;
  };
  try {
    return await Promise.race([load(options), wasmFailure]);
  } finally {
    console.warn = warn;
  }
}
