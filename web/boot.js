/* The drawing box's Python worker, started as soon as the page is parsed. index.html loads
   this module (and python.js) before app.js, whose twenty modules take several round trips
   to arrive: the worker's downloads and Python's start-up begin that much sooner
   (docs/performance.md). app.js takes the worker over with takeWorker; the progress it
   reported meanwhile is handed on then. */
import { PythonWorker } from "./python.js";

const reported = [];
let onProgress = (step) => reported.push(step);

/* Why the in-page Python cannot run in this browser, or null: then nothing starts here, and
   app.js shows this. */
export const missing =
  typeof WebAssembly !== "object" || typeof WebAssembly.instantiate !== "function"
    ? "This browser cannot run WebAssembly, which the in-page Python needs. " +
      "Try a current Chrome, Edge, Firefox or Safari (and check that WebAssembly is not disabled)."
    : typeof Worker !== "function"
      ? "This browser cannot run Web Workers, which the in-page Python needs."
      : null;
const worker = missing ? null : new PythonWorker("worker.js", (step) => onProgress(step));

/* The worker (null when `missing` says why not), its progress from now on to `progress`. */
export function takeWorker(progress) {
  onProgress = progress;
  for (const step of reported.splice(0)) progress(step);
  return worker;
}
