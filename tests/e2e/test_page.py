"""The built site in Debian's Chromium: the page contract of docs/architecture.md, drawing,
offline use, privacy and error states."""
import gzip
import hashlib
import json
import re
import shutil

import numpy as np
import pytest

import build
from pycore.preprocess import STROKE_RANGE, fitted, ink, stroke_width, to_mnist
from tests.e2e import harness
from train.__main__ import about_rows


def test_ready_with_contract_elements(page, site):
    harness.open_ready_page(page, site.url)
    assert page.locator("canvas#draw").count() == 1
    assert page.locator("canvas#preview").count() == 1
    assert page.locator("button#clear").count() == 1
    assert [page.get_attribute(f'[data-digit="{d}"]', "data-prob") for d in range(10)] == ["0"] * 10
    assert page.locator(".predicted").count() == 0
    assert harness.predictions(page) == 0
    assert page.errors == []
    # styled by the stylesheets build.py inlined (a refused <style> would leave the default)
    assert page.eval_on_selector("#draw", "c => getComputedStyle(c).touchAction") == "none"


def test_about_reads_the_metrics_file(ready_page, site):
    metrics = json.loads((site.dist / "model" / "metrics.json").read_text())
    page = ready_page
    page.wait_for_function("document.querySelector('#layers tbody').rows.length > 1")
    about = page.inner_text("#about")
    for part in ("test", "held_out"):
        if part in metrics:
            assert f"{metrics[part]['correct']:,}" in about
    assert f"{100 * metrics['test']['accuracy']:.2f} %" in page.inner_text("#accuracy")
    # every training setting train recorded, in train's words and by its `python -m train` flag
    terms = page.eval_on_selector_all("#training dt", "dts => dts.map(dt => [dt.textContent, "
                                      "dt.nextElementSibling.textContent])")
    for row in metrics["settings"]:
        assert [f"{row['words']} {row['flag']}", row["value"]] in terms
    training = page.inner_text("#training")
    scheduled, trained = metrics["hyperparameters"]["epochs"], len(metrics["history"])
    if scheduled > trained:
        assert f"{trained} of the {scheduled} scheduled" in training
    # one row per layer, the input first, as pycore summed them up (train.export)
    cells = page.eval_on_selector_all("#layers tbody tr", "rs => rs.map(r => [...r.cells].map(c => c.textContent))")
    assert cells == [[layer["name"], layer["type"], layer["does"], "×".join(map(str, layer["output"])),
                      f"{layer['parameters']:,}" if layer["parameters"] else ""] for layer in metrics["layers"]]
    assert len(cells) == len(metrics["architecture"]) + 1
    assert page.inner_text("#layers tfoot").split()[-1] == f"{metrics['parameters']:,}"
    assert len(page.locator("#resources a").all()) == 5


@pytest.mark.parametrize("digit", list("0123456789"))
def test_mouse_drawn_digit_is_predicted_and_highlighted(ready_page, digit):
    page = ready_page
    harness.draw_strokes(page, harness.shape_points(digit))
    probabilities = harness.probabilities(page)
    assert abs(probabilities.sum() - 1) < 1e-3
    assert harness.highlighted(page) == [int(np.argmax(probabilities))]
    assert int(np.argmax(probabilities)) == int(digit), f"probabilities {probabilities.round(3)}"
    assert page.get_attribute("#answer", "data-verdict") == "digit"
    colour = page.eval_on_selector(".predicted", "el => getComputedStyle(el).color")
    red, green, blue = map(int, re.findall(r"\d+", colour)[:3])
    assert blue > 150 and blue > red + 60 and blue > green + 30, f"highlight colour {colour}"


def test_bars_show_the_probabilities_as_soon_as_they_arrive(ready_page):
    page = ready_page
    harness.draw_strokes(page, harness.shape_points("0"))
    zero = harness.keep_input(page)
    page.click("#clear")
    harness.draw_strokes(page, harness.shape_points("1"))
    # the 0 again, and the bars measured in the same task as the answer's arrival
    shown = page.evaluate("""async zero => {
        document.querySelector("#network-input").getContext("2d").putImageData(zero, 0, 0);
        await window.mnistDraw.predictNow();
        return [...document.querySelectorAll("#classes li")].map(row => [Number(row.dataset.prob),
            row.querySelector(".bar > span").getBoundingClientRect().width
            / row.querySelector(".bar").getBoundingClientRect().width]); }""", zero)
    probabilities, shares = np.array(shown).T
    assert probabilities.argmax() == 0
    np.testing.assert_allclose(shares, probabilities, atol=0.01)   # no animation lags behind


def scaled(strokes, factor):
    """Strokes (box fractions) scaled about the box's centre."""
    return [[(0.5 + factor * (x - 0.5), 0.5 + factor * (y - 0.5)) for x, y in stroke] for stroke in strokes]


@pytest.mark.parametrize("size, factor", [("filling the box", 1.45), ("small", 0.33)])
def test_digits_drawn_large_or_small_reach_the_network_with_mnist_strokes(ready_page, size, factor):
    """The pen is a fixed share of the box: scaled to 20 px, a digit filling the box has thin
    strokes and a small one thick strokes. Preprocessing brings them into MNIST's range,
    and every digit is still read right at either size. (These clean shapes are read right
    as drawn too; train.strokes measures what the range does for real handwriting.)"""
    page = ready_page
    read = []
    for digit in "0123456789":
        page.click("#clear")
        harness.draw_strokes(page, scaled(harness.shape_points(digit), factor))
        sent = harness.canvas_rgba(page, "#network-input")
        as_drawn, evened = stroke_width(fitted(sent, strokes=None)), stroke_width(fitted(sent))
        if size == "small":
            assert as_drawn > STROKE_RANGE[1], digit
        else:
            assert as_drawn < STROKE_RANGE[0] - 0.5, digit
        assert STROKE_RANGE[0] - 0.2 < evened < STROKE_RANGE[1] + 0.2, digit
        read.append(harness.highlighted(page))
    assert read == [[d] for d in range(10)]


def test_prediction_follows_every_stroke_end(ready_page):
    page = ready_page
    strokes = harness.shape_points("7")
    harness.draw_strokes(page, strokes)
    first = harness.predictions(page)
    harness.draw_strokes(page, [[(0.35, 0.5), (0.65, 0.5)]])   # a bar across the 7
    assert harness.predictions(page) > first
    assert page.get_attribute("body", "data-busy") == "false"


def test_preview_is_cpython_preprocessing_of_the_canvas(ready_page):
    page = ready_page
    harness.draw_strokes(page, harness.shape_points("7"))
    sent = harness.canvas_rgba(page, "#network-input")     # the pixels the worker received
    preview = harness.canvas_rgba(page, "#preview")
    expected = to_mnist(sent)
    assert expected is not None and preview.shape == (28, 28, 4)
    assert (sent[0, 0] == 0).all()      # transparent around the strokes: the ink is the alpha
    shown = preview[..., 0].astype(np.float32) / 255
    assert np.abs(shown - expected).max() <= 0.6 / 255   # the preview rounds to 8 bits
    assert (preview[..., 0] == preview[..., 1]).all() and (preview[..., 3] == 255).all()
    # ... and those pixels are the visible drawing, at the input canvas's resolution
    visible = harness.canvas_rgba(page, "#draw")
    factor = visible.shape[0] // sent.shape[0]
    assert factor * sent.shape[0] == visible.shape[0] and visible.shape[:2] == (factor * 200,) * 2
    ink_visible = 1 - visible[..., 0].reshape(200, factor, 200, factor).mean(axis=(1, 3)) / 255
    ink_sent = ink(sent)
    assert np.abs(ink_visible - ink_sent).mean() < 0.02
    overlap = ((ink_visible > 0.5) & (ink_sent > 0.5)).sum() / ((ink_visible > 0.5) | (ink_sent > 0.5)).sum()
    assert overlap > 0.85


def test_clear_resets_drawing_and_prediction(ready_page):
    page = ready_page
    harness.draw_strokes(page, harness.shape_points("1"))
    count = harness.predictions(page)
    page.click("#clear")
    assert [page.get_attribute(f'[data-digit="{d}"]', "data-prob") for d in range(10)] == ["0"] * 10
    assert page.locator(".predicted").count() == 0
    assert (harness.canvas_rgba(page, "#draw")[..., :3] == 255).all()
    assert (ink(harness.canvas_rgba(page, "#network-input")) == 0).all()
    assert (harness.canvas_rgba(page, "#preview")[..., :3] == 0).all()
    page.wait_for_timeout(300)   # a late reply for the cleared drawing must not come back
    assert page.locator(".predicted").count() == 0
    assert harness.predictions(page) == count
    assert page.get_attribute("#answer", "data-verdict") == "blank"


def test_touch_drawing(browser, site):
    context = browser.new_context(service_workers="block", has_touch=True, is_mobile=True,
                                  viewport={"width": 390, "height": 844}, device_scale_factor=2)
    try:
        page = harness.open_ready_page(context, site.url)
        assert page.eval_on_selector("#draw", "c => getComputedStyle(c).touchAction") == "none"
        page.evaluate("""() => { window.pointerTypes = [];
            document.querySelector('#draw').addEventListener('pointerdown',
                e => window.pointerTypes.push(e.pointerType)); }""")
        box = page.locator("#draw").bounding_box()
        cdp = context.new_cdp_session(page)
        points = [(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * (0.2 + 0.6 * i / 15))
                  for i in range(16)]
        before = harness.predictions(page)
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart",
                                              "touchPoints": [{"x": points[0][0], "y": points[0][1]}]})
        for x, y in points[1:]:
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        harness.wait_prediction_after(page, before)
        assert page.evaluate("window.pointerTypes") == ["touch"]
        canvas = harness.canvas_rgba(page, "#draw")
        assert canvas.shape[0] == round(box["height"] * 2)        # device-pixel-ratio aware
        assert (canvas[..., 0] < 128).mean() > 0.01                # ink is there
        assert len(harness.highlighted(page)) == 1
        assert page.evaluate("document.scrollingElement.scrollTop") == 0
    finally:
        context.close()


FAST_4G = {"offline": False, "latency": 165, "downloadThroughput": 9_000_000 / 8, "uploadThroughput": 1_500_000 / 8}
NO_LIMIT = {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}


def test_offline_reload_after_first_visit(browser, site):
    """A first visit on a phone's network (Fast 4G, emulated) starts without the start-up
    snapshot; the service worker then caches it, with the wasm, the stdlib's zip and the
    snapshot also gunzipped, and later visits restore it from those, offline too."""
    context = browser.new_context()   # service workers allowed
    try:
        page = context.new_page()
        network = context.new_cdp_session(page)
        network.send("Network.enable")
        network.send("Network.emulateNetworkConditions", FAST_4G)
        page.goto(site.url)
        harness.wait_ready(page)
        assert page.evaluate("window.mnistDraw.info.snapshot") is False
        network.send("Network.emulateNetworkConditions", NO_LIMIT)
        page.wait_for_selector("body[data-offline=ready]", timeout=60_000)
        cached = page.evaluate("""async () => {
            const names = await caches.keys();
            const cache = await caches.open(names.find(n => n.startsWith('mnist-draw-')));
            return (await cache.keys()).map(r => r.url);
        }""")
        for entry in site.manifest["files"]:   # all but the lazy data files (tests/e2e/test_data_files.py)
            assert (site.url + entry["path"] in cached) != entry.get("lazy", False), entry["path"]
        kept = page.evaluate("""async (urls) => {
            const cache = await caches.open((await caches.keys()).find(n => n.startsWith('mnist-draw-')));
            const out = {};
            for (const url of urls) {
                const response = await cache.match(url);
                const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await response.arrayBuffer()));
                out[url] = [response.headers.get('Content-Type'),
                            Array.from(digest, b => b.toString(16).padStart(2, '0')).join('')];
            }
            return out;
        }""", [site.url + e["path"].removesuffix(".gz") for e in site.manifest["files"] if "gunzip" in e])
        assert len(kept) == 3
        for entry in (e for e in site.manifest["files"] if "gunzip" in e):
            plain = hashlib.sha256(gzip.decompress((site.dist / entry["path"]).read_bytes())).hexdigest()
            assert kept[site.url + entry["path"].removesuffix(".gz")] == [entry["gunzip"], plain]
        asked = []
        context.on("request", lambda request: asked.append(request.url.removeprefix(site.url)))
        page.reload()
        harness.wait_ready(page)
        assert page.evaluate("window.mnistDraw.info.snapshot") is True
        # the kept files, not their .gz (the wasm's .gz is asked for at once, then dropped)
        for name in ("pyodide.asm.wasm", "python_stdlib.zip", "snapshot.bin"):
            assert f"pyodide/{name}" in asked, asked
        assert "pyodide/python_stdlib.zip.gz" not in asked and "pyodide/snapshot.bin.gz" not in asked, asked
        context.set_offline(True)
        page.reload()
        harness.wait_ready(page)
        assert page.evaluate("window.mnistDraw.info.snapshot") is True
        harness.draw_strokes(page, harness.shape_points("1"))
        assert len(harness.highlighted(page)) == 1
    finally:
        context.close()


def test_no_request_leaves_the_origin(ready_page, site):
    page = ready_page   # recording since its profile opened: load, start, predictions
    harness.draw_strokes(page, harness.shape_points("0"))
    page.click("#clear")
    assert any(url.endswith("pyodide.asm.wasm.gz") for url in page.requests), page.requests
    foreign = [url for url in page.requests if not url.startswith(site.url)]
    assert foreign == []
    assert not [e for e in page.errors if "Content Security Policy" in e]
    meta = page.get_attribute('meta[http-equiv="Content-Security-Policy"]', "content")
    assert meta == build.content_security_policy(site.dist / "index.html")
    # every URL the page itself loads is relative (the site works under a sub-path); images
    # made in the page are data URLs, which load nothing
    for url in page.eval_on_selector_all("script[src], link[href], img[src]",
                                         "els => els.map(e => e.getAttribute('src') || e.getAttribute('href'))"):
        assert url.startswith("data:image/png;base64,") or not re.match(r"^(/|[a-z]+:)", url), url


@pytest.mark.parametrize("init_seed, shown", [(-1, "the random seed"), (3, "3")])
def test_about_says_where_the_initial_weights_came_from(page, context, site, init_seed, shown):
    metrics = json.loads((site.dist / "model" / "metrics.json").read_text())
    metrics["hyperparameters"]["init_seed"] = init_seed
    metrics["settings"] = about_rows(metrics["hyperparameters"])     # as train.export writes them
    context.route("**/model/metrics.json", lambda route: route.fulfill(
        status=200, body=json.dumps(metrics), content_type="application/json"))
    page.goto(site.url)
    page.locator("#training code", has_text="--init_seed").wait_for()
    terms = page.eval_on_selector_all("#training dt", "dts => dts.map(dt => [dt.textContent, "
                                      "dt.nextElementSibling.textContent])")
    assert ["initial weights drawn with seed --init_seed", shown] in terms
    assert not any("--teacher_" in term for term, _ in terms)       # nothing was distilled: no teacher settings


@pytest.mark.parametrize("body, status", [(None, 404), (b"PK\x03\x04 this is not an npz file", 200)],
                         ids=["missing", "corrupt"])
def test_bad_weights_file_gives_error_state(page, context, site, body, status):
    context.route("**/model/mnist-cnn.npz",
                  lambda route: route.fulfill(status=status, body=body or b"not found",
                                              content_type="application/octet-stream"))
    page.goto(site.url)
    assert harness.wait_started(page) == "error"
    message = page.inner_text("#status")
    assert "model file" in message and page.locator("#status").is_visible()


@pytest.mark.parametrize("pattern, status, body, words", [
    ("**/pyodide/pyodide.asm.wasm.gz", 404, b"", "Python runtime"),
    ("**/pyodide/pyodide.asm.wasm.gz", 200, b"not gzip", "Python runtime"),
    ("**/pyodide/numpy-*.tar.gz", 200, gzip.compress(b"not the pinned numpy"), "NumPy"),
    ("**/pyodide/snapshot.bin.gz", 404, b"", "Python runtime"),
    ("**/pyodide/snapshot.bin.gz", 200, b"not gzip", "Python runtime"),
    ("**/pyodide/snapshot.bin.gz", 200, gzip.compress(bytes(1 << 16)), "Python runtime"),
], ids=["missing runtime", "runtime not gzip", "corrupt numpy", "missing snapshot", "snapshot not gzip",
        "not a snapshot"])
def test_bad_runtime_file_gives_error_state(page, context, site, pattern, status, body, words):
    if "snapshot" in pattern:   # the worker asks for it only when a cache holds it (a repeat visit)
        page.goto(site.url + "favicon.svg")
        page.evaluate("""async url => (await caches.open('mnist-draw-test')).put(url, new Response('x'))""",
                      site.url + "pyodide/snapshot.bin.gz")
    context.route(pattern, lambda route: route.fulfill(status=status, body=body))
    page.goto(site.url)
    assert harness.wait_started(page) == "error"
    assert words in page.inner_text("#status")


@pytest.mark.parametrize("archive, words", [
    (gzip.compress(b"x" * 2048), "damaged"),
    (gzip.compress(bytes(1024)), "holds no files"),
], ids=["not a tar", "empty tar"])
def test_numpy_archive_matching_its_hash_but_unusable_gives_error_state(page, context, site,
                                                                        archive, words):
    """A numpy .tar.gz that passes the integrity check (its sha256 put in the lock file)
    but is no usable archive: the worker's untar refuses it, nothing is imported."""
    lock = json.loads((site.dist / "pyodide" / "pyodide-lock.json").read_text())
    lock["packages"]["numpy"]["sha256"] = hashlib.sha256(archive).hexdigest()
    context.route("**/pyodide/pyodide-lock.json",
                  lambda route: route.fulfill(status=200, body=json.dumps(lock), content_type="application/json"))
    context.route("**/pyodide/numpy-*.tar.gz", lambda route: route.fulfill(status=200, body=archive))
    page.goto(site.url)
    assert harness.wait_started(page) == "error"
    message = page.inner_text("#status")
    assert "NumPy" in message and words in message


def test_no_webassembly_gives_error_state(page, site):
    page.add_init_script("delete globalThis.WebAssembly")
    page.goto(site.url)
    page.wait_for_selector("body[data-state=error]", timeout=30_000)
    assert "WebAssembly" in page.inner_text("#status")


def test_no_web_workers_gives_error_state(page, site):
    page.add_init_script("delete globalThis.Worker")
    page.goto(site.url)
    page.wait_for_selector("body[data-state=error]", timeout=30_000)
    assert "Web Workers" in page.inner_text("#status")
    assert page.locator("#draw").is_visible()              # the page itself still stands


def test_hundreds_of_predictions_without_worker_memory_growth(ready_page):
    page = ready_page
    harness.draw_strokes(page, harness.shape_points("0"))
    run = "async n => { for (let i = 0; i < n; i++) await window.mnistDraw.predictNow(); }"
    page.evaluate(run, 50)                                   # warm up: caches, allocator pools
    before = page.evaluate("window.mnistDraw.workerStats()")
    count = harness.predictions(page)
    page.evaluate(run, 300)
    after = page.evaluate("window.mnistDraw.workerStats()")
    assert harness.predictions(page) == count + 300
    assert after["wasmBytes"] == before["wasmBytes"]
    # a leaked PyProxy or array per prediction would add >= 300 blocks
    assert after["allocatedBlocks"] - before["allocatedBlocks"] < 100, (before, after)


def test_new_build_replaces_the_offline_cache_and_the_page_offers_a_reload(browser, tmp_path):
    models = tmp_path / "model"
    shutil.copytree(harness.model_dir(), models)
    first = build.build(dist=tmp_path / "dist", model_dir=models)
    server, url = build.serve_in_thread(tmp_path / "dist")
    context = browser.new_context()
    try:
        page = harness.open_ready_page(context, url)
        page.wait_for_selector("body[data-offline=ready]", timeout=60_000)
        assert page.locator("#update").is_hidden()                 # a first visit is no news
        cache_names = "async () => (await caches.keys()).filter(n => n.startsWith('mnist-draw-'))"
        assert page.evaluate(cache_names) == [f"mnist-draw-{first['version']}"]

        (models / "NOTE.txt").write_text("a new build\n")          # any change is a new version
        second = build.build(dist=tmp_path / "dist", model_dir=models)
        assert second["version"] != first["version"]
        page.reload()                                              # the browser checks sw.js
        for _ in range(240):                                       # install: ~11 MB, ~45 MB kept
            if page.evaluate(cache_names) == [f"mnist-draw-{second['version']}"]:
                break
            page.wait_for_timeout(500)
        assert page.evaluate(cache_names) == [f"mnist-draw-{second['version']}"]
        harness.wait_ready(page)
        # the page on screen is the old version, served by the old worker, until a reload:
        # it says so once the new worker has taken over, and the button reloads into it
        page.wait_for_selector("#update:not([hidden])", timeout=120_000)
        assert "A new version is ready" in page.inner_text("#update")
        page.click("#update-reload")
        page.wait_for_load_state()
        harness.wait_ready(page)
        assert page.locator("#update").is_hidden()
        version = page.evaluate("fetch('manifest.json').then(r => r.json()).then(m => m.version)")
        assert version == second["version"]
    finally:
        context.close()
        server.shutdown()
        server.server_close()


def test_works_under_a_sub_path(browser, site):
    server, url = build.serve_in_thread(site.dist.parent)      # the site at /<sub>/dist/
    context = browser.new_context(service_workers="block")
    try:
        page = harness.open_ready_page(context, url + "dist/", recording=True)
        harness.draw_strokes(page, harness.shape_points("1"))
        assert len(harness.highlighted(page)) == 1
        assert all(u.startswith(url + "dist/") for u in page.requests), page.requests
    finally:
        context.close()
        server.shutdown()
        server.server_close()
