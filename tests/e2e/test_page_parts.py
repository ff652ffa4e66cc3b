"""The page as ES modules (boot.js, which starts the worker, then app.js), and the defects the
modules issue fixed, in Chromium: one tab stop
per grid of maps with arrow keys inside it and a skip link past them, round chart ticks, an 8's
article, SVG neither offered nor silently refused, and the Inside section's shapes from pycore.
(The ten classes on a tall phone: test_install.py; the new-version notice: test_page.py.)"""
import json
import math

from tests.e2e import harness

TAB_STOPS = """() => {
    const inside = document.querySelector('#inside');
    return [...inside.querySelectorAll('a[href], button, [tabindex]')]
        .filter((el) => el.tabIndex >= 0 && !el.disabled && el.getClientRects().length);
}"""


def test_the_page_is_the_worker_starter_and_the_controller_as_modules(page, site):
    harness.open_ready_page(page, site.url)
    scripts = page.eval_on_selector_all("script", "ss => ss.map(s => [s.type, s.getAttribute('src')])")
    assert scripts == [["module", "boot.js"], ["module", "app.js"]]
    # one drawing box worker: boot.js's, which app.js took over (not a second one)
    assert [w.url.rsplit("/", 1)[-1] for w in page.workers] == ["worker.js"]
    assert page.errors == []


def test_inside_has_one_tab_stop_per_grid_and_arrow_keys_inside_it(ready_page):
    page = ready_page
    harness.draw_strokes(page, harness.shape_points("7"))
    stops = page.evaluate(f"({TAB_STOPS})().map((el) => el.className || el.tagName)")
    # the skip link, and one map per grid: filters, conv1, conv2, dense1 (was 81 stops)
    assert len(stops) == 5, stops
    page.mouse.move(1, 1)      # off the page's column: a map scrolled under the pointer would take the zoom
    page.focus('#maps-conv1 .map[data-index="0"]')
    page.keyboard.press("ArrowRight")
    assert page.get_attribute("#zoom", "data-layer") == "conv1"
    assert page.get_attribute("#zoom", "data-index") == "1"
    page.keyboard.press("ArrowDown")                          # ten maps a row
    assert page.get_attribute("#zoom", "data-index") == "11"
    page.keyboard.press("End")
    assert page.get_attribute("#zoom", "data-index") == "19"
    page.keyboard.press("ArrowRight")                         # stays inside the grid
    assert page.get_attribute("#zoom", "data-index") == "19"
    assert page.evaluate("document.activeElement.dataset.index") == "19"
    # the map last reached is the grid's tab stop; Tab leaves the grid for the next one
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('.maps').id") == "maps-conv2"
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.dataset.index") == "19"


def test_the_skip_link_passes_the_section(ready_page):
    page = ready_page
    link = page.locator("#inside a.skip-link")
    link.focus()
    assert link.is_visible()                                 # seen when focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "about"
    page.keyboard.press("Shift+Tab")                         # and hidden again once left
    assert page.evaluate("document.activeElement.closest('#inside') !== null")


def test_inside_headings_and_grids_come_from_the_shapes_pycore_sends(ready_page):
    page = ready_page
    maps = page.evaluate("window.mnistDraw.info.maps")
    assert maps == {"conv1": [24, 24, 20], "conv2": [8, 8, 40], "dense1": [256], "kernels": [20, 5, 5]}
    assert page.inner_text('[data-heading="conv2"]') == "Second convolution: 40 feature maps, 8×8"
    assert page.inner_text('[data-heading="dense1"]') == "Dense layer: 256 units, in a 16×16 grid"
    assert page.locator("#kernels .map").count() == 20


def test_chart_ticks_are_round_and_the_axes_reach_past_every_point(ready_page):
    page = ready_page
    page.wait_for_selector("body[data-story=ready]")
    for chart in ("#chart-loss", "#chart-accuracy"):
        labels = page.eval_on_selector_all(f"{chart} text.tick-y", "ts => ts.map(t => t.textContent)")
        numbers = [float(label.replace("%", "")) for label in labels]
        steps = {round(b - a, 9) for a, b in zip(numbers, numbers[1:], strict=False)}
        assert len(steps) == 1, labels                       # evenly spaced ...
        step = steps.pop()
        mantissa = step / 10 ** math.floor(math.log10(step))
        assert round(mantissa, 6) in (1, 2, 5), labels       # ... by 1, 2 or 5 times a power of ten
        epochs = page.eval_on_selector_all(f"{chart} circle", "cs => cs.map(c => Number(c.dataset.epoch))")
        ticks = page.eval_on_selector_all(f"{chart} text.tick-x", "ts => ts.map(t => Number(t.textContent))")
        assert max(ticks) >= max(epochs) and min(ticks) <= min(epochs), (ticks, max(epochs))
        right = page.eval_on_selector_all(f"{chart} circle",
                                          "cs => Math.max(...cs.map(c => Number(c.getAttribute('cx'))))")
        last = page.eval_on_selector_all(f"{chart} text.tick-x",
                                         "ts => Math.max(...ts.map(t => Number(t.getAttribute('x'))))")
        assert right <= last + 0.5


def test_the_mistakes_say_an_8(ready_page, site):
    metrics = json.loads((site.dist / "model" / "metrics.json").read_text())
    page = ready_page
    page.wait_for_selector("body[data-story=ready]")
    texts = page.eval_on_selector_all("#mistakes li span", "ss => ss.map(s => s.textContent)")
    for mistake, text in zip(metrics["test_mistakes"], texts, strict=True):
        article = "an" if mistake["label"] == 8 else "a"
        assert text == f"{article} {mistake['label']}, read as {mistake['predicted']}"


def test_the_picker_offers_no_svg_and_an_svg_gets_its_own_message(ready_page):
    page = ready_page
    accept = page.get_attribute("#file", "accept")
    assert "svg" not in accept and "image/*" not in accept and "image/png" in accept
    harness.draw_strokes(page, harness.shape_points("1"))
    count = harness.predictions(page)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="28" height="28"><path d="M14 4v20"/></svg>'
    page.set_input_files("#file", files=[{"name": "one.svg", "mimeType": "image/svg+xml", "buffer": svg}])
    page.wait_for_selector("#file-message.error")
    assert "“one.svg” is an SVG drawing" in page.inner_text("#file-message")
    assert harness.predictions(page) == count
