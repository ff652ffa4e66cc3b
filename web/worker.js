/* The Python side of the page: Pyodide + NumPy + pycore in a Web Worker.

   Everything loads from this origin: ./pyodide/ (runtime, numpy as a .tar.gz, the pycore
   wheel, pyodide-lock.json), ./model/mnist-cnn.npz and, when asked for, ./data/*.npz. No
   Python source is built here; the worker imports the shipped pycore package and calls
   it with arguments.

   Messages (docs/architecture.md, "The worker's messages", has them whole):
     worker -> page, no id: {type: "progress"|"ready"|"fatal", ...} while starting;
     page -> worker, each with an id, the reply carrying it: "classify" (RGBA pixels in,
     probabilities, the 28x28 image, timings, the verdict ("digit"/"not-a-digit") and the
     sentence why, optionally the layers' outputs back, as views of one transferred buffer), "kernels", "stats", "dataset" (a data file fetched
     with fetchDataset and read by pycore.datasets: its image count and count per digit),
     "examples" (the user's examples to learn: lessons.js), "check", "leave-one-out";
     a failure is {id, type: "error"}.
*/
// biome-ignore lint/suspicious/noRedundantUseStrict: a classic script, not a module
"use strict";

// The wasm, the start's largest file, is asked for before anything else (gunzippingFetch
// below takes the response over).
const wasmAsked = performance.now();
const wasmRequest = fetch(new URL("pyodide/pyodide.asm.wasm.gz", self.location.href));
wasmRequest.catch(() => {});

// self.readTar; self.fetchVerified, fetchPackages, fetchSnapshot, snapshotCached,
// gunzippingFetch, startDownloads, arrivesWithin; self.Lessons (teaching)
importScripts("tar.js", "fetching.js", "lessons.js");

const BASE = new URL("./", self.location.href);
const RUNTIME = new URL("pyodide/", BASE).href;
const WEIGHTS = "model/mnist-cnn.npz";
// Python's memory right after start-up, made by build.py (make_snapshot): restoring it
// skips the interpreter's own start-up, the slowest part of loading. Restored when the
// service worker has cached it (a repeat visit), or when the wasm (3.1 MB gzipped) arrived
// within FAST_MS: on a phone's network the snapshot's 5.2 MB cost more time than starting
// the interpreter (docs/performance.md), and the service worker precaches it after the start.
const SNAPSHOT = `${RUNTIME}snapshot.bin.gz`;
const FAST_MS = 1000;   // the wasm in 1 s: at least 25 Mbps, the snapshot then in 1.7 s
// build.py ships the wasm gzipped (gzip_runtime): Pyodide's request for it gets the .gz, gunzipped.
const WASM = `${RUNTIME}pyodide.asm.wasm`;
self.fetch = self.gunzippingFetch(self.fetch.bind(self), { [WASM]: "application/wasm" }, { [WASM]: wasmRequest });
const STAGES = 4;

let pyodide = null;
let classifier = null;   // PyProxy of pycore.inference.Classifier, kept for the worker's life
let lessons = null;      // self.Lessons: what the user taught (its classifier reads the drawings)
let sys = null;          // PyProxy of the sys module (stats)
let sitePackages = null; // where the packages are unpacked (site.getsitepackages()[0])
let layouts = null;      // Map false/true -> [[name, size], ...]: classify_pixels' array
                         // without and with activations (Classifier.packed_layout)
let verdicts = null;     // pycore.verdict's VERDICTS and REASONS: the packed "verdict" part's
                         // two codes -> the verdict and the sentence that says why
const stageStarts = [];  // performance.now() at the start of each stage

function progress(stage, label) {
  stageStarts.push(performance.now());
  self.postMessage({ type: "progress", stage, stages: STAGES, label });
}

class StartError extends Error {}

async function start() {
  const t0 = performance.now();
  if (typeof WebAssembly !== "object") {
    throw new StartError("This browser cannot run WebAssembly, which the in-browser Python needs.");
  }
  progress(1, "Starting Python (Pyodide runtime)");
  // Everything the start needs is requested at once, each awaited where it is used; the
  // wasm first, and NumPy, pycore and the weights once it has arrived: on a slow network
  // they then download while Python starts, instead of delaying the start they come after.
  const wasmArrived = self.fetch.prefetch(WASM);
  const { packages, weights } = self.startDownloads(wasmArrived, RUNTIME, new URL(WEIGHTS, BASE).href,
    new URL("downloads.js", BASE));
  packages.catch(() => {});
  weights.catch(() => {});
  let snapshot = null;
  try {
    importScripts(`${RUNTIME}pyodide.js`);
    if ((await self.snapshotCached(SNAPSHOT)) || (await self.arrivesWithin(wasmArrived, FAST_MS, wasmAsked))) {
      snapshot = self.fetchSnapshot(SNAPSHOT);
    }
    // When pyodide.asm.wasm is missing or broken, Pyodide 0.27.7 only logs
    // "wasm instantiation failed!" with console.warn and loadPyodide never settles;
    // watch for that warning (and the error logged after it) and fail instead of hanging.
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
      pyodide = await Promise.race([
        loadPyodide({ indexURL: RUNTIME, fullStdLib: false, ...(snapshot && { _loadSnapshot: snapshot }) }),
        wasmFailure,
      ]);
      // Every page restores the same memory: give Python's random module its own seed.
      const random = pyodide.pyimport("random");
      random.seed();
      random.destroy();
    } finally {
      console.warn = warn;
    }
  } catch (error) {
    throw new StartError(`The Python runtime (pyodide/) could not be loaded: ${error.message || error}`);
  }

  progress(2, "Loading NumPy and the network code");
  try {
    // Unpacked into site-packages; numpy's C extensions load when imported, and only
    // those numpy imports (loadPackage would instantiate all 19 first).
    sys = pyodide.pyimport("sys");
    sitePackages = withProxies((keep) => keep(keep(pyodide.pyimport("site")).getsitepackages()).get(0));
    for (const { file, format, bytes } of await packages) {
      if (format === "tar") untar(bytes, sitePackages, file);
      else pyodide.unpackArchive(bytes, format, { extractDir: sitePackages });
    }
    // Only site-packages changed, so only its finder forgets what it listed there
    // (importlib.invalidate_caches() would also re-read python_stdlib.zip's index: 0.2 s).
    withProxies((keep) => {
      const finder = keep(keep(sys.path_importer_cache).get(sitePackages));
      finder?.invalidate_caches();
    });
    pyodide.pyimport("pycore.inference").destroy();   // fails here if a wheel is broken
  } catch (error) {
    throw new StartError(`NumPy or the network code (pyodide/) could not be loaded: ${error.message || error}`);
  }

  progress(3, "Loading the trained weights");
  let bytes;
  try {
    bytes = await weights;
  } catch (error) {
    throw new StartError(`The model file ${WEIGHTS} could not be downloaded (${error.message}).`);
  }
  const inference = pyodide.pyimport("pycore.inference");
  const data = pyodide.toPy(bytes);
  try {
    classifier = inference.Classifier.from_bytes(data);
  } catch (error) {
    throw new StartError(`The model file ${WEIGHTS} is not usable: ${pythonMessage(error)}`);
  } finally {
    data.destroy();
    inference.destroy();
  }

  lessons = new self.Lessons({ pyodide, classifier, fetchDataset, ensureExtras, withProxies, pythonMessage });

  progress(4, "Warming up");
  layouts = new Map([false, true].map((activations) =>
    [activations, withProxies((keep) => keep(classifier.packed_layout(activations)).toJs())]));
  verdicts = withProxies((keep) => {
    const module = keep(pyodide.pyimport("pycore.verdict"));
    return { names: keep(module.VERDICTS).toJs(), reasons: keep(module.REASONS).toJs() };
  });
  const info = {
    pyodide: pyodide.version,
    python: sys.version.split(" ")[0],
    numpy: withProxies((keep) => keep(pyodide.pyimport("numpy")).__version__),
    startMs: 0,
    stageMs: {},
    snapshot: snapshot !== null,   // restored from the start-up snapshot (a repeat visit, a fast network)
    maps: withProxies((keep) => keep(classifier.map_shapes()).toJs({ dict_converter: Object.fromEntries })),
  };
  // One prediction on a small synthetic stroke, so the first real one is not slow: black
  // on transparent, like the page's input canvas.
  const size = 56;
  const warm = new Uint8ClampedArray(size * size * 4);
  for (let y = 14; y < 42; y++) {
    for (let x = 26; x < 30; x++) warm[(y * size + x) * 4 + 3] = 255;
  }
  classify(size, size, warm.buffer);
  info.startMs = performance.now() - t0;
  stageStarts.push(performance.now());
  ["runtime", "packages", "weights", "warmup"].forEach((name, i) => {
    info.stageMs[name] = stageStarts[i + 1] - stageStarts[i];
  });
  return info;
}

let manifest = null;   // Promise of manifest.json, its files as a Map path -> entry, read once

function readManifest(path) {
  manifest ??= fetch(new URL("manifest.json", BASE)).then(async (response) => {
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const listing = await response.json();
    return { ...listing, files: new Map(listing.files.map((file) => [file.path, file])) };
  }).catch((error) => {
    manifest = null;   // asked again next time
    throw new Error(`manifest.json could not be downloaded (${error.message}), so ${path} cannot be`);
  });
  return manifest;
}

/* The bytes of a file manifest.json lists (the lazy files: data/*.npz, NumPy's extras; the
   service worker caches them once fetched), checked by the browser against the listed sha256. */
async function fetchDataset(path) {
  const file = (await readManifest(path)).files.get(path);
  if (!file) throw new Error(`${path} could not be downloaded: manifest.json does not list it`);
  const response = await self.fetchVerified(new URL(path, BASE).href, file.sha256, path, "manifest.json");
  return new Uint8Array(await response.arrayBuffer());
}

let extras = null;   // Promise: NumPy's extras unpacked (ensureExtras)

/* NumPy's files that only teaching and training import (numpy.random, numpy.fft, ...:
   manifest.json's numpy_extras, a lazy .tar.gz made by build.py from what those paths
   read), fetched, checked, gunzipped and written into site-packages, once. Teaching and
   training await it before they first import pycore.datasets, pycore.teach or
   pycore.training (docs/architecture.md, "NumPy's extras"). */
function ensureExtras() {
  extras ??= (async () => {
    const path = (await readManifest("NumPy's extras")).numpy_extras;
    if (!path) return;   // a build whose teaching and training read nothing more
    const bytes = await fetchDataset(path);
    const tar = new Uint8Array(await new Response(new Blob([bytes]).stream()
      .pipeThrough(new DecompressionStream("gzip"))).arrayBuffer());
    untar(tar, sitePackages, path);
    // New folders (numpy/random, ...): every finder under site-packages forgets its listing.
    const scope = pyodide.toPy({ top: sitePackages });
    try {
      pyodide.runPython("import sys\nfor path, finder in list(sys.path_importer_cache.items()):\n"
        + "    if path.startswith(top) and finder is not None:\n        finder.invalidate_caches()\n",
      { globals: scope });
    } finally {
      scope.destroy();
    }
  })().catch((error) => {
    extras = null;   // tried again next time
    throw new Error(`NumPy's extras could not be loaded: ${error.message}`);
  });
  return extras;
}

/* Write the files of an uncompressed ustar archive (tar.js's readTar) under dir. */
function untar(tar, dir, file) {
  for (const { name, data } of self.readTar(tar, file)) {
    const path = `${dir}/${name}`;
    pyodide.FS.mkdirTree(path.slice(0, path.lastIndexOf("/")));
    pyodide.FS.writeFile(path, data);
  }
}

/* use(keep): every PyProxy passed through keep() is destroyed when use returns. */
function withProxies(use) {
  const proxies = [];
  const keep = (proxy) => {
    if (proxy !== undefined && proxy !== null && typeof proxy.destroy === "function") proxies.push(proxy);
    return proxy;
  };
  try {
    return use(keep);
  } finally {
    for (const proxy of proxies) proxy.destroy();
  }
}

/* The message of a Python exception, without the traceback. */
function pythonMessage(error) {
  const text = String(error?.message || error).trim();
  const lines = text.split("\n").filter((line) => line.trim());
  return lines.length ? lines[lines.length - 1] : text;
}

/* Copy a float32, C-contiguous NumPy array (what pycore returns to the page) out of the
   wasm heap as a Float32Array; the buffer view is released at once. */
function copyFloat32(array) {
  const view = array.getBuffer("f32");
  try {
    if (view.format !== "f" || !view.c_contiguous) throw new Error(`expected a C-contiguous float32 array, got ${view.format}`);
    return new Float32Array(view.data);
  } finally {
    view.release();
  }
}

/* One call into Python and one array back: every PyProxy crossing costs ~0.1 ms here. The
   reply's arrays are views of one buffer, transferred to the page without a copy. */
function classify(width, height, pixels, { activations = false, photo = false } = {}) {
  const t0 = performance.now();
  return withProxies((keep) => {
    const bytes = keep(pyodide.toPy(new Uint8Array(pixels)));
    const packed = keep(lessons.classifier.classify_pixels.callKwargs(bytes, height, width, { photo, activations }));
    if (packed === undefined || packed === null) return { blank: true };
    const flat = copyFloat32(packed);
    const parts = {};
    let at = 0;
    for (const [name, size] of layouts.get(activations)) {
      parts[name] = flat.subarray(at, at + size);
      at += size;
    }
    if (at !== flat.length) throw new Error(`classify_pixels gave ${flat.length} numbers, expected ${at}`);
    const { probabilities, image, timings: [preprocess, forward], verdict: [code, why], ...layers } = parts;
    const reply = { blank: false, probabilities, image, timings: { preprocess, forward },
      verdict: verdicts.names[code], reason: verdicts.reasons[why][1] };
    if (activations) reply.activations = layers;
    reply.timings.worker = performance.now() - t0;
    return reply;
  });
}

function stats() {
  return {
    wasmBytes: pyodide._module.HEAP8.buffer.byteLength,
    allocatedBlocks: sys.getallocatedblocks(),
  };
}

const started = start().then(
  (info) => {
    self.postMessage({ type: "ready", info });
    return true;
  },
  (error) => {
    const message = error instanceof StartError ? error.message
      : `Python could not start: ${pythonMessage(error)}`;
    self.postMessage({ type: "fatal", message });
    return false;
  },
);

self.onmessage = async (event) => {
  const request = event.data || {};
  const { id, type } = request;
  if (!(await started)) {
    self.postMessage({ id, type: "error", message: "Python did not start." });
    return;
  }
  try {
    if (type === "classify") {
      const reply = classify(request.width, request.height, request.pixels,
        { activations: Boolean(request.activations), photo: Boolean(request.photo) });
      self.postMessage({ id, type: "result", ...reply }, reply.blank ? [] : [reply.probabilities.buffer]);
    } else if (type === "kernels") {
      const filters = classifier.kernels();
      let kernels;
      try { kernels = copyFloat32(filters); } finally { filters.destroy(); }
      self.postMessage({ id, type: "kernels", kernels }, [kernels.buffer]);
    } else if (type === "stats") {
      self.postMessage({ id, type: "stats", ...stats() });
    } else if (type === "examples") {
      self.postMessage({ id, type: "taught", ...(await lessons.learn(request.images, request.labels)) });
    } else if (type === "check") {
      self.postMessage({ id, type: "check", ...lessons.check() });
    } else if (type === "leave-one-out") {
      self.postMessage({ id, type: "leave-one-out", right: lessons.leaveOneOut(request.index) });
    } else if (type === "dataset") {
      self.postMessage({ id, type: "dataset", path: request.path, ...(await lessons.summary(request.path)) });
    } else {
      self.postMessage({ id, type: "error", message: `unknown request type ${type}` });
    }
  } catch (error) {
    self.postMessage({ id, type: "error", message: pythonMessage(error) });
  }
};
