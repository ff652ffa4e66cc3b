/* Teaching: the user tells the page what the current drawing is, and the network learns it.

   This part owns the personal examples (kept by store.js), the "Teach it…" button and its
   choice of ten digits, and the panel that lists the examples. The learning itself is
   pycore's, in the worker (pycore.teach.Tutor): this part sends it the examples and shows
   the facts it answers. body[data-taught] is the number of examples in use. */

const FORMAT = "mnist-draw-examples";   // an export's "format"; "version" 1
const SIDE = 28;

export class Teaching {
  /* elements: {button, choice, panel, status, list, message, exportButton, importButton,
     importInput, forget}; store: an ExampleStore; ask(type, fields, transfer): a request to
     the worker; adapted(): the worker's network changed (predict the drawing again). */
  constructor({ elements, store, ask, adapted }) {
    Object.assign(this, { elements, store, ask, adapted });
    this.examples = [];       // [{id, label, image: Uint8Array(784), strokes, added}], oldest first
    this.current = null;      // what can be taught now: {image: Uint8Array(784), strokes} or null
    this.learning = Promise.resolve();   // the worker learns one change at a time
    this.checked = 0;         // bumped by each change: a stale leave-one-out pass stops
    const { button, choice, exportButton, importButton, importInput, forget } = elements;
    button.addEventListener("click", () => this.toggleChoice());
    for (const digit of choice.querySelectorAll("[data-teach]")) {
      digit.addEventListener("click", () => this.teach(Number(digit.dataset.teach)));
    }
    choice.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.stopPropagation();     // not the page's Clear
        this.toggleChoice(false);
        button.focus();
      }
    });
    forget.addEventListener("click", () => this.forget());
    exportButton.addEventListener("click", () => this.exportFile());
    importButton.addEventListener("click", () => importInput.click());
    importInput.addEventListener("change", () => {
      this.importFile(importInput.files[0]);
      importInput.value = "";
    });
    this.setCurrent(null);
  }

  /* Load the stored examples and have the worker learn them (once Python is ready). */
  async start() {
    const stored = await this.store.open();
    this.examples = stored.filter(validExample);
    if (this.store.problem) this.say(this.store.problem, true);
    if (this.examples.length) await this.learn();
    else this.render();
  }

  /* The drawing shown now: its 28×28 input (floats in [0, 1]) and strokes() giving its
     strokes, or null (blank). Called with every prediction: the copies are made only when
     the drawing is taught. */
  setCurrent(image, strokes = () => []) {
    this.current = image ? { image, strokes } : null;
    this.elements.button.disabled = this.current === null;
    if (!this.current) this.toggleChoice(false);
  }

  toggleChoice(open = this.elements.choice.hidden) {
    const { button, choice } = this.elements;
    choice.hidden = !open || this.current === null;
    button.setAttribute("aria-expanded", String(!choice.hidden));
    if (!choice.hidden) choice.querySelector("[data-teach]").focus();
  }

  async teach(label) {
    if (!this.current) return;
    const image = quantised(this.current.image);
    const strokes = this.current.strokes();
    this.toggleChoice(false);
    this.elements.button.focus();
    const [example] = await this.store.add([{ label, image, strokes }]);
    this.examples.push(example);
    if (this.store.problem) this.say(this.store.problem, true);
    await this.learn();
  }

  async remove(id) {
    this.examples = this.examples.filter((example) => example.id !== id);
    await this.store.remove(id);
    await this.learn();
  }

  async forget() {
    this.examples = [];
    await this.store.clear();
    await this.learn();
    this.say("Forgotten: the network is the shipped one again.");
  }

  /* Send every example to the worker, which adapts the shipped network to them (or goes
     back to it exactly when there are none); then re-predict, then check the learning. */
  learn() {
    const examples = this.examples.slice();
    const run = async () => {
      this.checked += 1;
      this.elements.panel.dataset.busy = "true";
      this.render();
      const images = new Uint8Array(examples.length * SIDE * SIDE);
      examples.forEach((example, i) => {
        images.set(example.image, i * SIDE * SIDE);
      });
      try {
        const reply = await this.ask("examples", { images, labels: examples.map((e) => e.label) }, [images.buffer]);
        this.facts = { count: reply.count, ms: reply.ms, check: null, shippedCheck: null, leaveOneOut: null };
        document.body.dataset.taught = String(reply.count);
        this.adapted();
        this.render();
        this.checkLearning(this.checked, examples.length);
      } catch (error) {
        this.say(`The network could not learn: ${error.message}`, true);
      } finally {
        delete this.elements.panel.dataset.busy;
      }
    };
    this.learning = this.learning.then(run, run);
    return this.learning;
  }

  /* After the drawing is read again: the MNIST check set, then leave-one-out, one example per
     request so that predictions keep their turn in the worker. */
  async checkLearning(pass, count) {
    if (!count) return;
    try {
      const { check, shippedCheck } = await this.ask("check");
      if (pass !== this.checked) return;
      Object.assign(this.facts, { check, shippedCheck });
      this.render();
    } catch {
      return;
    }
    if (count < 2) return;      // one example has no others to be checked by
    let right = 0;
    for (let index = 0; index < count; index++) {
      if (pass !== this.checked) return;
      try {
        const reply = await this.ask("leave-one-out", { index });
        if (reply.right) right += 1;
      } catch {
        return;
      }
    }
    if (pass !== this.checked || !this.facts) return;
    this.facts.leaveOneOut = [right, count];
    this.render();
  }

  say(text, isError = false) {
    this.elements.message.textContent = text;
    this.elements.message.classList.toggle("error", isError);
  }

  render() {
    const { status, list, forget, exportButton } = this.elements;
    const n = this.examples.length;
    forget.disabled = exportButton.disabled = n === 0;
    status.textContent = describe(n, this.facts, this.elements.panel.dataset.busy === "true");
    list.textContent = "";
    const scratch = Object.assign(document.createElement("canvas"), { width: SIDE, height: SIDE });
    for (const example of this.examples) {
      const item = document.createElement("li");
      item.dataset.label = String(example.label);
      const image = new ImageData(SIDE, SIDE);
      example.image.forEach((v, i) => {
        image.data.set([v, v, v, 255], 4 * i);
      });
      scratch.getContext("2d").putImageData(image, 0, 0);
      const thumbnail = Object.assign(document.createElement("img"), { width: SIDE, height: SIDE,
        src: scratch.toDataURL("image/png"), alt: `Your ${example.label}` });
      const label = Object.assign(document.createElement("span"), { textContent: String(example.label) });
      const remove = Object.assign(document.createElement("button"), { type: "button", className: "remove",
        textContent: "×", title: `Remove this ${example.label}` });
      remove.setAttribute("aria-label", `Remove this example of ${example.label}`);
      remove.addEventListener("click", () => this.remove(example.id));
      item.append(thumbnail, label, remove);
      list.appendChild(item);
    }
  }

  exportFile() {
    const data = { format: FORMAT, version: 1, exported: new Date().toISOString(),
      examples: this.examples.map(({ label, image, strokes, added }) => ({ label, image: Array.from(image), strokes, added })) };
    const url = URL.createObjectURL(new Blob([JSON.stringify(data)], { type: "application/json" }));
    const link = Object.assign(document.createElement("a"), { href: url, download: "my-digits.json" });
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  /* Add the examples of an export (those not already here); anything else changes nothing. */
  async importFile(file) {
    if (!file) return;
    let examples;
    try {
      examples = parseExport(await file.text());
    } catch (error) {
      this.say(`“${file.name}” was not imported: ${error.message}`, true);
      return;
    }
    const known = new Set(this.examples.map((e) => `${e.label}:${e.image.join(",")}`));
    const fresh = examples.filter((e) => !known.has(`${e.label}:${e.image.join(",")}`));
    this.examples.push(...(await this.store.add(fresh)));
    this.say(`Imported ${fresh.length} of the ${examples.length} examples in “${file.name}”` +
      (fresh.length < examples.length ? " (the others were here already)." : "."));
    await this.learn();
  }
}

/* The 28×28 input as bytes: what is stored and what the worker learns from, so that a
   reload learns exactly what the visit did. */
function quantised(image) {
  return Uint8Array.from(image, (v) => Math.round(255 * Math.min(1, Math.max(0, v))));
}

function validExample(e) {
  return e && Number.isInteger(e.label) && e.label >= 0 && e.label <= 9 &&
    e.image instanceof Uint8Array && e.image.length === SIDE * SIDE;
}

/* An export's examples, checked; throws an Error saying what is wrong. */
export function parseExport(text) {
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    throw new Error("it is not an export of this page (not JSON).");
  }
  if (data?.format !== FORMAT) throw new Error("it is not an export of this page.");
  if (data.version !== 1) throw new Error(`it is version ${data.version} of the format; this page reads version 1.`);
  if (!Array.isArray(data.examples)) throw new Error("it holds no list of examples.");
  return data.examples.map((e, n) => {
    const image = e?.image;
    if (!Number.isInteger(e?.label) || e.label < 0 || e.label > 9) {
      throw new Error(`example ${n + 1} has no digit 0–9 as its label.`);
    }
    if (!Array.isArray(image) || image.length !== SIDE * SIDE ||
        !image.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)) {
      throw new Error(`example ${n + 1}'s image is not 28×28 values from 0 to 255.`);
    }
    const strokes = Array.isArray(e.strokes) ? e.strokes : [];
    return { label: e.label, image: Uint8Array.from(image), strokes, added: Number(e.added) || Date.now() };
  });
}

function describe(n, facts, busy) {
  if (busy) return n ? `Learning your ${n === 1 ? "example" : `${n} examples`}…` : "Going back to the shipped network…";
  if (!n) return "It has learnt none of your examples: it reads with the network as shipped.";
  const parts = [`It has learnt ${n === 1 ? "1 example" : `${n} examples`} of your handwriting`];
  const loo = facts?.leaveOneOut;
  if (n === 1) parts.push("teach another, and each will be checked by a network taught the others");
  else {
    parts.push(loo ? `each read right by a network taught the others: ${loo[0]} of ${loo[1]}`
      : "checking each against the others…");
  }
  if (facts?.check) {
    const [right, total] = facts.check;
    const shipped = facts.shippedCheck ? ` (as shipped: ${facts.shippedCheck[0].toLocaleString("en-US")})` : "";
    parts.push(`MNIST check set: ${right.toLocaleString("en-US")} of ${total.toLocaleString("en-US")} right${shipped}`);
  }
  return `${parts.join("; ")}.`;
}
