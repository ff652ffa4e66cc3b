/* The page's side of worker.js: one worker, one ready promise, requests with ids and
   replies matched by id (Pyodide's worker pattern). Knows nothing of the page. */

export class PythonWorker {
  /* url: the worker script; onProgress({stage, stages, label}) while Python starts;
     onNotice(message): any other message without an id (the training worker's news);
     options: the Worker's ({name: "train"}: the training worker). */
  constructor(url, onProgress = () => {}, onNotice = () => {}, options = {}) {
    this.pending = new Map();    // id -> {resolve, reject}
    this.nextId = 1;
    this.worker = new Worker(url, options);
    this.ready = new Promise((resolve, reject) => {
      this.worker.onmessage = ({ data }) => {
        if (data.type === "progress") onProgress(data);
        else if (data.type === "ready") resolve(data.info);
        else if (data.type === "fatal") reject(new Error(data.message));
        else if (data.id === undefined) onNotice(data);
        else this.settle(data);
      };
      this.worker.onerror = (event) => {
        event.preventDefault();
        reject(new Error(`The Python worker (worker.js) could not start${event.message ? `: ${event.message}.` : "."}`));
      };
    });
  }

  settle(reply) {
    const waiting = this.pending.get(reply.id);
    if (!waiting) return;
    this.pending.delete(reply.id);
    if (reply.type === "error") waiting.reject(new Error(reply.message));
    else waiting.resolve(reply);
  }

  /* Resolves with the worker's reply of the same id, or rejects with its {error} message. */
  request(type, fields = {}, transfer = []) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, type, ...fields }, transfer);
    });
  }

  terminate() {
    this.worker.terminate();
    for (const { reject } of this.pending.values()) reject(new Error("The Python worker was stopped."));
    this.pending.clear();
  }
}
