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
  /* pyodide; fetchDataset(path) -> Uint8Array; ensureExtras() (NumPy's extras, files.js);
     withProxies(use), pythonMessage(error),
     copyFloat32(array), copyBytes(array) (see worker.js); post(message, transfer) */
  constructor(helpers) {
    Object.assign(this, helpers);
    this.data = null;          // Promise of {train, check}: the two Datasets (PyProxies), kept
    this.session = null;       // PyProxy of the Session being trained
    this.run = 0;              // bumped by each start: an older run's loop ends
    this.paused = false;
    this.wake = null;          // resolves a paused loop's wait
    // Data-parallel training (several workers, Session parts): the port to the other
    // worker, its messages not yet taken, a step waiting for one, and the leader's (part 0)
    // settings for the next step boundary.
    this.part = 0;
    this.parts = 1;
    this.port = null;
    this.inbox = [];
    this.waiting = null;
    this.pending = null;
    this.slicing = null;       // the leader's slice in progress (a pause waits for its step)
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
      const { part = 0, parts = 1, port = null } = request;
      const reply = await this.start(request.settings ?? {}, request.seed ?? 0, { part, parts, port });
      return { reply, transfer: [reply.digits.buffer] };
    }
    if (!this.session) throw new Error("no network is being trained: start first");
    if (type === "train-pause") {
      this.paused = true;
      await this.slicing;        // in parts, a slice waits for the other part: its step ends first
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
        if (this.session && this.parts > 1) {
          // checked now, taken by every part at the same step boundary (see together)
          const checked = keep(keep(this.pyodide.pyimport("pycore.training")).check_settings(
            keep(this.pyodide.toPy(settings)), keep(this.pyodide.toPy(this.pending ?? this.currentSettings()))));
          this.pending = checked.toJs({ dict_converter: Object.fromEntries });
          return this.pending;
        }
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
    // NumPy's extras (numpy.random, numpy.fft: the Session draws and convolves with them)
    this.data ??= Promise.all([...[TRAIN_FILE, CHECK_FILE].map((path) => this.fetchDataset(path)), this.ensureExtras()])
      .then((loaded) => loaded.slice(0, 2))
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
  async start(settings, seed, { part, parts, port }) {
    const run = ++this.run;
    this.paused = false;
    this.wake?.();
    this.join(part, parts, port);
    const { train, check } = await this.loadData();
    if (run !== this.run) throw new Error("started again meanwhile");
    this.session?.destroy();
    this.session = null;
    const reply = this.withProxies((keep) => {
      const training = keep(this.pyodide.pyimport("pycore.training"));
      const [images, labels, checkImages, checkLabels] = [train, check].flatMap((set) => [keep(set.images), keep(set.labels)]);
      this.session = training.Session.callKwargs(images, labels, checkImages, checkLabels,
        { seed, settings: keep(this.pyodide.toPy(settings)), part, parts });
      const shown = this.copyBytes(checkImages).slice(0, SHOWN_DIGITS * 28 * 28);
      return { settings: keep(this.session.settings).toJs({ dict_converter: Object.fromEntries }), digits: shown,
        labels: keep(checkLabels.tolist()).toJs().slice(0, SHOWN_DIGITS), count: train.length, checkCount: check.length };
    });
    this.loop(run);
    return reply;
  }

  currentSettings() {
    return this.withProxies((keep) => keep(this.session.settings).toJs({ dict_converter: Object.fromEntries }));
  }

  /* This worker is part `part` of `parts`, talking to the other over `port` (null: alone). */
  join(part, parts, port) {
    this.port?.close();
    this.waiting?.(null);         // an older run's step waiting for the other worker ends
    Object.assign(this, { part, parts, port, inbox: [], waiting: null, pending: null });
    if (port) {
      port.onmessage = ({ data }) => {
        if (this.waiting) this.waiting(data);
        else this.inbox.push(data);
      };
    }
  }

  /* The other worker's next message of one of these kinds ("share": its share of a step;
     "score": the leader asks for a share of scoring; "right": that share), or null when this
     run ended. Messages of other kinds wait in the inbox, in order. */
  partner(kinds) {
    const at = this.inbox.findIndex((data) => kinds.includes(data.kind));
    if (at >= 0) return Promise.resolve(this.inbox.splice(at, 1)[0]);
    return new Promise((resolve) => {
      this.waiting = (data) => {
        if (data !== null && !kinds.includes(data.kind)) {
          this.inbox.push(data);
          return;
        }
        this.waiting = null;
        resolve(data);
      };
    });
  }

  /* The other part's share of this step; a part other than the leader scores its share of the
     scoring set meanwhile whenever the leader asks. */
  async otherShare() {
    for (;;) {
      const data = await this.partner(["share", "score"]);
      if (data?.kind !== "score") return data;
      const right = this.withProxies((keep) => this.copyBytes(keep(this.session.score_share())));
      this.port.postMessage({ kind: "right", right }, [right.buffer]);
    }
  }

  /* Steps in step with the other part for about `seconds`: each computes the gradient of its
     share of the batch, sends it, waits for the other's, and both take the same step with
     pycore (Session.share, Session.combine). The leader's settings change travels with its
     share, so every part takes it at the same step. Returns false if the run ended. */
  async together(run, seconds) {
    const t0 = performance.now();
    do {
      const own = this.withProxies((keep) => this.copyFloat32(keep(this.session.share())));
      const settings = this.part === 0 ? this.pending : null;   // only the leader takes settings
      this.pending = null;
      const copy = own.slice();
      this.port.postMessage({ kind: "share", share: copy, settings }, [copy.buffer]);
      const other = await this.otherShare();
      if (other === null || run !== this.run) return false;
      const shares = this.part === 0 ? [own, other.share] : [other.share, own];
      this.withProxies((keep) => this.session.combine(keep(this.pyodide.toPy(shares))));
      const change = this.part === 0 ? settings : other.settings;
      if (change) this.withProxies((keep) => keep(this.session.configure.callKwargs(change)));
    } while (performance.now() - t0 < seconds * 1000 && !(this.part === 0 && this.paused));
    return true;
  }

  /* A part other than the leader: steps with it until its run ends; posts nothing. */
  async follow(run) {
    while (run === this.run) {
      if (!(await this.together(run, SLICE_SECONDS))) return;
    }
  }

  async loop(run) {
    if (this.part > 0) {
      this.follow(run).catch((error) => this.post({ type: "train-halted", message: this.pythonMessage(error) }));
      return;
    }
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
        const slice = this.slice(run);
        this.slicing = slice.catch(() => {});
        this.post({ type: "trained", ...(await slice) });
      } catch (error) {
        if (run !== this.run) return;
        this.run += 1;           // this run is over; the page may start again
        this.post({ type: "train-halted", message: this.pythonMessage(error).replace(/^FloatingPointError: /, ""),
          diverged: error?.type === "FloatingPointError" });
        return;
      }
      if (performance.now() - scoredAt >= every) {
        const scored = await this.score(run);
        if (scored === null) return;
        every = Math.max(SCORING_EVERY_MS, scored.ms / SCORING_SHARE);
        scoredAt = performance.now();
        this.post({ type: "scored", ...scored }, [scored.right.buffer, scored.filters.buffer]);
      }
    }
  }

  /* One slice: alone, one call into Python and one dict back; in parts, steps together,
     then the slice's progress. */
  async slice(run) {
    if (this.parts > 1 && !(await this.together(run, SLICE_SECONDS))) throw new Error("stopped");
    return this.withProxies((keep) => {
      const done = this.parts > 1 ? this.session.mark() : this.session.train(SLICE_SECONDS);
      const progress = keep(done).toJs({ dict_converter: Object.fromEntries });
      return { ...progress, accuracy: progress.accuracy ?? null, parts: this.parts };
    });
  }

  /* The scoring set read by the network as it is now: accuracy, right (Uint8Array, 1 where
     read right), the first layer's filters (Float32Array(20*5*5)) and the time it took; in
     parts, each scores its share (Session.score_share) and the leader puts them together.
     null if the run ended meanwhile. */
  async score(run) {
    const t0 = performance.now();
    let shares = null;
    if (this.parts > 1) {
      this.port.postMessage({ kind: "score" });
      const own = this.withProxies((keep) => this.copyBytes(keep(this.session.score_share())));
      const other = await this.partner(["right"]);
      if (other === null || run !== this.run) return null;
      shares = [own, other.right];
    }
    return this.withProxies((keep) => {
      const result = keep(shares ? this.session.scored(keep(this.pyodide.toPy(shares))) : this.session.evaluate());
      const right = this.copyBytes(keep(result.get("right")));
      const filters = this.copyFloat32(keep(this.session.filters()));
      return { images: this.session.images_seen, accuracy: result.get("accuracy"), right, filters,
        ms: performance.now() - t0 };
    });
  }
};
