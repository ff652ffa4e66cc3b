/* The training workers as one: data-parallel training in the page (pycore.training's Session
   parts). Each worker holds the same network and takes the same steps, each computing the
   gradient of its share of every batch; the two talk over a MessageChannel of their own, so
   the page's thread carries none of it. The first worker leads: it answers the page's
   requests and posts the news; the others follow its steps (web/training.js, "together").

   Speaks like a PythonWorker (request, terminate), so the Training section need not know how
   many workers there are. */

import { PythonWorker } from "./python.js";

/* How many workers train: two where there are two cores or more (each a core's worth of
   NumPy, which has no threads in the browser), else one. */
export function teamSize(cores = navigator.hardwareConcurrency || 1) {
  return cores >= 2 ? 2 : 1;
}

export class TrainingTeam {
  /* workers: started PythonWorkers of worker.js named "train"; the first leads. */
  constructor(workers) {
    this.workers = workers;
  }

  /* Starts them all (onNotice: the leader's news, and any part's "train-halted"). */
  static async start(size, onNotice) {
    const workers = [];
    try {
      for (let part = 0; part < size; part++) {
        workers.push(new PythonWorker("worker.js", () => {}, part === 0 ? onNotice
          : (notice) => { if (notice.type === "train-halted") onNotice(notice); }, { name: "train" }));
      }
      await Promise.all(workers.map((worker) => worker.ready));
    } catch (error) {
      for (const worker of workers) worker.terminate();
      throw error;
    }
    return new TrainingTeam(workers);
  }

  get size() {
    return this.workers.length;
  }

  /* "train-start" goes to every worker, with its part and a port to the other; anything
     else to the leader. Resolves with the leader's reply. */
  async request(type, fields = {}, transfer = []) {
    const [leader, ...others] = this.workers;
    if (type !== "train-start" || others.length === 0) return leader.request(type, fields, transfer);
    const channel = new MessageChannel();             // two parts: one channel between them
    const parts = this.workers.length;
    const replies = this.workers.map((worker, part) => {
      const port = part === 0 ? channel.port1 : channel.port2;
      return worker.request(type, { ...fields, part, parts, port }, [port]);
    });
    return (await Promise.all(replies))[0];
  }

  terminate() {
    for (const worker of this.workers) worker.terminate();
  }
}
