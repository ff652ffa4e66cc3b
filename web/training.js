/* Train it yourself, in the worker: pycore.training.Session trains a fresh network of the
   shipped architecture on data/mnist-train.npz and scores it on data/mnist-check.npz (both
   fetched when training first starts, never on a first visit). A classic script that
   worker.js loads (importScripts); it is given what it uses and keeps no other state of the
   worker's. The page runs it in a worker of its own (worker.js named "train"), so the drawing
   box's worker keeps answering.

   Training goes in slices of SLICE_SECONDS, each a task of its own: pause, new settings and
   requests for the weights are answered between slices. After each slice it posts
   {type: "trained", images, epoch, rate, loss, batches, accuracy}; now and then it scores the
   network and posts {type: "scored", images, accuracy, right, filters, ms}; a training that
   stops by itself (a diverged loss) posts {type: "train-halted", message, diverged}. */

const TRAIN_FILE = "data/mnist-train.npz";
const CHECK_FILE = "data/mnist-check.npz";
const SLICE_SECONDS = 0.25;
const SHOWN_DIGITS = 100;        // the scoring set's first images, which the page shows
const SCORING_SHARE = 0.1;       // scoring takes about this share of the time at most ...
const SCORING_EVERY_MS = 2000;   // ... and comes at most this often

self.Trainer = class Trainer {
  /* pyodide; fetchDataset(path) -> Uint8Array; withProxies(use), pythonMessage(error),
     copyFloat32(array), copyBytes(array) (see worker.js); post(message, transfer) */
  constructor(helpers) {
    Object.assign(this, helpers);
    this.data = null;          // Promise of {train, check}: the two Datasets (PyProxies), kept
    this.session = null;       // PyProxy of the Session being trained
    this.run = 0;              // bumped by each start: an older run's loop ends
    this.paused = false;
    this.wake = null;          // resolves a paused loop's wait
  }

  /* pycore.training.SETTINGS as {name: {value, low, high, label}}: what the page's form offers. */
  table() {
    return this.withProxies((keep) => {
      const rows = keep(keep(this.pyodide.pyimport("pycore.training")).SETTINGS).toJs({ dict_converter: Object.fromEntries });
      return Object.fromEntries(Object.entries(rows).map(([name, [value, low, high, label]]) =>
        [name, { value, low, high, label }]));
    });
  }

  /* The requests "train-start", "train-pause", "train-resume", "train-settings" and
     "train-weights": resolves with {reply, transfer}. */
  async handle(request) {
    const { type } = request;
    if (type === "train-settings") return { reply: { settings: this.configure(request.settings, request.current) } };
    if (type === "train-start") {
      const reply = await this.start(request.settings ?? {}, request.seed ?? 0);
      return { reply, transfer: [reply.digits.buffer] };
    }
    if (!this.session) throw new Error("no network is being trained: start first");
    if (type === "train-pause") {
      this.paused = true;
      return { reply: { images: this.session.images_seen } };
    }
    if (type === "train-resume") {
      this.paused = false;
      this.wake?.();
      return { reply: {} };
    }
    if (type === "train-weights") {
      const bytes = this.withProxies((keep) => this.copyBytes(keep(this.session.weights_bytes())));
      return { reply: { bytes }, transfer: [bytes.buffer] };
    }
    throw new Error(`unknown request type ${type}`);
  }

  /* settings applied to the network being trained, or (none yet) checked against current:
     the full settings in use; a refused one raises pycore's SettingsError message. */
  configure(settings, current) {
    return this.withProxies((keep) => {
      try {
        const done = this.session ? keep(this.session.configure.callKwargs(settings))
          : keep(keep(this.pyodide.pyimport("pycore.training")).check_settings(
            keep(this.pyodide.toPy(settings)), keep(this.pyodide.toPy(current ?? {}))));
        return done.toJs({ dict_converter: Object.fromEntries });
      } catch (error) {     // pycore's sentence, without "pycore.training.SettingsError: "
        throw new Error(this.pythonMessage(error).replace(/^[\w.]*SettingsError: /, ""));
      }
    });
  }

  loadData() {
    this.data ??= Promise.all([TRAIN_FILE, CHECK_FILE].map((path) => this.fetchDataset(path)))
      .then((files) => this.withProxies((keep) => {
        const datasets = keep(this.pyodide.pyimport("pycore.datasets"));
        const [train, check] = files.map((bytes, n) => {
          try {
            return datasets.from_bytes(keep(this.pyodide.toPy(bytes)));
          } catch (error) {
            throw new Error(`${n ? CHECK_FILE : TRAIN_FILE} is not a usable data file: ${this.pythonMessage(error)}`);
          }
        });
        return { train, check };
      }))
      .catch((error) => {
        this.data = null;        // tried again at the next start
        throw error;
      });
    return this.data;
  }

  /* A fresh network (any earlier one dropped) trained from now on; resolves with the
     settings in use, the first SHOWN_DIGITS images of the scoring set (Uint8Array, 28×28
     each) and their labels, and how many images there are to train on and to score. */
  async start(settings, seed) {
    const run = ++this.run;
    this.paused = false;
    this.wake?.();
    const { train, check } = await this.loadData();
    if (run !== this.run) throw new Error("started again meanwhile");
    this.session?.destroy();
    this.session = null;
    const reply = this.withProxies((keep) => {
      const training = keep(this.pyodide.pyimport("pycore.training"));
      const [images, labels, checkImages, checkLabels] = [train, check].flatMap((set) => [keep(set.images), keep(set.labels)]);
      this.session = training.Session(images, labels, checkImages, checkLabels, seed, keep(this.pyodide.toPy(settings)));
      const shown = this.copyBytes(checkImages).slice(0, SHOWN_DIGITS * 28 * 28);
      return { settings: keep(this.session.settings).toJs({ dict_converter: Object.fromEntries }), digits: shown,
        labels: keep(checkLabels.tolist()).toJs().slice(0, SHOWN_DIGITS), count: train.length, checkCount: check.length };
    });
    this.loop(run);
    return reply;
  }

  async loop(run) {
    let scoredAt = performance.now();
    let every = SCORING_EVERY_MS;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 0));   // messages are answered here
      if (run !== this.run) return;
      if (this.paused) {
        await new Promise((resolve) => { this.wake = resolve; });
        this.wake = null;
        continue;
      }
      try {
        this.post({ type: "trained", ...this.slice() });
      } catch (error) {
        this.run += 1;           // this run is over; the page may start again
        this.post({ type: "train-halted", message: this.pythonMessage(error).replace(/^FloatingPointError: /, ""),
          diverged: error?.type === "FloatingPointError" });
        return;
      }
      if (performance.now() - scoredAt >= every) {
        const scored = this.score();
        every = Math.max(SCORING_EVERY_MS, scored.ms / SCORING_SHARE);
        scoredAt = performance.now();
        this.post({ type: "scored", ...scored }, [scored.right.buffer, scored.filters.buffer]);
      }
    }
  }

  /* One slice: one call into Python, one dict back. */
  slice() {
    return this.withProxies((keep) => {
      const progress = keep(this.session.train(SLICE_SECONDS)).toJs({ dict_converter: Object.fromEntries });
      return { ...progress, accuracy: progress.accuracy ?? null };
    });
  }

  /* The scoring set read by the network as it is now: accuracy, right (Uint8Array, 1 where
     read right), the first layer's filters (Float32Array(20*5*5)) and the time it took. */
  score() {
    const t0 = performance.now();
    return this.withProxies((keep) => {
      const result = keep(this.session.evaluate());
      const right = this.copyBytes(keep(result.get("right")));
      const filters = this.copyFloat32(keep(this.session.filters()));
      return { images: this.session.images_seen, accuracy: result.get("accuracy"), right, filters,
        ms: performance.now() - t0 };
    });
  }
};
