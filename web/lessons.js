/* Teaching, in the worker: pycore.teach.Tutor adapts the shipped network to the user's
   examples. A classic script that worker.js loads (importScripts); it is given what it
   uses and keeps no other state of the worker's.

   The Tutor needs the replay sample and the check set (data/mnist-replay.npz and
   data/mnist-check.npz, fetched the first time there is something to learn, never on a first
   visit) and NumPy's extras (ensureExtras: numpy.random and the rest only learning imports). Their features are prepared a slice at a time, each slice a task of its own, so
   that the predictions asked for meanwhile are answered between slices. */

self.Lessons = class Lessons {
  /* pyodide, the shipped classifier (a PyProxy), fetchDataset(path) -> Uint8Array,
     ensureExtras() (NumPy's extras, see worker.js), withProxies(use) (see worker.js),
     pythonMessage(error) -> text */
  constructor({ pyodide, classifier, fetchDataset, ensureExtras, withProxies, pythonMessage }) {
    Object.assign(this, { pyodide, shipped: classifier, fetchDataset, ensureExtras, withProxies, pythonMessage });
    this.tutor = null;          // PyProxy of the Tutor, once made
    this.making = null;         // Promise of it, while the data files load
    this.adapted = null;        // PyProxy of tutor.classifier while examples are in use
  }

  /* The Classifier every prediction uses: the adapted one, or the shipped one. */
  get classifier() {
    return this.adapted ?? this.shipped;
  }

  async tutorReady() {
    this.making ??= this.make().catch((error) => {
      this.making = null;       // tried again at the next lesson
      throw error;
    });
    return this.making;
  }

  async make() {
    const [replay, check] = await Promise.all(
      ["data/mnist-replay.npz", "data/mnist-check.npz"].map((path) => this.fetchDataset(path))
        .concat(this.ensureExtras()));
    const tutor = this.withProxies((keep) => {
      const datasets = keep(this.pyodide.pyimport("pycore.datasets"));
      const teach = keep(this.pyodide.pyimport("pycore.teach"));
      const [replaySet, checkSet] = [replay, check].map((bytes, n) => {
        try {
          return keep(datasets.from_bytes(keep(this.pyodide.toPy(bytes))));
        } catch (error) {
          const path = n ? "data/mnist-check.npz" : "data/mnist-replay.npz";
          throw new Error(`${path} is not a usable data file: ${this.pythonMessage(error)}`);
        }
      });
      const made = teach.Tutor(this.shipped, keep(replaySet.floats()), keep(replaySet.labels));
      made.set_check(keep(checkSet.floats()), keep(checkSet.labels));
      return made;
    });
    // the replay's and the check set's features, a slice per task
    while (tutor.prepare(40) > 0) await new Promise((resolve) => setTimeout(resolve, 0));
    this.shippedCheck = this.withProxies((keep) => keep(tutor.check()).toJs());   // nothing taught yet
    this.tutor = tutor;
    return tutor;
  }

  /* images: Uint8Array of n 28×28 images (0-255), labels: n digits. Adapts the shipped
     network to them from scratch (none: the shipped network again, exactly); resolves with
     {count, ms}: how many are in use, and the worker's time for the adaptation. */
  async learn(images, labels) {
    if (!labels.length) {
      this.tutor?.forget();
      this.setAdapted(null);
      return { count: 0, ms: 0 };
    }
    const tutor = await this.tutorReady();
    const t0 = performance.now();
    this.withProxies((keep) => {
      const datasets = keep(this.pyodide.pyimport("pycore.datasets"));
      const floats = keep(datasets.page_images(keep(this.pyodide.toPy(images)), labels.length));
      keep(tutor.set_examples(floats, keep(this.pyodide.toPy(labels))));
    });
    const ms = performance.now() - t0;
    this.setAdapted(tutor.classifier);
    return { count: labels.length, ms };
  }

  /* The MNIST check set read by the network in use and by the shipped one: {check:
     [right, total], shippedCheck: [right, total]} (null before the first lesson). */
  check() {
    if (!this.tutor) return { check: null, shippedCheck: null };
    const check = this.withProxies((keep) => keep(this.tutor.check()).toJs());
    return { check, shippedCheck: this.shippedCheck };
  }

  setAdapted(proxy) {
    this.adapted?.destroy();
    this.adapted = proxy;
  }

  /* Whether example index is read right by a network adapted on the others. */
  leaveOneOut(index) {
    if (!this.tutor) throw new Error("nothing has been taught");
    return Boolean(this.tutor.leave_one_out_at(index));
  }

  /* The "dataset" request: a data file fetched and read by pycore.datasets; how many images
     it holds, and of each digit. */
  async summary(path) {
    const [bytes] = await Promise.all([this.fetchDataset(path), this.ensureExtras()]);
    return this.withProxies((keep) => {
      const datasets = keep(this.pyodide.pyimport("pycore.datasets"));
      let dataset;
      try {
        dataset = keep(datasets.from_bytes(keep(this.pyodide.toPy(bytes))));
      } catch (error) {
        throw new Error(`${path} is not a usable data file: ${this.pythonMessage(error)}`);
      }
      return { count: dataset.length, classes: keep(dataset.class_counts()).toJs() };
    });
  }
};
