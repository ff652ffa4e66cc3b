/* The About section: the model's facts and its training story, from model/metrics.json
   (written by python -m train.export). Every figure shown is one that file states: the
   layers' shapes and parameter counts and the settings in words are pycore's and train's,
   not worked out here. */

import { lineChart } from "./charts.js";

const number = (n) => Number(n).toLocaleString("en-US");
const percent = (x) => `${(100 * x).toFixed(2)} %`;
const article = (digit) => (digit === 8 ? "an" : "a");   // "an 8", "a 7"

/* Fetch the metrics file and fill the section; says so in #accuracy if it cannot. */
export async function loadFacts(url = "model/metrics.json", root = document) {
  const $ = (selector) => root.querySelector(selector);
  try {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const metrics = await response.json();
    fillLayers($("#layers"), metrics);
    fillTraining($("#training"), $("#accuracy"), metrics);
    fillCharts($("#chart-loss"), $("#chart-accuracy"), metrics);
    fillConfusion($("#confusion"), metrics.test?.confusion);
    fillMistakes($("#mistakes"), metrics.test_mistakes);
    document.body.dataset.story = "ready";
  } catch (error) {
    $("#accuracy").textContent = `The model's facts (model/metrics.json) could not be read: ${error.message}.`;
    $("#layers").textContent = "";
  }
}

function cells(row, texts, tag) {
  for (const text of texts) {
    const cell = tag ? row.appendChild(document.createElement(tag)) : row.insertCell();
    cell.textContent = text;
  }
}

/* metrics.layers: [{name, type, does, output: [...], parameters}], the input first. */
function fillLayers(table, metrics) {
  table.textContent = "";
  const layers = Array.isArray(metrics.layers) ? metrics.layers : [];
  if (!layers.length) return;
  cells(table.createTHead().insertRow(), ["Layer", "Type", "What it does", "Output", "Parameters"], "th");
  const rows = table.createTBody();
  for (const { name, type, does, output, parameters } of layers) {
    cells(rows.insertRow(), [name, type, does, output.join("×"), parameters ? number(parameters) : ""]);
  }
  cells(table.createTFoot().insertRow(), ["", "", "total", "", number(metrics.parameters)]);
}

/* The accuracy line and the training list: counts, epochs, time, protocol, and
   metrics.settings ([{flag, words, value}], train's own words for each setting). */
function fillTraining(list, accuracy, metrics) {
  const count = (part) => (part?.correct !== undefined
    ? `${number(part.correct)} / ${number(part.total)} (${percent(part.accuracy ?? part.correct / part.total)})`
    : null);
  const facts = [
    ["Held-out images 50,000–59,999", count(metrics.held_out)],
    ["Official MNIST test set", count(metrics.test)],
  ];
  if (Array.isArray(metrics.history) && metrics.history.length) {
    const last = metrics.history[metrics.history.length - 1];
    const planned = metrics.hyperparameters?.epochs;
    facts.push(["Epochs", number(metrics.history.length) +
      (planned > metrics.history.length ? ` of the ${number(planned)} scheduled` : "") +
      (metrics.epoch_choice ? `; the epoch shipped was chosen by ${metrics.epoch_choice}` : "")]);
    if (last.train_loss !== undefined) facts.push(["Final training loss", Number(last.train_loss).toFixed(4)]);
  }
  if (metrics.training_time_s !== undefined) {
    facts.push(["Training time", `${(metrics.training_time_s / 60).toFixed(1)} minutes on a CPU, NumPy only`]);
  }
  if (metrics.protocol) facts.push(["Protocol", String(metrics.protocol)]);
  for (const { flag, words, value } of Array.isArray(metrics.settings) ? metrics.settings : []) {
    facts.push([words, value, flag]);
  }
  list.textContent = "";
  for (const [term, value, flag] of facts) {
    if (value === null || value === undefined) continue;
    const dt = list.appendChild(Object.assign(document.createElement("dt"), { textContent: term }));
    if (flag) dt.append(" ", Object.assign(document.createElement("code"), { textContent: flag }));
    list.appendChild(Object.assign(document.createElement("dd"), { textContent: value }));
  }
  const parts = [];
  const { test, held_out: heldOut } = metrics;
  if (test?.correct !== undefined) {
    parts.push(`${percent(test.accuracy ?? test.correct / test.total)} on the official MNIST test set ` +
      `(${number(test.correct)} of ${number(test.total)} right)`);
  }
  if (heldOut?.correct !== undefined) {
    parts.push(`${number(heldOut.correct)} of ${number(heldOut.total)} on held-out training images it never learnt from`);
  }
  accuracy.textContent = parts.length ? `Accuracy: ${parts.join("; ")}.` : "Accuracy: not recorded.";
}

function fillCharts(lossFigure, accuracyFigure, metrics) {
  const history = Array.isArray(metrics.history) ? metrics.history : [];
  const validation = Array.isArray(metrics.validation_history) ? metrics.validation_history : [];
  const points = (rows, key) => rows
    .filter((row) => Number.isFinite(row[key]) && Number.isFinite(row.epoch))
    .map((row) => [row.epoch, row[key]]);
  const series = (rows, key, name) => ({ name, key, points: points(rows, key) });
  const loss = [series(history, "train_loss", "training loss"), series(validation, "val_loss", "validation loss")];
  lineChart(lossFigure, { title: "Cross-entropy loss per epoch", series: loss.filter((s, n) => n === 0 || s.points.length),
    format: (v, decimals = 3) => v.toFixed(decimals) });
  const accuracy = [series(history, "train_accuracy", "training accuracy"),
    series(validation, "val_accuracy", "validation accuracy")];
  lineChart(accuracyFigure, { title: "Accuracy per epoch",
    series: accuracy.filter((s, n) => n === 0 || s.points.length),
    format: (v, decimals) => `${(100 * v).toFixed(decimals === undefined ? 1 : Math.max(0, decimals - 2))} %` });
}

function fillConfusion(table, confusion) {
  table.textContent = "";
  if (!Array.isArray(confusion) || confusion.length !== 10) {
    table.hidden = true;
    return;
  }
  const head = table.createTHead().insertRow();
  head.appendChild(Object.assign(document.createElement("th"), { textContent: "true ↓ said →", scope: "col" }));
  for (let d = 0; d < 10; d++) head.appendChild(Object.assign(document.createElement("th"), { textContent: String(d), scope: "col" }));
  let offMax = 1;
  confusion.forEach((row, t) => {
    row.forEach((n, p) => {
      if (t !== p) offMax = Math.max(offMax, n);
    });
  });
  const tbody = table.createTBody();
  confusion.forEach((row, t) => {
    const tr = tbody.insertRow();
    tr.appendChild(Object.assign(document.createElement("th"), { textContent: String(t), scope: "row" }));
    const total = row.reduce((a, b) => a + b, 0) || 1;
    row.forEach((n, p) => {
      const cell = tr.insertCell();
      cell.textContent = String(n);
      Object.assign(cell.dataset, { true: String(t), predicted: String(p), count: String(n) });
      // right answers shaded by their share of the row, mistakes on a log scale
      const heat = t === p ? n / total : n ? Math.log1p(n) / Math.log1p(offMax) : 0;
      cell.style.setProperty("--heat", heat.toFixed(3));
      cell.className = t === p ? "right" : n ? "wrong" : "zero";
      cell.title = `true ${t}, said ${p}: ${n}`;
    });
  });
  table.hidden = false;
}

function fillMistakes(list, mistakes) {
  list.textContent = "";
  const scratch = Object.assign(document.createElement("canvas"), { width: 28, height: 28 });
  for (const mistake of Array.isArray(mistakes) ? mistakes : []) {
    if (!Array.isArray(mistake.pixels) || mistake.pixels.length !== 784) continue;
    const item = document.createElement("li");
    Object.assign(item.dataset, { index: String(mistake.index), label: String(mistake.label),
      predicted: String(mistake.predicted) });
    const image = new ImageData(28, 28);
    mistake.pixels.forEach((v, i) => {
      image.data.set([v, v, v, 255], 4 * i);
    });
    scratch.getContext("2d").putImageData(image, 0, 0);
    // an image, not a canvas each: the page's canvases are all committed every frame
    const thumbnail = Object.assign(document.createElement("img"), { width: 28, height: 28,
      src: scratch.toDataURL("image/png"), alt: `Test image ${mistake.index}, a handwritten ${mistake.label}` });
    const text = Object.assign(document.createElement("span"), {
      textContent: `${article(mistake.label)} ${mistake.label}, read as ${mistake.predicted}` });
    item.append(thumbnail, text);
    list.appendChild(item);
  }
}
