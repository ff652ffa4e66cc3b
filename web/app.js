/* The page's controller: it makes the parts and wires them; no part reaches into another's
   state. The main thread never runs Python: the drawing pad's pixels go to the worker
   (worker.js, through python.js) and the replies are rendered. The page contract that the
   tests and outside harnesses rely on is in docs/architecture.md. */

import { loadFacts } from "./about.js";
import { Cropper } from "./crop.js";
import { Inside } from "./inside.js";
import { NumberMode, readNumber } from "./number.js";
import { Offline } from "./offline.js";
import { DrawingPad } from "./pad.js";
import { Pictures } from "./pictures.js";
import { missing, takeWorker } from "./boot.js";
import { Results } from "./results.js";
import { PredictionScheduler } from "./scheduler.js";
import { Status } from "./status.js";
import { ExampleStore } from "./store.js";
import { Teaching } from "./teach.js";
import { TrainingTeam, teamSize } from "./team.js";
import { Training } from "./train.js";

const LIVE_INTERVAL_MS = 60;   // at most ~16 live predictions a second while drawing
// The page asks for the layers' outputs with each prediction (the Inside section); the plain
// path (mnistDraw.classify, predictNow({activations: false})) does not, so that
// bench/browser.py can compare the two.
const SHOW_ACTIVATIONS = true;

const $ = (selector) => document.querySelector(selector);
const body = document.body;
const offline = new Offline({ notice: $("#update"), reload: $("#update-reload") });
const status = new Status();
const results = new Results();
const inside = new Inside($("#inside"));
const pad = new DrawingPad($("#draw"), $("#network-input"));
const hint = $("#hint");
const undoButton = $("#undo");
const clearButton = $("#clear");
let python = null;            // the PythonWorker, once Python is ready
let workerInfo = null;        // what the worker reported when it started

const teaching = new Teaching({
  elements: {
    button: $("#teach"), choice: $("#teach-choice"), panel: $("#teaching"), status: $("#teach-status"),
    list: $("#examples"), message: $("#teach-message"), exportButton: $("#export"),
    importButton: $("#import"), importInput: $("#import-file"), forget: $("#forget"),
  },
  store: new ExampleStore(),
  ask: (type, fields, transfer) => python.request(type, fields, transfer),
  adapted: () => {
    if (!pad.isEmpty) scheduler.request(true);   // the drawing read again by the adapted network
  },
});

// Train it yourself: a second worker trains a fresh network; the drawing box may read with it.
const training = new Training({
  section: $("#train"),
  makeWorker: (onNotice) => TrainingTeam.start(teamSize(), onNotice),
  ask: (type, fields, transfer) => python.request(type, fields, transfer),
  onReader: (trained, switched) => {
    $("#reader").hidden = !trained;
    if (!pad.isEmpty) scheduler.request(switched);      // re-read at once when switching
    python.request("kernels").then(({ kernels }) => inside.showKernels(kernels), () => {});
  },
});

// Number mode: the box widened, several digits read side by side (a "classify-number" request).
const numberMode = new NumberMode({ button: $("#mode-number"), panel: $("#number-result"), pad });

const pictures = new Pictures({
  button: $("#open"), input: $("#file"), message: $("#file-message"),
  onPicture: (bitmap) => pad.openPicture(bitmap),
});
const cropper = new Cropper({
  button: $("#crop"), box: $(".draw-box"), area: $("#crop-area"), pad,
  say: (text, isError) => pictures.say(text, isError),
});

async function predict(image, activations = SHOW_ACTIVATIONS) {
  const started = performance.now();
  const reply = numberMode.on ? await python.request("classify-number", image, [image.pixels])
    : await python.request("classify", { ...image, activations }, [image.pixels]);
  return { reply, started };
}

function render(reply, started) {
  if (reply.type === "number") {
    numberMode.show(reply);
    results.counted();
    return;
  }
  if (reply.blank) {
    showBlank();
    return;
  }
  results.show(reply, started);
  if (reply.activations) inside.show(reply.activations);
  teaching.setCurrent(reply.image, () => pad.toData().strokes);
}

function showBlank() {
  results.clear();
  numberMode.clear();
  inside.clear();
  teaching.setCurrent(null);
}

const scheduler = new PredictionScheduler({
  interval: LIVE_INTERVAL_MS,
  predict: () => predict(pad.snapshot()),
  show: ({ reply, started }, final) => {
    render(reply, started);
    if (final && reply.type === "number") numberMode.announce();
    else if (final) results.announce(reply);
  },
  fail: (error) => results.failed(error),
  onBusy: (busy) => {
    body.dataset.busy = String(busy);
  },
});

pad.addEventListener("change", ({ detail: { reason } }) => {
  undoButton.disabled = !pad.canUndo;
  cropper.update();
  if (reason === "stroke" || reason === "stroke-end") {
    hint.textContent = "";
    scheduler.request(reason === "stroke-end");   // a prediction always follows a stroke's end
    return;
  }
  scheduler.drop();             // replies for what was on the canvas before are not shown
  if (reason === "clear") {
    showBlank();
    results.forgetAnnouncement();
  } else if (reason === "picture" || reason === "crop") {
    hint.textContent = "";
    scheduler.request(true);
  } else if (pad.isEmpty) {     // an undo that left nothing
    pictures.say("");
    showBlank();
    results.announce({ blank: true });
  } else {                      // an undo
    pictures.say("");
    scheduler.request(true);
  }
});

function undo() {
  if (!pad.undo()) return;
  // a disabled button cannot keep the focus: hand it to Clear, not to the page
  if (!pad.canUndo && document.activeElement === undoButton) clearButton.focus();
}

clearButton.addEventListener("click", () => pad.clear());
undoButton.addEventListener("click", undo);
document.addEventListener("keydown", (event) => {
  const target = event.target;
  if (target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement ||
      target instanceof HTMLSelectElement || target?.isContentEditable) return;
  const key = event.key;
  if ((event.ctrlKey || event.metaKey) && !event.shiftKey && !event.altKey && key.toLowerCase() === "z") {
    event.preventDefault();
    undo();
  } else if ((key === "Escape" || key === "Delete") && !event.ctrlKey && !event.metaKey && !event.altKey) {
    event.preventDefault();
    pad.clear();
  }
});

async function start() {
  showBlank();
  const worker = takeWorker((step) => status.progress(step));   // started by boot.js
  if (!worker) {
    status.fail(missing);
    return;
  }
  try {
    workerInfo = await worker.ready;
  } catch (error) {
    worker.terminate();
    status.fail(error.message);
    return;
  }
  python = worker;
  performance.mark("mnist-ready");
  inside.layout(workerInfo.maps);
  numberMode.start(workerInfo.number);
  $("#versions").textContent = `Python ${workerInfo.python}, NumPy ${workerInfo.numpy}, ` +
    `Pyodide ${workerInfo.pyodide}; started in ${(workerInfo.startMs / 1000).toFixed(1)} s.`;
  status.ready("Ready: draw a digit.");
  scheduler.start();
  python.request("kernels").then(({ kernels }) => inside.showKernels(kernels),
    () => {});   // the filters are an extra: predictions work without them
  offline.register();
  teaching.start();
  training.setup(workerInfo.trainSettings);
}

/* For tests and the browser benchmark: one end-to-end prediction of the current drawing
   (resolves after it is rendered; {activations: false} skips the layers' outputs, as
   bench/browser.py compares), the worker's answer for given pixels (not rendered; a
   number's too, read by readNumber), the
   workers' memory figures, what the worker reported when it started, of the last lesson
   (bench/teaching.py), and the training settings in use. */
window.mnistDraw = Object.freeze({
  get info() {
    return workerInfo;
  },
  get lesson() {                 // what the worker said of the last lesson: {count, ms, check, ...}
    return teaching.facts ?? null;
  },
  async classify(width, height, pixels, { activations = false, photo = false } = {}) {
    if (!python) throw new Error("not ready");
    return python.request("classify", { width, height, pixels, activations, photo }, [pixels]);
  },
  async classifyNumber(width, height, pixels) {   // number mode's answer for given pixels (bench/numbers.py)
    if (!python) throw new Error("not ready");
    const { packed } = await python.request("classify-number", { width, height, pixels }, [pixels]);
    return readNumber(packed, workerInfo.number);
  },
  async predictNow({ activations = SHOW_ACTIVATIONS } = {}) {
    if (!python) throw new Error("not ready");
    const { reply, started } = await predict(pad.snapshot(), activations);
    render(reply, started);
    return { blank: reply.blank, ...(reply.blank ? {} : results.lastEndToEnd) };
  },
  async workerStats() {
    if (!python) throw new Error("not ready");
    const { wasmBytes, allocatedBlocks } = await python.request("stats");
    return { wasmBytes, allocatedBlocks };
  },
  trainStats: () => training.stats(),   // the same figures of the training worker
  get trainSettings() {                  // the training settings in use, as pycore checked them
    return training.settings;
  },
});

// The About section's facts and charts are drawn once Python has started (or failed to):
// drawing them while the worker starts would compete with it for the CPU.
start().finally(() => loadFacts());
