/* The answer: the ten classes' bars, the digit read (or pycore's verdict that the drawing is
   no digit, and its reason), the 28×28 preview, the timings, and what screen readers hear.
   It renders the worker's replies and decides nothing else. */

export class Results {
  constructor(root = document) {
    // each class's row, with its bar and value looked up once: show() runs per prediction
    this.rows = Array.from(root.querySelectorAll("[data-digit]"), (row) => ({
      row, bar: row.querySelector(".bar > span"), value: row.querySelector(".value") }));
    this.answer = root.querySelector("#answer");
    this.reason = root.querySelector("#verdict-reason");
    this.timing = root.querySelector("#timing");
    this.region = root.querySelector("#announce");
    this.preview = root.querySelector("#preview").getContext("2d");
    this.previewPixels = this.preview.createImageData(28, 28);
    this.predictions = 0;       // body[data-predictions]: how many have been rendered
    this.lastEndToEnd = null;   // the last rendered prediction's timings, in ms
    this.announced = null;      // the last sentence screen readers heard
    this.announcements = 0;
    this.clear();
  }

  /* A classify reply from the worker; started: performance.now() when it was asked for. */
  show(reply, started) {
    if (reply.blank) {
      this.clear();
      return;
    }
    const probabilities = reply.probabilities;
    const isDigit = reply.verdict === "digit";
    const best = isDigit ? topClass(probabilities) : -1;   // not a digit: no row highlighted
    this.rows.forEach(({ row, bar, value }, digit) => {
      const p = probabilities[digit];
      row.dataset.prob = p.toFixed(6);
      row.classList.toggle("predicted", digit === best);
      bar.style.width = `${(p * 100).toFixed(1)}%`;
      value.textContent = `${(p * 100).toFixed(1)}%`;
    });
    this.answer.dataset.verdict = reply.verdict;
    this.answer.textContent = isDigit ? String(best) : "not a digit";
    this.reason.textContent = isDigit ? "" : reply.reason;
    const data = this.previewPixels.data;
    for (let i = 0; i < 784; i++) {
      const v = Math.round(reply.image[i] * 255);
      data[4 * i] = data[4 * i + 1] = data[4 * i + 2] = v;
      data[4 * i + 3] = 255;
    }
    this.preview.putImageData(this.previewPixels, 0, 0);
    const t = reply.timings;
    this.lastEndToEnd = { endToEnd: performance.now() - started, worker: t.worker,
      preprocess: t.preprocess, forward: t.forward };
    this.timing.textContent = `Python: ${t.worker.toFixed(1)} ms (preprocessing ` +
      `${t.preprocess.toFixed(1)}, network ${t.forward.toFixed(1)}); ` +
      `round trip ${this.lastEndToEnd.endToEnd.toFixed(1)} ms`;
    this.counted();
  }

  /* body[data-predictions] counts every prediction rendered, number mode's too. */
  counted() {
    this.predictions += 1;
    document.body.dataset.predictions = String(this.predictions);
  }

  clear() {
    this.rows.forEach(({ row, bar, value }) => {
      row.dataset.prob = "0";
      row.classList.remove("predicted");
      bar.style.width = "0";
      value.textContent = "–";
    });
    this.answer.textContent = "?";
    this.answer.dataset.verdict = "blank";
    this.reason.textContent = "";
    this.preview.fillStyle = "#000";
    this.preview.fillRect(0, 0, 28, 28);
    this.timing.textContent = "";
  }

  failed(error) {
    this.timing.textContent = `Prediction failed: ${error.message}`;
  }

  /* Screen readers hear the answer when a stroke ends (or a picture or an undo is shown)
     and the top digit changed, not at every live update while drawing. */
  announce(reply) {
    let text = "Nothing to read: the box is empty.";
    if (!reply.blank && reply.verdict !== "digit") {
      text = `Not a digit: ${reply.reason}.`;
      if (this.announced === text) return;
    } else if (!reply.blank) {
      const p = reply.probabilities;
      const best = topClass(p);
      text = `The network reads ${best}, ${Math.round(100 * p[best])} % sure.`;
      if (this.announced?.startsWith(`The network reads ${best},`)) return;
    } else if (this.announced === null || this.announced === text) {
      return;
    }
    this.announced = text;
    this.announcements += 1;
    this.region.textContent = text;
    this.region.dataset.count = String(this.announcements);
  }

  /* After Clear the next answer is announced even if it is the same digit. */
  forgetAnnouncement() {
    this.announced = null;
  }
}

function topClass(probabilities) {
  let best = 0;
  for (let digit = 1; digit < probabilities.length; digit++) {
    if (probabilities[digit] > probabilities[best]) best = digit;
  }
  return best;
}
