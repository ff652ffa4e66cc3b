"""The built site, served on 127.0.0.1, and Debian's Chromium driven by Playwright.

Shared by tests/e2e and tests/parity (tests/conftest.py's session fixtures call it, so the
site is built and the browser started once per session) and by bench/browser.py.

Environment knobs (all optional):
    MNIST_DRAW_CHROMIUM    the Chromium binary (default /usr/bin/chromium)
    MNIST_DRAW_MODEL_DIR   model folder to build with (default web/model)
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import build

ROOT = Path(__file__).absolute().parents[2]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic",
                 "--no-first-run"]
READY_TIMEOUT_MS = 120_000     # a loaded 2-core CI machine can take a while to start Python


def model_dir() -> Path:
    return Path(os.environ.get("MNIST_DRAW_MODEL_DIR") or ROOT / "web" / "model")


@dataclass
class Site:
    dist: Path
    url: str
    manifest: dict
    server: object = field(repr=False)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def build_and_serve(workdir: Path) -> Site:
    """Build dist/ into workdir (never the repo's own dist/) and serve it on a free port."""
    dist = workdir / "dist"
    manifest = build.build(dist=dist, model_dir=model_dir())
    server, url = build.serve_in_thread(dist)
    return Site(dist=dist, url=url, manifest=manifest, server=server)


def chromium_path() -> str:
    path = os.environ.get("MNIST_DRAW_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        raise RuntimeError(f"Chromium not found at {path}: install Debian's chromium "
                           "(apt-get install -y chromium) or set MNIST_DRAW_CHROMIUM")
    return path


def launch(playwright):
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)


# ------------------------------------------------------------------ page helpers

def open_ready_page(target, url, timeout=READY_TIMEOUT_MS, recording=False, **context_options):
    """Open ``url`` and wait until the page is ready (body[data-state=ready]); returns the page.

    target: a Page (it navigates), a BrowserContext (a new page in it) or a Browser (a new
    page in a new context made with context_options, service workers blocked unless they
    say otherwise: close it with page.context.close()). recording: record the page's
    requests and errors from the start (see record)."""
    if hasattr(target, "goto"):
        page = target
    elif hasattr(target, "new_context"):
        page = target.new_context(**{"service_workers": "block", **context_options}).new_page()
    else:
        page = target.new_page()
    if recording:
        record(page)
    page.goto(url)
    wait_ready(page, timeout)
    return page


def wait_started(page, timeout=READY_TIMEOUT_MS) -> str:
    """Wait until the page has left its loading state; returns body's data-state ("ready",
    or "error" when something failed to load)."""
    page.wait_for_selector("body:not([data-state=loading])", timeout=timeout)
    return page.get_attribute("body", "data-state")


def wait_ready(page, timeout=READY_TIMEOUT_MS):
    """Wait until the page (already opened, or reloaded) is ready."""
    state = wait_started(page, timeout)
    assert state == "ready", f"page state {state!r}: {page.inner_text('#status')}"


def predictions(page) -> int:
    return int(page.get_attribute("body", "data-predictions"))


def probabilities(page) -> np.ndarray:
    values = page.eval_on_selector_all(
        "[data-digit]", "rows => rows.map(r => [Number(r.dataset.digit), r.dataset.prob])")
    out = np.zeros(10)
    for digit, prob in values:
        out[digit] = float(prob)
    return out


def highlighted(page) -> list[int]:
    return page.eval_on_selector_all("[data-digit].predicted",
                                     "rows => rows.map(r => Number(r.dataset.digit))")


def wait_prediction_after(page, count_before: int, timeout=30_000):
    """Wait until a prediction newer than count_before is rendered and none is pending."""
    page.wait_for_function(
        "n => document.body.dataset.busy === 'false' && Number(document.body.dataset.predictions) > n",
        arg=count_before, timeout=timeout)


def draw_strokes(page, strokes, steps=4):
    """Draw strokes with the mouse; each stroke a list of (x, y) fractions of the box.
    Returns after the last stroke's prediction is rendered."""
    box = page.locator("#draw").bounding_box()

    def at(fx, fy):
        return box["x"] + fx * box["width"], box["y"] + fy * box["height"]

    before = predictions(page)
    for stroke in strokes:
        page.mouse.move(*at(*stroke[0]))
        page.mouse.down()
        for point in stroke[1:]:
            page.mouse.move(*at(*point), steps=steps)
        page.mouse.up()
    wait_prediction_after(page, before)


def canvas_rgba(page, selector: str) -> np.ndarray:
    """getImageData of a canvas on the page (or of an img, drawn at its natural size), as
    (H, W, 4) uint8."""
    width, height, data = page.eval_on_selector(selector, """element => {
        let canvas = element;
        if (element instanceof HTMLImageElement) {
            canvas = Object.assign(document.createElement("canvas"),
                                   { width: element.naturalWidth, height: element.naturalHeight });
            canvas.getContext("2d").drawImage(element, 0, 0);
        }
        const image = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
        let text = "";
        for (let i = 0; i < image.data.length; i += 0x8000) {
            text += String.fromCharCode.apply(null, image.data.subarray(i, i + 0x8000));
        }
        return [canvas.width, canvas.height, btoa(text)];
    }""")
    return np.frombuffer(base64.b64decode(data), np.uint8).reshape(height, width, 4)


def keep_input(page):
    """A handle to the input canvas's pixels as they are now (an ImageData in the page):
    pass it to a page.evaluate and putImageData it back to predict that drawing again."""
    return page.evaluate_handle("""() => { const c = document.querySelector("#network-input");
        return c.getContext("2d").getImageData(0, 0, c.width, c.height); }""")


def map_rgba(page, layer: str, index: int) -> np.ndarray:
    """One feature map (or filter) of the Inside section: its square of the layer's canvas."""
    box = f'[data-layer="{layer}"]'
    side, cell, columns = (int(page.get_attribute(box, f"data-{key}")) for key in ("side", "cell", "columns"))
    sheet = canvas_rgba(page, f"{box} canvas.sheet")
    top, left = (index // columns) * cell, (index % columns) * cell
    return sheet[top:top + side, left:left + side]


def classify_in_browser(page, rgba: np.ndarray, activations=False, photo=False) -> dict:
    """Send pixels to the page's worker (window.mnistDraw.classify): the Pyodide result.
    activations: also the layers' outputs, {name: flat array}; photo: as an opened picture.
    verdict and reason: pycore.verdict's verdict and the sentence why ("" for a digit)."""
    height, width = rgba.shape[:2]
    reply = page.evaluate("""async ([width, height, data, options]) => {
        const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
        const reply = await window.mnistDraw.classify(width, height, bytes.buffer, options);
        return reply.blank ? {blank: true}
            : {blank: false, probabilities: Array.from(reply.probabilities),
               image: Array.from(reply.image), verdict: reply.verdict, reason: reply.reason,
               activations: reply.activations && Object.fromEntries(Object.entries(reply.activations)
                   .map(([name, values]) => [name, Array.from(values)]))};
    }""", [width, height, base64.b64encode(np.ascontiguousarray(rgba, np.uint8).tobytes()).decode(),
           {"activations": activations, "photo": photo}])
    if not reply["blank"]:
        reply["probabilities"] = np.array(reply["probabilities"], np.float32)
        reply["image"] = np.array(reply["image"], np.float32).reshape(28, 28)
        if reply["activations"]:
            reply["activations"] = {name: np.array(values, np.float32)
                                    for name, values in reply["activations"].items()}
    return reply


def jpeg_in_browser(page, rgba: np.ndarray, folder: Path) -> bytes:
    """(H, W, 4) uint8 pixels as the bytes of a JPEG file that Chromium encodes (canvas.toBlob,
    quality 0.9), for a photo as a phone gives it; the raw pixels pass through a file in folder."""
    raw = folder / "photo.rgba"
    raw.write_bytes(np.ascontiguousarray(rgba).tobytes())
    page.evaluate("""() => { const input = Object.assign(document.createElement("input"),
        { type: "file", id: "raw-source", hidden: true }); document.body.append(input); }""")
    page.set_input_files("#raw-source", str(raw))
    data = page.evaluate("""async ([width, height]) => {
        const input = document.querySelector("#raw-source");
        const pixels = new Uint8ClampedArray(await input.files[0].arrayBuffer());
        input.remove();
        const canvas = Object.assign(document.createElement("canvas"), { width, height });
        canvas.getContext("2d").putImageData(new ImageData(pixels, width, height), 0, 0);
        const blob = await new Promise((done) => canvas.toBlob(done, "image/jpeg", 0.9));
        const bytes = new Uint8Array(await blob.arrayBuffer());
        let text = "";
        for (let i = 0; i < bytes.length; i += 0x8000) {
            text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
        }
        return btoa(text);
    }""", [rgba.shape[1], rgba.shape[0]])
    return base64.b64decode(data)


def shape_points(name: str) -> list[list[tuple[float, float]]]:
    """Clear, MNIST-like digits as strokes of (x, y) box fractions."""
    if name == "1":
        return [[(0.52, 0.18), (0.50, 0.50), (0.48, 0.82)]]
    if name == "0":
        angles = np.linspace(0, 2 * np.pi, 41)
        return [[(0.5 + 0.19 * np.sin(a), 0.5 - 0.31 * np.cos(a)) for a in angles]]
    if name == "7":
        return [[(0.28, 0.2), (0.72, 0.2), (0.58, 0.5), (0.45, 0.82)]]
    if name == "2":
        return [[(0.32, 0.3), (0.4, 0.2), (0.55, 0.18), (0.66, 0.27), (0.64, 0.4), (0.5, 0.55),
                 (0.32, 0.8), (0.7, 0.8)]]
    if name == "3":
        return [[(0.32, 0.22), (0.5, 0.17), (0.65, 0.25), (0.62, 0.4), (0.48, 0.48), (0.64, 0.56),
                 (0.67, 0.7), (0.52, 0.82), (0.32, 0.78)]]
    if name == "4":                                               # two strokes, pen lifted
        return [[(0.36, 0.2), (0.32, 0.56), (0.7, 0.56)], [(0.62, 0.22), (0.62, 0.84)]]
    if name == "5":                                               # the bar added last
        return [[(0.38, 0.2), (0.35, 0.47), (0.52, 0.44), (0.65, 0.55), (0.65, 0.7), (0.52, 0.8),
                 (0.33, 0.77)], [(0.38, 0.2), (0.66, 0.2)]]
    if name == "6":
        return [[(0.62, 0.18), (0.45, 0.35), (0.36, 0.55), (0.38, 0.75), (0.5, 0.82), (0.63, 0.74),
                 (0.63, 0.6), (0.5, 0.54), (0.38, 0.62)]]
    if name == "8":                                               # one figure-of-eight stroke
        t = np.linspace(0, 2 * np.pi, 41)
        return [[(0.5 + 0.15 * np.sin(2 * a), 0.5 - 0.31 * np.cos(a)) for a in t]]
    if name == "9":                                               # loop, then down the stem
        t = np.linspace(0, 2 * np.pi, 25)
        loop = [(0.5 + 0.14 * np.cos(a), 0.35 - 0.15 * np.sin(a)) for a in t]
        return [loop + [(0.62, 0.6), (0.6, 0.84)]]
    raise ValueError(name)


def manifest_of(dist: Path) -> dict:
    return json.loads((dist / "manifest.json").read_text())


def new_workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="mnist-draw-test-"))


# ------------------------------------------------------------------ one per test session

_shared: dict = {}


def shared_site() -> Site:
    if "site" not in _shared:
        _shared["workdir"] = new_workdir()
        _shared["site"] = build_and_serve(_shared["workdir"])
    return _shared["site"]


def shared_browser():
    if "browser" not in _shared:
        from playwright.sync_api import sync_playwright
        _shared["playwright"] = sync_playwright().start()
        _shared["browser"] = launch(_shared["playwright"])
    return _shared["browser"]


def shared_page():
    """One ready page for the whole session (SW blocked); page.requests lists every
    request URL since its context opened, page.errors its page errors and console errors."""
    if "page" not in _shared:
        _shared["page"] = open_ready_page(shared_browser(), shared_site().url, recording=True,
                                          viewport={"width": 1000, "height": 900})
    return _shared["page"]


def record(page):
    page.requests, page.errors = [], []
    page.context.on("request", lambda request: page.requests.append(request.url))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and page.errors.append(message.text))
    return page


def shutdown():
    """Close the browser, stop the server, remove the build (idempotent)."""
    if "page" in _shared:
        _shared.pop("page").context.close()
    if "browser" in _shared:
        _shared.pop("browser").close()
        _shared.pop("playwright").stop()
    if "site" in _shared:
        _shared.pop("site").close()
        shutil.rmtree(_shared.pop("workdir"), ignore_errors=True)
