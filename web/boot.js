/* The drawing box's Python worker, started as soon as the page is parsed. index.html loads
   this module (and python.js) before app.js, whose twenty modules take several round trips
   to arrive: the worker's downloads and Python's start-up begin that much sooner
   (docs/performance.md). app.js takes the worker over with takeWorker; the progress it
   reported meanwhile is handed on then. */
import { PythonWorker } from "./python.js";

const reported = [];
let onProgress = (step) => reported.push(step);
// Without WebAssembly or Web Workers nothing starts here, and app.js says why.
const worker = typeof WebAssembly === "object" && typeof WebAssembly.instantiate === "function" &&
  typeof Worker === "function" ? new PythonWorker("worker.js", (step) => onProgress(step)) : null;

/* The worker (null when it could not be made), its progress from now on to `progress`. */
export function takeWorker(progress) {
  onProgress = progress;
  for (const step of reported.splice(0)) progress(step);
  return worker;
}
