/* The page: drawing with Pointer Events, talking to the Python worker, showing results.

   The main thread never runs Python. It keeps the strokes as data (points as fractions
   of the box, so a resize redraws them sharply), sends the canvas pixels to worker.js and
   renders what comes back. Page contract: ARCHITECTURE.md ("Page contract").
*/
"use strict";

(() => {
  const LIVE_INTERVAL_MS = 60;     // at most ~16 live predictions a second while drawing
  const STROKE_WIDTH = 1 / 18;     // of the box side: MNIST-like stroke weight
  const MAX_PIXEL_RATIO = 3;       // the visible box: sharp on high-density screens
  // The network's input is drawn from the same strokes on a fixed 200x200 canvas
  // (canvas#network-input): the digit still spans ~100+ pixels before pycore area-averages
  // it down to 20, and preprocessing costs a fraction of what a 400x400 or retina-sized
  // canvas would. Its pixels, unchanged, are what the worker receives. Under drawn strokes
  // it stays transparent, so pycore reads the ink from the alpha channel alone (0.1 ms
  // where reading it from the brightness against the border's takes 0.8 ms).
  const INPUT_SIZE = 200;

  const body = document.body;
  const $ = (selector) => document.querySelector(selector);
  const drawCanvas = $("#draw");
  const drawContext = drawCanvas.getContext("2d");
  const inputCanvas = $("#network-input");
  inputCanvas.width = inputCanvas.height = INPUT_SIZE;
  const inputContext = inputCanvas.getContext("2d", { willReadFrequently: true });
  const previewCanvas = $("#preview");
  const previewContext = previewCanvas.getContext("2d");
  // Each class's row, with its bar and value looked up once: show() runs per prediction.
  const rows = Array.from(document.querySelectorAll("[data-digit]"), (row) => ({
    row, bar: row.querySelector(".bar > span"), value: row.querySelector(".value") }));
  const previewPixels = previewContext.createImageData(28, 28);
  const answer = $("#answer");
  const timing = $("#timing");
  const statusText = $("#status-text");
  const progressBar = $("#progress");

  // ------------------------------------------------------------------ state

  function setState(state, message) {
    body.dataset.state = state;
    if (message !== undefined) statusText.textContent = message;
  }

  function fail(message) {
    const sentence = /[.!?]$/.test(message.trim()) ? message.trim() : `${message.trim()}.`;
    setState("error", `${sentence} Reload the page to try again.`);
    $("#status").setAttribute("role", "alert");
  }

  // ------------------------------------------------------------------ the worker

  /* One worker, one ready promise, requests with ids, replies matched by id. */
  class PythonWorker {
    constructor(url, onProgress) {
      this.pending = new Map();
      this.nextId = 1;
      this.worker = new Worker(url);
      this.ready = new Promise((resolve, reject) => {
        this.worker.onmessage = ({ data }) => {
          if (data.type === "progress") onProgress(data);
          else if (data.type === "ready") resolve(data.info);
          else if (data.type === "fatal") reject(new Error(data.message));
          else this.settle(data);
        };
        this.worker.onerror = (event) => {
          event.preventDefault();
          reject(new Error("The Python worker (worker.js) could not start" +
            (event.message ? `: ${event.message}.` : ".")));
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

    request(type, fields = {}, transfer = []) {
      const id = this.nextId++;
      return new Promise((resolve, reject) => {
        this.pending.set(id, { resolve, reject });
        this.worker.postMessage({ id, type, ...fields }, transfer);
      });
    }
  }

  // ------------------------------------------------------------------ drawing

  const strokes = [];        // [{points: [{x, y}]}], x and y as fractions of the box
  let picture = null;        // an opened picture: {bitmap, background: CSS colour}, under the strokes
  const undoable = [];       // what Undo takes back, last first: "stroke" or {picture, strokes}
  let activeStroke = null;
  let activePointer = null;
  let renderQueued = false;

  function resizeCanvas() {
    const rect = drawCanvas.getBoundingClientRect();
    const ratio = Math.min(window.devicePixelRatio || 1, MAX_PIXEL_RATIO);
    const width = Math.max(1, Math.round(rect.width * ratio));
    const height = Math.max(1, Math.round(rect.height * ratio));
    if (drawCanvas.width !== width || drawCanvas.height !== height) {
      drawCanvas.width = width;
      drawCanvas.height = height;
      render();   // the network's input canvas has a fixed size: no new prediction needed
    }
  }

  /* Black strokes, smoothed through segment midpoints, on the visible canvas (a white
     sheet) and on the network's input canvas (transparent, unless a picture is open). */
  function render() {
    renderQueued = false;
    paint(drawContext, drawCanvas.width, drawCanvas.height, { sheet: true });
    paint(inputContext, INPUT_SIZE, INPUT_SIZE, { sheet: false });
  }

  function paint(ctx, width, height, { sheet }) {
    ctx.clearRect(0, 0, width, height);
    if (sheet) {
      ctx.fillStyle = "#ffffff";
      ctx.fillRect(0, 0, width, height);
    }
    if (picture) {
      // The whole picture, centred; the bands beside it continue its edge rows (or
      // columns), so the border pycore reads as background is the picture's own paper,
      // dark or light, and unevenly lit paper has no step where the picture ends.
      const { bitmap, background } = picture;
      const bw = bitmap.width, bh = bitmap.height;
      const scale = Math.min(width / bw, height / bh);
      const w = bw * scale, h = bh * scale, dx = (width - w) / 2, dy = (height - h) / 2;
      ctx.fillStyle = background;
      ctx.fillRect(0, 0, width, height);
      ctx.imageSmoothingEnabled = true;
      ctx.imageSmoothingQuality = "high";
      if (dy > 0.5) {
        ctx.drawImage(bitmap, 0, 0, bw, 1, dx, 0, w, dy + 1);
        ctx.drawImage(bitmap, 0, bh - 1, bw, 1, dx, dy + h - 1, w, dy + 1);
      }
      if (dx > 0.5) {
        ctx.drawImage(bitmap, 0, 0, 1, bh, 0, dy, dx + 1, h);
        ctx.drawImage(bitmap, bw - 1, 0, 1, bh, dx + w - 1, dy, dx + 1, h);
      }
      ctx.drawImage(bitmap, dx, dy, w, h);
    }
    ctx.strokeStyle = ctx.fillStyle = "#000000";
    ctx.lineWidth = Math.min(width, height) * STROKE_WIDTH;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    for (const { points } of strokes) {
      const p = points.map(({ x, y }) => [x * width, y * height]);
      if (p.length === 1) {
        ctx.beginPath();
        ctx.arc(p[0][0], p[0][1], ctx.lineWidth / 2, 0, 2 * Math.PI);
        ctx.fill();
        continue;
      }
      ctx.beginPath();
      ctx.moveTo(p[0][0], p[0][1]);
      for (let i = 1; i < p.length - 1; i++) {
        ctx.quadraticCurveTo(p[i][0], p[i][1], (p[i][0] + p[i + 1][0]) / 2, (p[i][1] + p[i + 1][1]) / 2);
      }
      ctx.lineTo(p[p.length - 1][0], p[p.length - 1][1]);
      ctx.stroke();
    }
  }

  function queueRender() {
    if (!renderQueued) {
      renderQueued = true;
      requestAnimationFrame(() => renderQueued && render());
    }
  }

  function pointAt(event) {
    const rect = drawCanvas.getBoundingClientRect();
    return { x: (event.clientX - rect.left) / rect.width, y: (event.clientY - rect.top) / rect.height };
  }

  drawCanvas.addEventListener("pointerdown", (event) => {
    if (activePointer !== null || (event.pointerType === "mouse" && event.button !== 0)) return;
    event.preventDefault();
    activePointer = event.pointerId;
    drawCanvas.setPointerCapture(event.pointerId);
    activeStroke = { points: [pointAt(event)] };
    strokes.push(activeStroke);
    undoable.push("stroke");
    updateUndo();
    $("#hint").textContent = "";
    queueRender();
    requestPrediction(false);
  });

  drawCanvas.addEventListener("pointermove", (event) => {
    if (event.pointerId !== activePointer) return;
    event.preventDefault();
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
    for (const e of events.length ? events : [event]) activeStroke.points.push(pointAt(e));
    queueRender();
    requestPrediction(false);
  });

  function endStroke(event) {
    if (event.pointerId !== activePointer) return;
    activePointer = null;
    activeStroke = null;
    updateUndo();
    render();
    requestPrediction(true);   // a prediction always follows the end of a stroke
  }
  drawCanvas.addEventListener("pointerup", endStroke);
  drawCanvas.addEventListener("pointercancel", endStroke);
  drawCanvas.addEventListener("lostpointercapture", endStroke);   // e.g. the window lost focus
  drawCanvas.addEventListener("contextmenu", (event) => event.preventDefault());

  // ------------------------------------------------------------------ predictions

  let python = null;         // PythonWorker once ready
  let generation = 0;        // bumped by Clear: replies for older drawings are dropped
  let inFlight = false;
  let wanted = false;        // the canvas changed since the last request
  let urgent = false;        // ... and the stroke ended: no throttling
  let lastSent = -Infinity;
  let timer = null;
  let predictions = 0;

  function updateBusy() {
    body.dataset.busy = String(inFlight || wanted);
  }

  function requestPrediction(final) {
    wanted = true;
    urgent = urgent || final;
    updateBusy();
    pump();
  }

  function snapshot() {
    if (renderQueued) render();
    const pixels = inputContext.getImageData(0, 0, INPUT_SIZE, INPUT_SIZE).data.buffer;
    // an opened picture is evened out in Python first (pycore.preprocess.flatten_background)
    return { width: INPUT_SIZE, height: INPUT_SIZE, pixels, photo: picture !== null };
  }

  // The page asks for the layers' outputs with each prediction (the "Inside the network"
  // section); the plain path (window.mnistDraw.classify, predictNow({activations: false}))
  // does not, so the two can be compared by bench/browser.py.
  const SHOW_ACTIVATIONS = true;

  async function predict(image, activations = SHOW_ACTIVATIONS) {
    const started = performance.now();
    const reply = await python.request("classify", { ...image, activations }, [image.pixels]);
    return { reply, started };
  }

  function pump() {
    if (!python || inFlight || !wanted) return;
    const wait = lastSent + LIVE_INTERVAL_MS - performance.now();
    if (!urgent && wait > 0) {
      if (timer === null) timer = setTimeout(() => { timer = null; pump(); }, wait);
      return;
    }
    const final = urgent;
    wanted = urgent = false;
    inFlight = true;
    lastSent = performance.now();
    const sentFor = generation;
    predict(snapshot())
      .then(({ reply, started }) => {
        if (sentFor === generation) {
          show(reply, started);
          if (final) announce(reply);
        }
      })
      .catch((error) => {
        timing.textContent = `Prediction failed: ${error.message}`;
      })
      .finally(() => {
        inFlight = false;
        updateBusy();
        pump();
      });
  }

  let lastEndToEnd = null;

  function show(reply, started) {
    if (reply.blank) {
      clearResult();
      return;
    }
    const probabilities = reply.probabilities;
    let best = 0;
    for (let digit = 1; digit < 10; digit++) if (probabilities[digit] > probabilities[best]) best = digit;
    rows.forEach(({ row, bar, value }, digit) => {
      const p = probabilities[digit];
      row.dataset.prob = p.toFixed(6);
      row.classList.toggle("predicted", digit === best);
      bar.style.width = `${(p * 100).toFixed(1)}%`;
      value.textContent = `${(p * 100).toFixed(1)}%`;
    });
    answer.textContent = String(best);
    const data = previewPixels.data;
    for (let i = 0; i < 784; i++) {
      const v = Math.round(reply.image[i] * 255);
      data[4 * i] = data[4 * i + 1] = data[4 * i + 2] = v;
      data[4 * i + 3] = 255;
    }
    previewContext.putImageData(previewPixels, 0, 0);
    const t = reply.timings;
    lastEndToEnd = { endToEnd: performance.now() - started, worker: t.worker,
      preprocess: t.preprocess, forward: t.forward };
    timing.textContent = `Python: ${t.worker.toFixed(1)} ms (preprocessing ` +
      `${t.preprocess.toFixed(1)}, network ${t.forward.toFixed(1)}); ` +
      `round trip ${lastEndToEnd.endToEnd.toFixed(1)} ms`;
    if (reply.activations) inside.show(reply.activations);
    predictions += 1;
    body.dataset.predictions = String(predictions);
  }

  function clearResult() {
    rows.forEach(({ row, bar, value }) => {
      row.dataset.prob = "0";
      row.classList.remove("predicted");
      bar.style.width = "0";
      value.textContent = "–";
    });
    answer.textContent = "?";
    inside.clear();
    previewContext.fillStyle = "#000";
    previewContext.fillRect(0, 0, 28, 28);
    timing.textContent = "";
  }

  /* Screen readers hear the answer when a stroke ends (or a picture or an undo is shown)
     and the top digit changed, not at every live update while drawing. */
  let announced = null;
  let announcements = 0;
  function announce(reply) {
    let text = "Nothing to read: the box is empty.";
    if (!reply.blank) {
      const p = reply.probabilities;
      const best = p.indexOf(Math.max(...p));
      text = `The network reads ${best}, ${Math.round(100 * p[best])} % sure.`;
      if (announced !== null && announced.startsWith(`The network reads ${best},`)) return;
    } else if (announced === null || announced === text) {
      return;
    }
    announced = text;
    announcements += 1;
    const region = $("#announce");
    region.textContent = text;
    region.dataset.count = String(announcements);
  }

  function forgetPending() {
    activeStroke = null;
    activePointer = null;
    generation += 1;       // replies for what was on the canvas before are dropped
    wanted = urgent = false;
    updateBusy();
  }

  function clearDrawing() {
    strokes.length = 0;
    undoable.length = 0;
    picture = null;
    forgetPending();
    updateUndo();
    render();
    clearResult();
    announced = null;
  }
  $("#clear").addEventListener("click", clearDrawing);

  function updateUndo() {
    $("#undo").disabled = undoable.length === 0 && activeStroke === null;
  }

  /* Take back the last stroke (or the last opened picture): the canvas is redrawn from the
     strokes kept as data, so the prediction for it is the one shown before that stroke. */
  function undo() {
    if (activePointer !== null || !undoable.length) return;
    const last = undoable.pop();
    if (last === "stroke") strokes.pop();
    else {
      picture = last.picture;
      strokes.splice(0, strokes.length, ...last.strokes);
    }
    forgetPending();
    updateUndo();
    render();
    $("#file-message").textContent = "";
    if (!strokes.length && !picture) {
      clearResult();
      announce({ blank: true });
    } else {
      requestPrediction(true);
    }
    // a disabled button cannot keep the focus: hand it to Clear, not to the page
    if (!undoable.length && document.activeElement === $("#undo")) $("#clear").focus();
  }
  $("#undo").addEventListener("click", undo);

  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement ||
        target instanceof HTMLSelectElement || (target && target.isContentEditable)) return;
    const key = event.key;
    if ((event.ctrlKey || event.metaKey) && !event.shiftKey && !event.altKey && key.toLowerCase() === "z") {
      event.preventDefault();
      undo();
    } else if ((key === "Escape" || key === "Delete") && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      clearDrawing();
    }
  });

  // ------------------------------------------------------------------ pictures

  const MAX_FILE_BYTES = 20 * 1024 * 1024;   // a phone photo is 2-8 MB
  const MAX_SIDE = 12000;                    // pixels, after decoding

  function fileMessage(text, isError = false) {
    const message = $("#file-message");
    message.textContent = text;
    message.classList.toggle("error", isError);
  }

  /* The median colour of a picture's border, drawn small: what the page around it is. */
  function borderColour(bitmap) {
    const side = 32;
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = side;
    const context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(bitmap, 0, 0, side, side);
    const data = context.getImageData(0, 0, side, side).data;
    const channels = [[], [], []];
    for (let i = 0; i < side; i++) {
      for (const [x, y] of [[i, 0], [i, side - 1], [0, i], [side - 1, i]]) {
        for (let c = 0; c < 3; c++) channels[c].push(data[4 * (y * side + x) + c]);
      }
    }
    const median = (values) => values.sort((a, b) => a - b)[values.length >> 1];
    return `rgb(${channels.map(median).join(", ")})`;
  }

  async function openPicture(file) {
    if (!file) return;
    const name = file.name || "The file";
    if (file.size > MAX_FILE_BYTES) {
      fileMessage(`“${name}” is too large (${(file.size / 1048576).toFixed(1)} MB): ` +
        `pictures up to ${MAX_FILE_BYTES / 1048576} MB can be opened.`, true);
      return;
    }
    if (file.type && !file.type.startsWith("image/")) {
      fileMessage(`“${name}” is not an image (${file.type}). Open a PNG, JPEG, WebP, GIF ` +
        "or BMP picture of one handwritten digit.", true);
      return;
    }
    let bitmap;
    try {
      bitmap = await createImageBitmap(file);
    } catch {
      fileMessage(`“${name}” is not an image this browser can read. Open a PNG, JPEG, WebP, ` +
        "GIF or BMP picture of one handwritten digit.", true);
      return;
    }
    if (bitmap.width > MAX_SIDE || bitmap.height > MAX_SIDE) {
      fileMessage(`“${name}” is too large (${bitmap.width}×${bitmap.height} pixels): ` +
        `pictures up to ${MAX_SIDE} pixels a side can be opened.`, true);
      bitmap.close();
      return;
    }
    undoable.push({ picture, strokes: strokes.slice() });
    picture = { bitmap, background: borderColour(bitmap) };
    strokes.length = 0;
    forgetPending();
    updateUndo();
    render();
    $("#hint").textContent = "";
    fileMessage(`Showing “${name}” (${bitmap.width}×${bitmap.height}); ` +
      "the network reads it like a drawing. You can draw on it too.");
    requestPrediction(true);
  }

  $("#open").addEventListener("click", () => $("#file").click());
  $("#file").addEventListener("change", (event) => {
    openPicture(event.target.files[0]);
    event.target.value = "";     // the same file can be opened again
  });
  // A file dropped anywhere on the page is opened (instead of the browser leaving the page).
  document.addEventListener("dragover", (event) => {
    if (event.dataTransfer && Array.from(event.dataTransfer.types).includes("Files")) {
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
      body.dataset.dropping = "true";
    }
  });
  document.addEventListener("dragleave", (event) => {
    if (event.relatedTarget === null) delete body.dataset.dropping;
  });
  document.addEventListener("drop", (event) => {
    delete body.dataset.dropping;
    if (!event.dataTransfer || !event.dataTransfer.files.length) return;
    event.preventDefault();
    openPicture(event.dataTransfer.files[0]);
  });


  // ------------------------------------------------------------------ inside the network

  /* One canvas per layer, its maps in a grid (a pixel per unit, scaled up by CSS), under a
     grid of buttons, one per map, that point, tap and Tab reach; and one enlarged view of
     whichever map is selected. One canvas a layer, not one a map: Chromium commits every
     canvas on the page to the compositor each frame, whether it changed or not, and the
     121 small canvases the page had (81 maps, 40 test digits) cost ~3 ms of main-thread
     time a frame on a 2-core machine (a Chromium trace of bench/browser.py's loop). */
  const inside = (() => {
    const section = $("#inside");
    const zoom = $("#zoom");
    const zoomContext = zoom.getContext("2d");
    const caption = $("#zoom-caption");
    const LAYERS = {
      conv1: { side: 24, count: 20, columns: 10, gap: 2, title: "First convolution, feature map" },
      conv2: { side: 8, count: 40, columns: 10, gap: 1, title: "Second convolution, feature map" },
      dense1: { side: 16, count: 1, columns: 1, gap: 0, title: "Dense layer, all 256 units" },
      kernels: { side: 5, count: 20, columns: 10, gap: 1, title: "First convolution, learned filter" },
    };
    const sheets = {};           // layer -> {canvas, context, image, buttons}
    const shown = new Map();     // button -> {layer, index, max} (max null: nothing drawn yet)
    let selected = null;         // the button whose map is enlarged
    let updates = 0;

    /* Where a map sits on its layer's canvas: cells of side + gap pixels, gaps transparent. */
    function origin(layer, index) {
      const { side, columns, gap } = LAYERS[layer];
      return [(index % columns) * (side + gap), Math.floor(index / columns) * (side + gap)];
    }

    function makeSheet(layer) {
      const { side, count, columns, gap, title } = LAYERS[layer];
      const box = $(`[data-layer="${layer}"]`);
      const rows = Math.ceil(count / columns);
      const canvas = document.createElement("canvas");
      canvas.width = columns * (side + gap);
      canvas.height = rows * (side + gap);
      canvas.className = "sheet";
      canvas.setAttribute("aria-hidden", "true");     // the buttons carry the names
      Object.assign(box.dataset, { side: String(side), cell: String(side + gap), columns: String(columns) });
      box.style.setProperty("--columns", String(columns));
      box.style.setProperty("--rows", String(rows));
      box.style.setProperty("--gap-share", String(gap / (side + gap)));
      box.style.aspectRatio = `${canvas.width} / ${canvas.height}`;
      box.appendChild(canvas);
      const buttons = [];
      for (let index = 0; index < count; index++) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "map";
        button.dataset.index = String(index);
        button.setAttribute("aria-label", count > 1 ? `${title} ${index + 1} of ${count}` : title);
        for (const type of ["pointerenter", "focus", "click"]) button.addEventListener(type, () => select(button));
        box.appendChild(button);
        shown.set(button, { layer, index, max: null });
        buttons.push(button);
      }
      // one ImageData a layer, rewritten by each paintMaps (its gaps are never written: transparent)
      sheets[layer] = { canvas, context: canvas.getContext("2d"), image: new ImageData(canvas.width, canvas.height),
        buttons };
    }

    /* Every map of a layer black: nothing to show yet. */
    function blank(layer) {
      const { side } = LAYERS[layer];
      const { canvas, context, buttons } = sheets[layer];
      context.clearRect(0, 0, canvas.width, canvas.height);
      context.fillStyle = "#000";
      buttons.forEach((button, index) => {
        context.fillRect(...origin(layer, index), side, side);
        delete button.dataset.max;
        shown.get(button).max = null;
      });
    }

    for (const layer of Object.keys(LAYERS)) {
      makeSheet(layer);
      blank(layer);
    }

    /* values: channels-last (side*side*count) or (count*side*side) when planar; each map's
       pixels get grey = 255 * scale(value). All maps of a layer go to its canvas at once. */
    function paintMaps(layer, values, { planar = false, scale }) {
      const { side, count } = LAYERS[layer];
      const { canvas, context, image, buttons } = sheets[layer];
      const area = side * side;
      buttons.forEach((button, channel) => {
        const [x0, y0] = origin(layer, channel);
        let max = -Infinity;
        for (let i = 0; i < area; i++) {
          const v = planar ? values[channel * area + i] : values[i * count + channel];
          if (v > max) max = v;
          const grey = Math.round(255 * Math.min(1, Math.max(0, scale(v))));
          const at = 4 * ((y0 + Math.floor(i / side)) * canvas.width + x0 + (i % side));
          image.data[at] = image.data[at + 1] = image.data[at + 2] = grey;
          image.data[at + 3] = 255;
        }
        button.dataset.max = max.toFixed(5);
        shown.get(button).max = max;
      });
      context.putImageData(image, 0, 0);
    }

    function layerMax(values) {
      let max = 0;
      for (const v of values) if (v > max) max = v;
      return max || 1;
    }

    function show(activations) {
      for (const layer of ["conv1", "conv2", "dense1"]) {
        const top = layerMax(activations[layer]);
        paintMaps(layer, activations[layer], { scale: (v) => v / top });
      }
      updates += 1;
      section.dataset.updates = String(updates);
      section.dataset.shown = "true";
      if (selected) select(selected);
    }

    function clear() {
      for (const layer of ["conv1", "conv2", "dense1"]) blank(layer);
      section.dataset.shown = "false";
      if (selected && shown.get(selected).layer !== "kernels") select(selected);
    }

    function showKernels(kernels) {   // (20, 5, 5) weights: grey 0.5 is zero
      let extent = 0;
      for (const w of kernels) extent = Math.max(extent, Math.abs(w));
      paintMaps("kernels", kernels, { planar: true, scale: (w) => 0.5 + 0.5 * w / (extent || 1) });
    }

    function select(button) {
      const { layer, index, max } = shown.get(button);
      const { side, count, title } = LAYERS[layer];
      if (selected !== button) {
        if (selected) selected.classList.remove("selected");
        button.classList.add("selected");
        selected = button;
      }
      if (zoom.width !== side) zoom.width = zoom.height = side;   // the map below covers it all
      zoom.dataset.layer = layer;
      zoom.dataset.index = String(index);
      zoomContext.drawImage(sheets[layer].canvas, ...origin(layer, index), side, side, 0, 0, side, side);
      const name = count > 1 ? `${title} ${index + 1} of ${count}` : title;
      caption.textContent = layer === "kernels" ? `${name} (5×5 weights).`
        : max !== null ? `${name}: strongest response ${max.toFixed(2)}.` : `${name}: draw a digit to see it.`;
    }

    clear();
    return { show, clear, showKernels };
  })();

  // ------------------------------------------------------------------ About: the training story

  const SVG = "http://www.w3.org/2000/svg";

  function svgElement(name, attributes = {}, text) {
    const element = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
    if (text !== undefined) element.textContent = text;
    return element;
  }

  /* A line chart per epoch: series [{name, key, points: [[epoch, value]]}]. Each point is a
     circle carrying data-series, data-epoch and data-value (the metrics file's number). */
  function lineChart(figure, { title, series, format }) {
    const W = 420, H = 220, left = 52, right = 12, top = 14, bottom = 36;
    const all = series.flatMap((s) => s.points);
    figure.textContent = "";
    if (!all.length) {
      figure.hidden = true;
      return;
    }
    figure.hidden = false;
    const epochs = all.map(([e]) => e);
    const values = all.map(([, v]) => v);
    const e0 = Math.min(...epochs), e1 = Math.max(...epochs);
    let v0 = Math.min(...values), v1 = Math.max(...values);
    if (v1 - v0 < 1e-9) {             // one epoch, or a flat line: a band around the value
      const pad = 0.05 * (Math.abs(v0) || 1);
      v0 -= pad;
      v1 += pad;
    }
    const x = (e) => left + (e1 === e0 ? (W - left - right) / 2 : (e - e0) / (e1 - e0) * (W - left - right));
    const y = (v) => top + (1 - (v - v0) / (v1 - v0)) * (H - top - bottom);
    const id = `${figure.id}-title`;
    const svg = svgElement("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": id,
      class: "chart-svg" });
    svg.appendChild(svgElement("title", { id }, title));
    const axes = svgElement("g", { class: "axes" });
    axes.appendChild(svgElement("line", { x1: left, y1: H - bottom, x2: W - right, y2: H - bottom }));
    axes.appendChild(svgElement("line", { x1: left, y1: top, x2: left, y2: H - bottom }));
    for (let i = 0; i <= 4; i++) {
      const v = v0 + (v1 - v0) * i / 4;
      axes.appendChild(svgElement("line", { x1: left - 4, y1: y(v), x2: W - right, y2: y(v), class: "grid" }));
      axes.appendChild(svgElement("text", { x: left - 6, y: y(v) + 4, "text-anchor": "end" }, format(v)));
    }
    const step = Math.max(1, Math.ceil((e1 - e0 + 1) / 10));
    for (let e = e0; e <= e1; e += step) {
      axes.appendChild(svgElement("text", { x: x(e), y: H - bottom + 16, "text-anchor": "middle" }, String(e)));
    }
    axes.appendChild(svgElement("text", { x: (left + W - right) / 2, y: H - 4, "text-anchor": "middle" }, "epoch"));
    svg.appendChild(axes);
    series.forEach((s, n) => {
      const group = svgElement("g", { class: `series series-${n}`, "data-series": s.key });
      if (s.points.length > 1) {
        group.appendChild(svgElement("polyline", {
          points: s.points.map(([e, v]) => `${x(e).toFixed(1)},${y(v).toFixed(1)}`).join(" ") }));
      }
      for (const [e, v] of s.points) {
        const dot = svgElement("circle", { cx: x(e).toFixed(1), cy: y(v).toFixed(1), r: 3,
          "data-series": s.key, "data-epoch": e, "data-value": v });
        dot.appendChild(svgElement("title", {}, `${s.name}, epoch ${e}: ${format(v)}`));
        group.appendChild(dot);
      }
      svg.appendChild(group);
    });
    figure.appendChild(svg);
    const legend = document.createElement("figcaption");
    legend.append(`${title}: `);
    series.forEach((s, n) => {
      const item = Object.assign(document.createElement("span"), { className: `key key-${n}` });
      const last = s.points[s.points.length - 1];
      item.textContent = `${s.name}${last ? ` (last ${format(last[1])})` : ""}`;
      legend.append(item, n < series.length - 1 ? "; " : ".");
    });
    figure.appendChild(legend);
  }

  function fillCharts(metrics) {
    const history = Array.isArray(metrics.history) ? metrics.history : [];
    const validation = Array.isArray(metrics.validation_history) ? metrics.validation_history : [];
    const points = (rows, key) => rows
      .filter((row) => Number.isFinite(row[key]) && Number.isFinite(row.epoch))
      .map((row) => [row.epoch, row[key]]);
    const loss = [{ name: "training loss", key: "train_loss", points: points(history, "train_loss") }];
    if (points(validation, "val_loss").length) {
      loss.push({ name: "validation loss", key: "val_loss", points: points(validation, "val_loss") });
    }
    lineChart($("#chart-loss"), { title: "Cross-entropy loss per epoch", series: loss,
      format: (v) => v.toFixed(3) });
    const accuracy = [{ name: "training accuracy", key: "train_accuracy",
      points: points(history, "train_accuracy") }];
    if (points(validation, "val_accuracy").length) {
      accuracy.push({ name: "validation accuracy", key: "val_accuracy",
        points: points(validation, "val_accuracy") });
    }
    lineChart($("#chart-accuracy"), { title: "Accuracy per epoch", series: accuracy,
      format: (v) => `${(100 * v).toFixed(1)} %` });
  }

  function fillConfusion(confusion) {
    const table = $("#confusion");
    table.textContent = "";
    if (!Array.isArray(confusion) || confusion.length !== 10) {
      table.hidden = true;
      return;
    }
    const head = table.createTHead().insertRow();
    head.appendChild(Object.assign(document.createElement("th"), { textContent: "true ↓ said →", scope: "col" }));
    for (let d = 0; d < 10; d++) head.appendChild(Object.assign(document.createElement("th"), { textContent: String(d), scope: "col" }));
    let offMax = 1;
    confusion.forEach((row, t) => row.forEach((n, p) => { if (t !== p) offMax = Math.max(offMax, n); }));
    const tbody = table.createTBody();
    confusion.forEach((row, t) => {
      const tr = tbody.insertRow();
      tr.appendChild(Object.assign(document.createElement("th"), { textContent: String(t), scope: "row" }));
      const total = row.reduce((a, b) => a + b, 0) || 1;
      row.forEach((n, p) => {
        const cell = tr.insertCell();
        cell.textContent = String(n);
        cell.dataset.true = String(t);
        cell.dataset.predicted = String(p);
        cell.dataset.count = String(n);
        // right answers shaded by their share of the row, mistakes on a log scale
        const heat = t === p ? n / total : n ? Math.log1p(n) / Math.log1p(offMax) : 0;
        cell.style.setProperty("--heat", heat.toFixed(3));
        cell.className = t === p ? "right" : n ? "wrong" : "zero";
        cell.title = `true ${t}, said ${p}: ${n}`;
      });
    });
    table.hidden = false;
  }

  function fillMistakes(mistakes) {
    const list = $("#mistakes");
    list.textContent = "";
    const scratch = Object.assign(document.createElement("canvas"), { width: 28, height: 28 });
    for (const mistake of Array.isArray(mistakes) ? mistakes : []) {
      if (!Array.isArray(mistake.pixels) || mistake.pixels.length !== 784) continue;
      const item = document.createElement("li");
      item.dataset.index = String(mistake.index);
      item.dataset.label = String(mistake.label);
      item.dataset.predicted = String(mistake.predicted);
      const image = new ImageData(28, 28);
      mistake.pixels.forEach((v, i) => image.data.set([v, v, v, 255], 4 * i));
      scratch.getContext("2d").putImageData(image, 0, 0);
      // an image, not a canvas each: the page's canvases are all committed every frame
      const thumbnail = Object.assign(document.createElement("img"), { width: 28, height: 28,
        src: scratch.toDataURL("image/png"), alt: `Test image ${mistake.index}, a handwritten ${mistake.label}` });
      const text = Object.assign(document.createElement("span"), {
        textContent: `a ${mistake.label}, read as ${mistake.predicted}` });
      item.append(thumbnail, text);
      list.appendChild(item);
    }
  }

  // ------------------------------------------------------------------ About: the model's facts

  const number = (n) => Number(n).toLocaleString("en-US");
  const percent = (x) => `${(100 * x).toFixed(2)} %`;

  function describeLayer(layer, shape) {
    // shape: [height, width, channels] or [features]; returns [details, output shape, parameters]
    const t = layer.type;
    if (t === "Conv2D") {
      const k = layer.kernel_size;
      const out = [shape[0] - k + 1, shape[1] - k + 1, layer.out_channels];
      return [`${layer.out_channels} filters ${k}×${k} over ${layer.in_channels} channel(s), stride 1`,
        out, layer.out_channels * (layer.in_channels * k * k + 1)];
    }
    if (t === "MaxPool2D") return ["max over 2×2, stride 2", [shape[0] >> 1, shape[1] >> 1, shape[2]], 0];
    if (t === "Dropout") return [`drops ${(100 * layer.p).toFixed(0)} % while training only`, shape, 0];
    if (t === "ReLU") return ["max(0, x)", shape, 0];
    if (t === "Flatten") return ["to one vector", [shape.reduce((a, b) => a * b, 1)], 0];
    if (t === "Dense") return [`fully connected ${layer.in_features} → ${layer.out_features}`,
      [layer.out_features], layer.out_features * (layer.in_features + 1)];
    return ["", shape, 0];
  }

  function fillLayers(architecture) {
    const table = $("#layers");
    table.textContent = "";
    const head = table.createTHead().insertRow();
    ["Layer", "Type", "What it does", "Output", "Parameters"].forEach((title) => {
      const th = document.createElement("th");
      th.textContent = title;
      head.appendChild(th);
    });
    const rowsBody = table.createTBody();
    let shape = [28, 28, 1];
    let total = 0;
    const input = rowsBody.insertRow();
    ["input", "", "28×28 grey image, normalised", "28×28×1", ""].forEach((text) => { input.insertCell().textContent = text; });
    for (const layer of architecture) {
      const row = rowsBody.insertRow();
      if (typeof layer !== "object" || layer === null) {
        row.insertCell().textContent = String(layer);
        continue;
      }
      const [details, out, params] = describeLayer(layer, shape);
      shape = out;
      total += params;
      const isLast = layer === architecture[architecture.length - 1];
      [layer.name || "", layer.type || "",
        details + (isLast && layer.type === "Dense" ? ", then softmax" : ""),
        out.join("×"), params ? number(params) : ""].forEach((text) => { row.insertCell().textContent = text; });
    }
    const foot = table.createTFoot().insertRow();
    ["", "", "total", "", number(total)].forEach((text) => { foot.insertCell().textContent = text; });
  }

  // `python -m train`'s settings, as metrics.json records them: in words, with a unit for
  // the value and words for values that mean something else (an unknown setting shows its
  // own name)
  const SETTINGS = {
    seed: ["random seed"], init_seed: ["initial weights drawn with seed", "", { "-1": "the random seed" }],
    epochs: ["epochs scheduled"], batch_size: ["batch size", "images"], lr: ["peak learning rate"],
    warmup_epochs: ["warm-up", "epochs"], schedule: ["learning-rate schedule"],
    momentum: ["momentum"], weight_decay: ["weight decay"], label_smoothing: ["label smoothing"],
    train_images: ["training images used"], validation: ["of them held back for validation"],
    rotations: ["rotated copies", "degrees"], augment: ["random distortion per batch"],
    degrees: ["distortion: rotation up to ±", "degrees"], scale: ["distortion: zoom up to ±"],
    shear: ["distortion: shear up to ±"], shift: ["distortion: shift up to ±", "pixels"],
    elastic_alpha: ["elastic distortion: strength α"], elastic_sigma: ["elastic distortion: smoothness σ", "pixels"],
    thickness: ["strokes thickened or thinned by up to", "pixels"],
    init_weights: ["started from weights"], teachers: ["distilled from"],
  };

  function fillTraining(metrics) {
    const facts = [];
    const count = (part) => (part && part.correct !== undefined
      ? `${number(part.correct)} / ${number(part.total)} (${percent(part.accuracy ?? part.correct / part.total)})`
      : null);
    facts.push(["Held-out images 50,000–59,999", count(metrics.held_out)]);
    facts.push(["Official MNIST test set", count(metrics.test)]);
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
    for (const [key, value] of Object.entries(metrics.hyperparameters || {})) {
      const [words, unit, named = { "": "none" }] = SETTINGS[key] || [key.replace(/_/g, " ")];
      const text = Array.isArray(value) ? value.join(", ") : Number.isInteger(value) ? number(value) : String(value);
      const shown = Object.hasOwn(named, String(value)) ? named[String(value)]
        : text + (!unit ? "" : value === 1 ? ` ${unit.replace(/s$/, "")}` : ` ${unit}`);
      facts.push([words, shown, `--${key}`]);
    }
    const list = $("#training");
    list.textContent = "";
    for (const [term, value, flag] of facts) {
      if (value === null || value === undefined) continue;
      const dt = list.appendChild(Object.assign(document.createElement("dt"), { textContent: term }));
      if (flag) dt.append(" ", Object.assign(document.createElement("code"), { textContent: flag }));
      list.appendChild(Object.assign(document.createElement("dd"), { textContent: value }));
    }
    const test = metrics.test || {};
    const heldOut = metrics.held_out || {};
    const parts = [];
    if (test.correct !== undefined) {
      parts.push(`${percent(test.accuracy ?? test.correct / test.total)} on the official MNIST test set ` +
        `(${number(test.correct)} of ${number(test.total)} right)`);
    }
    if (heldOut.correct !== undefined) {
      parts.push(`${number(heldOut.correct)} of ${number(heldOut.total)} on held-out training images it never learnt from`);
    }
    $("#accuracy").textContent = parts.length ? `Accuracy: ${parts.join("; ")}.` : "Accuracy: not recorded.";
  }

  async function loadFacts() {
    try {
      const response = await fetch("model/metrics.json");
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const metrics = await response.json();
      if (Array.isArray(metrics.architecture)) fillLayers(metrics.architecture);
      fillTraining(metrics);
      fillCharts(metrics);
      fillConfusion(metrics.test && metrics.test.confusion);
      fillMistakes(metrics.test_mistakes);
      body.dataset.story = "ready";
    } catch (error) {
      $("#accuracy").textContent = `The model's facts (model/metrics.json) could not be read: ${error.message}.`;
      $("#layers").textContent = "";
    }
  }

  // ------------------------------------------------------------------ start

  function registerServiceWorker() {
    if (!("serviceWorker" in navigator)) {
      body.dataset.offline = "unsupported";
      return;
    }
    navigator.serviceWorker.register("sw.js")
      .then(() => navigator.serviceWorker.ready)
      .then(() => { body.dataset.offline = "ready"; })
      .catch(() => { body.dataset.offline = "unavailable"; });
  }

  async function start() {
    clearResult();
    resizeCanvas();
    new ResizeObserver(resizeCanvas).observe(drawCanvas);
    if (typeof WebAssembly !== "object" || typeof WebAssembly.instantiate !== "function") {
      fail("This browser cannot run WebAssembly, which the in-page Python needs. " +
        "Try a current Chrome, Edge, Firefox or Safari (and check that WebAssembly is not disabled).");
      return;
    }
    if (typeof Worker !== "function") {
      fail("This browser cannot run Web Workers, which the in-page Python needs.");
      return;
    }
    const worker = new PythonWorker("worker.js", ({ stage, stages, label }) => {
      progressBar.max = stages;
      progressBar.value = stage - 0.5;
      statusText.textContent = `Loading, step ${stage} of ${stages}: ${label}…`;
    });
    try {
      const info = await worker.ready;
      python = worker;
      workerInfo = info;
      performance.mark("mnist-ready");
      progressBar.value = progressBar.max;
      $("#versions").textContent = `Python ${info.python}, NumPy ${info.numpy}, Pyodide ${info.pyodide}; ` +
        `started in ${(info.startMs / 1000).toFixed(1)} s.`;
      setState("ready", "Ready: draw a digit.");
      pump();
      python.request("kernels").then(({ kernels }) => inside.showKernels(kernels),
        () => {});   // the filters are an extra: predictions work without them
      registerServiceWorker();
    } catch (error) {
      worker.worker.terminate();
      fail(error.message);
    }
  }

  /* For tests and the browser benchmark: one end-to-end prediction of the current canvas
     (resolves after it is rendered; {activations: false} skips the layers' outputs, as
     bench/browser.py compares), the worker's answer for given pixels (not rendered),
     the worker's memory figures, and what the worker reported when it started. */
  let workerInfo = null;
  window.mnistDraw = Object.freeze({
    get info() { return workerInfo; },
    async classify(width, height, pixels, { activations = false, photo = false } = {}) {
      if (!python) throw new Error("not ready");
      return python.request("classify", { width, height, pixels, activations, photo }, [pixels]);
    },
    async predictNow({ activations = SHOW_ACTIVATIONS } = {}) {
      if (!python) throw new Error("not ready");
      const { reply, started } = await predict(snapshot(), activations);
      show(reply, started);
      return { blank: reply.blank, ...(reply.blank ? {} : lastEndToEnd) };
    },
    async workerStats() {
      if (!python) throw new Error("not ready");
      const { wasmBytes, allocatedBlocks } = await python.request("stats");
      return { wasmBytes, allocatedBlocks };
    },
  });

  // The About section's facts and charts are drawn once Python has started (or failed
  // to): on two cores, drawing them while the worker starts delays it by 0.1-0.3 s.
  start().finally(loadFacts);
})();
