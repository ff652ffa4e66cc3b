/* Train it yourself: the visitor trains a fresh network of the shipped architecture, in the
   page, with the very pycore code that trained the shipped one (pycore.training).

   The training runs in a worker of its own (worker.js named "train", made when the user first
   presses start: a first visit downloads no training data), so the drawing box's worker keeps
   answering. This part owns the section: its buttons, the settings form (ranges and checks are
   pycore's, through the workers), the curves, the filters and the scoring digits as the worker
   reports them; and whether the drawing box reads with the network being trained (a copy of
   its weights sent to the drawing box's worker, again every REFRESH_MS while it trains).
   #train[data-state] is idle, loading, training or paused; data-images, data-rate and
   data-accuracy are pycore's figures (docs/architecture.md, the page contract). */

import { lineChart } from "./charts.js";
import { count, DIGIT_COLOURS, describeSettings, digitPixels, filterPixels, Series, settingValue, thousands }
  from "./trainview.js";

const REFRESH_MS = 1000;   // the drawing box's copy of the network, while in use and training
const CHART_MS = 1000;     // the loss curve is redrawn at most this often

export class Training {
  /* section: #train; makeWorker(onNotice): resolves with a started PythonWorker of
     worker.js named "train"; ask(type, fields, transfer): a request to the drawing box's worker;
     onReader(trained, switched): the network that reads the box is now the trained one (or
     the shipped one again); switched false: the same, with fresher weights. */
  constructor({ section, makeWorker, ask, onReader }) {
    Object.assign(this, { section, makeWorker, ask, onReader });
    const find = (id) => section.querySelector(`#train-${id}`);
    this.el = Object.fromEntries(["start", "pause", "use", "message", "images", "rate", "epoch", "accuracy",
      "settings", "loss-chart", "accuracy-chart", "filters", "digits", "digits-note", "reader"]
      .map((id) => [id, find(id)]));
    this.inputs = [...section.querySelectorAll("input[data-setting]")];
    this.worker = null;        // the training worker's PythonWorker, once made
    this.table = null;         // pycore.training.SETTINGS: {name: {value, low, high, label}}
    this.settings = null;      // the settings in use (or for the next start), as pycore checked them
    this.state = "idle";
    this.ran = false;          // a network was made (the start button then starts over)
    this.live = false;         // the training worker holds a network that can be paused or used
    this.loss = new Series();
    this.accuracy = new Series();
    this.shown = null;         // {digits, labels} of the scoring set's first images
    this.using = false;        // the drawing box reads with the network being trained
    this.timer = null;
    this.refreshing = null;
    this.chartAt = -Infinity;
    this.el.start.addEventListener("click", () => this.start());
    this.el.pause.addEventListener("click", () => this.togglePause());
    this.el.use.addEventListener("click", () => this.toggleUse());
    for (const input of this.inputs) input.addEventListener("change", () => this.change(input));
    // leaving the page stops the training (a page kept in the back-forward cache resumes paused)
    window.addEventListener("pagehide", () => {
      if (this.state === "training") this.togglePause();
    });
  }

  /* table: pycore.training.SETTINGS as the worker sends it. The section can start now. */
  setup(table) {
    this.table = table;
    this.settings = Object.fromEntries(Object.entries(table).map(([name, { value }]) => [name, value]));
    for (const input of this.inputs) {
      const { value, low, high } = table[input.dataset.setting];
      Object.assign(input, { min: String(low), max: String(high), step: "any", value: String(value) });
      this.section.querySelector(`#${input.id}-range`).textContent = `${low} to ${high}`;
    }
    this.showSettings();
    this.setState("idle");
  }

  setState(state) {
    this.state = state;
    this.section.dataset.state = state;
    const { start, pause, use } = this.el;
    start.disabled = state === "loading" || !this.table;
    start.textContent = this.ran ? "Start over" : "Start training";
    pause.disabled = !(state === "training" || state === "paused");
    pause.textContent = state === "paused" ? "Resume" : "Pause";
    use.disabled = !this.live && !this.using;
    for (const input of this.inputs) input.disabled = state === "loading" || !this.table;
  }

  say(text, error = false) {
    this.el.message.textContent = text;
    this.el.message.classList.toggle("error", error);
  }

  async start() {
    if (this.state === "loading" || !this.table) return;
    this.live = false;
    this.setState("loading");
    this.say(this.worker ? "Making a fresh network…"
      : "Starting Python for training and downloading the 50,000 MNIST training images (once: then kept for offline use)…");
    try {
      this.worker ??= await this.makeWorker((notice) => this.notice(notice));
      const seed = crypto.getRandomValues(new Uint32Array(1))[0];
      const reply = await this.worker.request("train-start", { settings: this.settings, seed });
      this.reset(reply);
      this.ran = this.live = true;
      this.say("");
      this.setState("training");
    } catch (error) {
      this.say(`Training could not start: ${error.message}`, true);
      if (this.using) await this.stopUsing();
      this.setState("idle");
    }
  }

  /* A fresh network: nothing trained, nothing scored. */
  reset({ settings, digits, labels }) {
    this.settings = settings;
    this.showSettings();
    this.loss.clear();
    this.accuracy.clear();
    this.shown = { digits, labels };
    Object.assign(this.section.dataset, { images: "0", rate: "0", accuracy: "" });
    for (const name of ["images", "rate", "epoch", "accuracy"]) this.el[name].textContent = "–";
    this.drawCharts();
    this.paint(this.el.filters, null);
    this.showDigits(null);
  }

  /* The training worker's news: after each slice, after each scoring, or that it stopped. */
  notice(data) {
    if (data.type === "train-halted") {
      this.halted(data);
      return;
    }
    if (this.state !== "training") return;       // an older network's, before a fresh start
    if (data.type === "trained") {
      Object.assign(this.section.dataset, { images: String(data.images), rate: data.rate.toFixed(1) });
      this.el.images.textContent = count(data.images);
      this.el.rate.textContent = data.rate ? count(data.rate) : "–";
      this.el.epoch.textContent = String(data.epoch);
      this.loss.add(data.images, data.loss);
      if (performance.now() - this.chartAt >= CHART_MS) this.drawCharts();
    } else if (data.type === "scored") {
      this.section.dataset.accuracy = String(data.accuracy);
      this.el.accuracy.textContent = `${(100 * data.accuracy).toFixed(1)} %`;
      this.accuracy.add(data.images, data.accuracy);
      this.drawCharts();
      this.paint(this.el.filters, filterPixels(data.filters));
      this.showDigits(data.right);
    }
  }

  async halted({ message, diverged }) {
    this.live = false;
    this.say(`Training stopped: ${message}.${diverged ? " Try a lower learning rate, then start over." : ""}`, true);
    if (this.using) await this.stopUsing();
    this.setState("idle");
  }

  async togglePause() {
    const { pause } = this.el;
    if (pause.disabled) return;
    pause.disabled = true;                         // one request at a time
    try {
      if (this.state === "training") {
        const { images } = await this.worker.request("train-pause");
        this.section.dataset.images = String(images);
        this.setState("paused");
        if (this.using) this.refresh().then(() => this.onReader(true, false), () => {});
      } else if (this.state === "paused") {
        await this.worker.request("train-resume");
        this.setState("training");
      }
    } catch (error) {
      this.say(error.message, true);
      this.setState(this.state);
    }
  }

  /* A setting changed in the form: pycore checks it (the training worker applies it to the
     network being trained at once; before a start, the drawing box's worker checks it). A
     refused value is said next to its input, and nothing changes. */
  async change(input) {
    const name = input.dataset.setting;
    const message = this.section.querySelector(`#${input.id}-message`);
    const fields = { settings: { [name]: settingValue(input.value) }, current: this.settings };
    try {
      const reply = this.live ? await this.worker.request("train-settings", fields)
        : await this.ask("train-settings", fields);
      this.settings = reply.settings;
      message.textContent = "";
      input.removeAttribute("aria-invalid");
    } catch (error) {
      message.textContent = `Refused: ${error.message}; still ${this.settings[name]}.`;
      input.setAttribute("aria-invalid", "true");
    }
    input.value = String(this.settings[name]);
    this.showSettings();
  }

  showSettings() {
    this.el.settings.textContent = describeSettings(this.settings, this.table);
  }

  async toggleUse() {
    if (this.using) {
      await this.stopUsing();
      return;
    }
    if (!this.live) return;
    try {
      await this.refresh();
    } catch (error) {
      this.say(`The drawing box cannot read with it: ${error.message}`, true);
      return;
    }
    this.using = true;
    this.showUse();
    this.onReader(true, true);
    this.timer = setInterval(() => {
      if (this.state === "training" && this.using) this.refresh().then(() => this.onReader(true, false), () => {});
    }, REFRESH_MS);
  }

  async stopUsing() {
    clearInterval(this.timer);
    this.timer = null;
    this.using = false;
    this.showUse();
    await this.refreshing?.catch(() => {});        // a copy on its way arrives before the shipped one
    await this.ask("use-weights", { bytes: null });
    this.onReader(false, true);
  }

  /* The network as it is now, sent to the drawing box's worker (one request at a time). */
  refresh() {
    this.refreshing ??= (async () => {
      const { bytes } = await this.worker.request("train-weights");
      await this.ask("use-weights", { bytes }, [bytes.buffer]);
    })().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  showUse() {
    this.el.use.setAttribute("aria-pressed", String(this.using));
    this.el.reader.textContent = this.using
      ? "The drawing box now reads with the network you are training (Teach it… still adapts the shipped one)."
      : "The drawing box reads with the shipped network.";
    this.setState(this.state);
  }

  drawCharts() {
    this.chartAt = performance.now();
    const x = { xLabel: "images trained on", xFormat: thousands };
    lineChart(this.el["loss-chart"], { title: "Training loss", ...x,
      series: [{ name: "loss", key: "loss", points: this.loss.points }],
      format: (v, decimals = 3) => v.toFixed(decimals) });
    lineChart(this.el["accuracy-chart"], { title: "Accuracy on the scoring digits", ...x,
      series: [{ name: "accuracy", key: "accuracy", points: this.accuracy.points }],
      format: (v, decimals) => `${(100 * v).toFixed(decimals === undefined ? 1 : Math.max(0, decimals - 2))} %` });
  }

  /* The scoring set's first digits, coloured by right (null: not scored yet). */
  showDigits(right) {
    const { digits, labels } = this.shown;
    this.paint(this.el.digits, digitPixels(digits, right));
    const note = this.el["digits-note"];
    if (!right) {
      delete this.el.digits.dataset.right;
      note.textContent = `The first ${labels.length} of the 1,000 scoring digits; coloured once the network is scored.`;
      return;
    }
    const wrong = labels.filter((_, i) => !right[i]);
    this.el.digits.dataset.right = String(labels.length - wrong.length);
    const red = DIGIT_COLOURS.wrong.name;
    note.textContent = `${labels.length - wrong.length} of these ${labels.length} read right` +
      (!wrong.length ? "." : `; ${wrong.length} read wrong (${red})` +
        (wrong.length <= 12 ? `: a ${wrong.join(", a ")}.` : "."));
  }

  paint(canvas, pixels) {
    if (!pixels) {
      canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
      return;
    }
    const { width, height, data } = pixels;
    if (canvas.width !== width || canvas.height !== height) Object.assign(canvas, { width, height });
    canvas.getContext("2d").putImageData(new ImageData(data, width, height), 0, 0);
  }

  /* The training worker's memory figures (tests: no growth over a long run). */
  async stats() {
    if (!this.worker) throw new Error("no training worker yet");
    const { wasmBytes, allocatedBlocks } = await this.worker.request("stats");
    return { wasmBytes, allocatedBlocks };
  }
}
