/* The Python side of the page: Pyodide + NumPy + pycore in a Web Worker.

   Everything loads from this origin: ./pyodide/ (runtime, numpy as a .tar.gz, the pycore
   wheel, pyodide-lock.json), ./model/mnist-cnn.npz and, when asked for, ./data/*.npz. No
   Python source is built here; the worker imports the shipped pycore package and calls
   it with arguments. The page starts two: worker.js reads the drawings, and, when the user
   first trains, a worker.js named "train" trains a fresh network (training.js); that one
   starts Python, NumPy and pycore only, not the shipped network (startReading).

   Messages (docs/architecture.md, "The worker's messages", has them whole): worker -> page,
   no id: "progress"|"ready"|"fatal" while starting, and the training worker's "trained",
   "scored", "train-halted"; page -> worker, each with an id, the reply carrying it:
   "classify" (RGBA pixels in; probabilities, the 28x28 image, timings, the verdict and why,
   optionally the layers' outputs, as views of one transferred buffer), "classify-number"
   (number mode: pycore.number's packed array), "kernels", "stats",
   "dataset", "examples" (lessons.js), "check", "leave-one-out", "use-weights" (the network
   that reads the drawings), "train-*" (training.js); a failure is {id, type: "error"}.
*/
// biome-ignore lint/suspicious/noRedundantUseStrict: a classic script, not a module
"use strict";

// The wasm, the start's largest file, is asked for before anything else (gunzippingFetch
// below takes the response over).
const wasmAsked = performance.now();
const wasmRequest = fetch(new URL("pyodide/pyodide.asm.wasm.gz", self.location.href));
wasmRequest.catch(() => {});

// self.readTar; self.fetchVerified, fetchPackages, fetchSnapshot, lookUpSnapshot,
// gunzippingFetch, startDownloads, arrivesWithin, loadPyodideOrFail; self.withProxies and the other PyProxy
// helpers; self.Lessons (teaching), self.Trainer (training); self.useNovelty (the verdict's statistics).
// The built worker.js holds them in its place (build.py's inline_worker_scripts): no round trip each.
importScripts("tar.js", "fetching.js", "files.js", "proxies.js", "lessons.js", "training.js", "novelty.js");
const { withProxies, pythonMessage, copyFloat32, copyBytes } = self;

const BASE = new URL("./", self.location.href);
// manifest.json's lazy files and NumPy's extras (files.js)
const files = new self.WorkerFiles(BASE);
const fetchDataset = (path) => files.fetchDataset(path);
const ensureExtras = () => files.ensureExtras();
const RUNTIME = new URL("pyodide/", BASE).href;
const WEIGHTS = "model/mnist-cnn.npz";
const STATISTICS = "model/digit-features.npz";   // the verdict's, of the shipped network's features
// Python's memory right after start-up, made by build.py (make_snapshot): restoring it
// skips the interpreter's own start-up, the slowest part of loading. Restored when the
// service worker has cached it (a repeat visit), or when the wasm (3.1 MB gzipped) arrived
// within FAST_MS: on a phone's network the snapshot's 5.2 MB cost more time than starting
// the interpreter (docs/performance.md), and the service worker precaches it after the start.
const SNAPSHOT = `${RUNTIME}snapshot.bin.gz`;
const FAST_MS = 1000;   // the wasm in 1 s: at least 25 Mbps, the snapshot then in 1.7 s
const snapshotCached = self.lookUpSnapshot(SNAPSHOT);   // asked now, read at the choice
// build.py ships the wasm and the stdlib's zip gzipped (gzip_runtime): Pyodide's requests
// for them get the .gz, gunzipped.
const WASM = `${RUNTIME}pyodide.asm.wasm`;
const STDLIB = `${RUNTIME}python_stdlib.zip`;
self.fetch = self.gunzippingFetch(self.fetch.bind(self), { [WASM]: "application/wasm", [STDLIB]: "application/zip" },
  { [WASM]: wasmRequest });
const STAGES = 4;
// new Worker("worker.js", {name: "train"}): the training worker. (Not a ?role= query: a worker
// the service worker answers from its cache takes the cached response's URL, without it.)
const ROLE = self.name === "train" ? "train" : "read";

let pyodide = null;
let classifier = null;   // PyProxy of pycore.inference.Classifier, kept for the worker's life
let lessons = null;      // self.Lessons: what the user taught (its classifier reads the drawings)
let trainer = null;      // self.Trainer: the network trained in the page (role "train")
let trained = null;      // PyProxy of the Classifier "use-weights" gave: while set, it reads the drawings
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
  // (the weights and the verdict's statistics only for the worker that reads the drawings)
  const { packages, weights } = self.startDownloads(wasmArrived, RUNTIME,
    ROLE === "read" ? new URL(WEIGHTS, BASE).href : null, new URL("downloads.js", BASE));
  packages.catch(() => {});
  weights.catch(() => {});
  const statistics = ROLE === "read" ? wasmArrived.then(() => fetch(new URL(STATISTICS, BASE))) : null;
  statistics?.catch(() => {});
  let snapshot = null;
  try {
    importScripts(`${RUNTIME}pyodide.js`);
    if ((await snapshotCached) || (await self.arrivesWithin(wasmArrived, FAST_MS, wasmAsked))) {
      snapshot = self.fetchSnapshot(SNAPSHOT);
    }
    pyodide = await self.loadPyodideOrFail(loadPyodide,
      { indexURL: RUNTIME, fullStdLib: false, ...(snapshot && { _loadSnapshot: snapshot }) });
    // Every page restores the same memory: give Python's random module its own seed.
    const random = pyodide.pyimport("random");
    random.seed();
    random.destroy();
  } catch (error) {
    throw new StartError(`The Python runtime (pyodide/) could not be loaded: ${error.message || error}`);
  }

  progress(2, "Loading NumPy and the network code");
  try {
    // Unpacked into site-packages; numpy's C extensions load when imported, and only
    // those numpy imports (loadPackage would instantiate all 19 first).
    sys = pyodide.pyimport("sys");
    sitePackages = withProxies((keep) => keep(keep(pyodide.pyimport("site")).getsitepackages()).get(0));
    files.attach(pyodide, sitePackages);
    for (const { file, format, bytes } of await packages) {
      if (format === "tar") files.untar(bytes, sitePackages, file);
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

  trainer = new self.Trainer({ pyodide, fetchDataset, ensureExtras, withProxies, pythonMessage, copyFloat32,
    copyBytes, post: (message, transfer) => self.postMessage(message, transfer) });
  const info = {
    pyodide: pyodide.version, python: sys.version.split(" ")[0],
    numpy: withProxies((keep) => keep(pyodide.pyimport("numpy")).__version__),
    startMs: 0, stageMs: {},
    snapshot: snapshot !== null,   // restored from the start-up snapshot (a repeat visit, a fast network)
    role: ROLE, trainSettings: trainer.table(),
  };
  // A training worker is ready now: it never reads drawings, so it needs no weights.
  if (ROLE === "read") await startReading(info, weights, statistics);
  info.startMs = performance.now() - t0;
  stageStarts.push(performance.now());
  ["runtime", "packages", "weights", "warmup"].slice(0, stageStarts.length - 1).forEach((name, i) => {
    info.stageMs[name] = stageStarts[i + 1] - stageStarts[i];
  });
  return info;
}

/* The reading worker's stages 3 and 4: the shipped network (weights, the verdict's
   statistics), the lessons it learns from, and one prediction to warm up; what the page
   needs of it goes into info (maps, number, novelty). */
async function startReading(info, weights, statistics) {
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
  const novelty = await self.useNovelty({ pyodide, withProxies, pythonMessage }, classifier, STATISTICS, statistics, bytes);

  lessons = new self.Lessons({ pyodide, classifier, fetchDataset, ensureExtras, withProxies, pythonMessage });

  progress(4, "Warming up");
  layouts = new Map([false, true].map((activations) =>
    [activations, withProxies((keep) => keep(classifier.packed_layout(activations)).toJs())]));
  verdicts = withProxies((keep) => {
    const module = keep(pyodide.pyimport("pycore.verdict"));
    return { names: keep(module.VERDICTS).toJs(), reasons: keep(module.REASONS).toJs() };
  });
  Object.assign(info, {
    maps: withProxies((keep) => keep(classifier.map_shapes()).toJs({ dict_converter: Object.fromEntries })),
    number: withProxies((keep) => keep(classifier.number_layout()).toJs({ dict_converter: Object.fromEntries })),
    novelty,   // "" when the verdict's statistics are in use, else why not (novelty.js)
  });
  // One prediction on a small synthetic stroke, so the first real one is not slow: black
  // on transparent, like the page's input canvas.
  const size = 56;
  const warm = new Uint8ClampedArray(size * size * 4);
  for (let y = 14; y < 42; y++) {
    for (let x = 26; x < 30; x++) warm[(y * size + x) * 4 + 3] = 255;
  }
  classify(size, size, warm.buffer);
}

/* "use-weights": bytes of a pycore.weights file (the network being trained) read the
   drawings from now on; null: the shipped network (or what was taught) again. */
function useWeights(bytes) {
  const next = bytes ? withProxies((keep) => {
    try {
      return keep(keep(pyodide.pyimport("pycore.inference")).Classifier).from_bytes(keep(pyodide.toPy(bytes)));
    } catch (error) {
      throw new Error(`those weights cannot read drawings: ${pythonMessage(error)}`);
    }
  }) : null;
  trained?.destroy();
  trained = next;
  return trained !== null;
}

/* One call into Python and one array back: every PyProxy crossing costs ~0.1 ms here. The
   reply's arrays are views of one buffer, transferred to the page without a copy. */
function classify(width, height, pixels, { activations = false, photo = false } = {}) {
  const t0 = performance.now();
  return withProxies((keep) => {
    const bytes = keep(pyodide.toPy(new Uint8Array(pixels)));
    const packed = keep((trained ?? lessons.classifier).classify_pixels.callKwargs(bytes, height, width, { photo, activations }));
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
  if (ROLE === "train" && type !== "stats" && !String(type).startsWith("train-")) {   // no startReading
    self.postMessage({ id, type: "error", message: `a training worker takes train-* and stats requests, not ${type}` });
    return;
  }
  try {
    if (type === "classify") {
      const reply = classify(request.width, request.height, request.pixels,
        { activations: Boolean(request.activations), photo: Boolean(request.photo) });
      self.postMessage({ id, type: "result", ...reply }, reply.blank ? [] : [reply.probabilities.buffer]);
    } else if (type === "classify-number") {   // number mode: the array as number.js's readNumber reads it
      const packed = withProxies((keep) => copyFloat32(keep((trained ?? lessons.classifier).classify_number_pixels
        .callKwargs(keep(pyodide.toPy(new Uint8Array(request.pixels))), request.height, request.width,
          { photo: Boolean(request.photo) }))));
      self.postMessage({ id, type: "number", packed }, [packed.buffer]);
    } else if (type === "kernels") {
      const filters = (trained ?? classifier).kernels();
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
    } else if (type === "use-weights") {
      self.postMessage({ id, type, trained: useWeights(request.bytes) });
    } else if (String(type).startsWith("train-") && (ROLE === "train" || type === "train-settings")) {
      const { reply, transfer = [] } = await trainer.handle(request);
      self.postMessage({ id, type, ...reply }, transfer);
    } else if (type === "dataset") {
      self.postMessage({ id, type: "dataset", path: request.path, ...(await lessons.summary(request.path)) });
    } else {
      self.postMessage({ id, type: "error", message: `unknown request type ${type}` });
    }
  } catch (error) {
    self.postMessage({ id, type: "error", message: pythonMessage(error) });
  }
};
