"""Teaching the page your handwriting, in Chromium: the button and its choice, the network
adapting in the worker, the examples kept in IndexedDB (across a reload, offline too), forget,
export and import, a wrong file, blocked storage, and no memory growth over many lessons."""
import json

import pytest

from tests.e2e import harness

# A European 1: a long flag up to the top and no base line. MNIST's writers were American:
# the shipped network reads it as 7.
EUROPEAN_ONE = [[(0.25, 0.36), (0.62, 0.12), (0.62, 0.88)]]
LEARNING = 120_000      # the first lesson fetches the data files and prepares their features


def european_one(dx=0.0):
    return [[(x + dx, y) for x, y in stroke] for stroke in EUROPEAN_ONE]


def top(page) -> str:
    return page.inner_text("#answer")


def taught(page) -> int:
    return int(page.get_attribute("body", "data-taught"))


IDLE = "n => document.body.dataset.taught === String(n) && !document.querySelector('#teaching[data-busy]')"


def wait_learnt(page, count, timeout=LEARNING):
    """Until `count` examples are in use and the worker has finished learning them."""
    page.wait_for_function(IDLE, arg=count, timeout=timeout)


def teach(page, digit):
    """Tell the page the drawing is `digit`; returns once the adapted network has read it again."""
    count, before = taught(page), harness.predictions(page)
    page.click("#teach")
    page.click(f'[data-teach="{digit}"]')
    wait_learnt(page, count + 1)
    harness.wait_prediction_after(page, before)


def forget(page):
    before = harness.predictions(page)
    page.click("#forget")
    wait_learnt(page, 0)
    harness.wait_prediction_after(page, before)


def shown_probabilities(page):
    return page.eval_on_selector_all("[data-digit]", "rows => rows.map(r => r.dataset.prob)")


@pytest.fixture
def fresh(browser, site):
    """A ready page in a profile of its own (its own IndexedDB), service workers blocked."""
    page = harness.open_ready_page(browser, site.url, recording=True)
    yield page
    page.context.close()


def test_the_teach_button_is_there_only_when_a_digit_is_shown(fresh):
    page = fresh
    assert page.get_attribute("body", "data-taught") == "0"
    assert page.locator("#teach").is_disabled()
    harness.draw_strokes(page, european_one())
    assert page.locator("#teach").is_enabled()
    page.click("#teach")
    assert page.locator('[data-teach="0"]').is_visible() and page.locator("[data-teach]").count() == 10
    page.keyboard.press("Escape")                  # closes the choice, does not clear the drawing
    assert page.locator("#teach-choice").is_hidden() and top(page) != "?"
    page.click("#clear")
    assert page.locator("#teach").is_disabled()


def test_teaching_changes_the_answer_and_forget_restores_the_shipped_network_exactly(fresh):
    page = fresh
    harness.draw_strokes(page, european_one())
    assert top(page) != "1"                         # the shipped network misreads it
    shipped = shown_probabilities(page)
    teach(page, 1)
    assert top(page) == "1" and taught(page) == 1
    assert page.locator("#examples li").count() == 1
    assert page.get_attribute("#examples li", "data-label") == "1"
    page.wait_for_function("() => /MNIST check set/.test(document.querySelector('#teach-status').textContent)")
    status = page.inner_text("#teach-status")
    assert "learnt 1 example" in status and "teach another" in status, status
    forget(page)
    assert shown_probabilities(page) == shipped     # the very same numbers
    assert page.locator("#examples li").count() == 0
    assert page.errors == []


def test_five_examples_teach_the_style_and_one_can_be_removed(fresh):
    page = fresh
    for dx in (-0.08, -0.04, 0.0, 0.04, 0.08):
        page.click("#clear")
        harness.draw_strokes(page, european_one(dx))
        teach(page, 1)
    assert taught(page) == 5
    page.wait_for_function("() => /each read right by a network taught the others: \\d of 5/"
                           ".test(document.querySelector('#teach-status').textContent)", timeout=LEARNING)
    page.click("#clear")
    harness.draw_strokes(page, [[(0.3, 0.33), (0.6, 0.15), (0.58, 0.85)]])   # a fresh one
    assert top(page) == "1"
    page.click("#examples li:first-child .remove")
    wait_learnt(page, 4)
    assert page.locator("#examples li").count() == 4


def test_examples_survive_a_reload_and_an_offline_start(browser, site):
    context = browser.new_context()                 # service workers allowed: offline is the point
    try:
        page = harness.open_ready_page(context, site.url)
        page.wait_for_selector("body[data-offline=ready]", timeout=60_000)
        harness.draw_strokes(page, european_one())
        teach(page, 1)
        page.reload()                               # now served by the service worker, which
        harness.wait_ready(page)                    # caches the data files the worker fetches
        wait_learnt(page, 1)
        harness.draw_strokes(page, european_one())
        assert top(page) == "1"
        context.set_offline(True)
        page.reload()
        harness.wait_ready(page)
        wait_learnt(page, 1)
        harness.draw_strokes(page, european_one())
        assert top(page) == "1"
        assert page.locator("#examples li").count() == 1
    finally:
        context.close()


def test_export_and_import_round_trip(fresh, tmp_path):
    page = fresh
    harness.draw_strokes(page, european_one())
    teach(page, 1)
    page.click("#clear")
    harness.draw_strokes(page, harness.shape_points("7"))
    teach(page, 7)
    page.click("#clear")
    harness.draw_strokes(page, european_one())
    adapted = shown_probabilities(page)
    with page.expect_download() as download:
        page.click("#export")
    path = tmp_path / "mine.json"
    download.value.save_as(path)
    exported = json.loads(path.read_text())
    assert exported["format"] == "mnist-draw-examples" and [e["label"] for e in exported["examples"]] == [1, 7]
    forget(page)
    before = harness.predictions(page)
    page.set_input_files("#import-file", str(path))
    wait_learnt(page, 2)
    harness.wait_prediction_after(page, before)
    assert "Imported 2 of the 2 examples" in page.inner_text("#teach-message")
    assert shown_probabilities(page) == adapted     # the same network as before the export
    page.set_input_files("#import-file", str(path))  # again: nothing new
    page.wait_for_function("() => /Imported 0 of the 2/.test(document.querySelector('#teach-message').textContent)")
    assert taught(page) == 2


@pytest.mark.parametrize("name, content, words", [
    ("notes.txt", b"not an export\n", "not an export of this page (not JSON)"),
    ("other.json", b'{"hello": 1}', "not an export of this page"),
    ("broken.json", json.dumps({"format": "mnist-draw-examples", "version": 1,
                                "examples": [{"label": 1, "image": [0] * 100}]}).encode(), "not 28×28"),
], ids=["text", "other json", "bad image"])
def test_a_file_that_is_not_an_export_gets_a_message_and_changes_nothing(fresh, name, content, words):
    page = fresh
    harness.draw_strokes(page, european_one())
    teach(page, 1)
    page.set_input_files("#import-file", files=[{"name": name, "mimeType": "application/json", "buffer": content}])
    page.wait_for_selector("#teach-message.error")
    message = page.inner_text("#teach-message")
    assert words in message and name in message, message
    assert taught(page) == 1 and page.locator("#examples li").count() == 1


def test_blocked_storage_says_so_and_teaching_still_works(browser, site):
    context = browser.new_context(service_workers="block")
    context.add_init_script("""indexedDB.open = () => {
        throw new DOMException("The user denied permission to access the database.", "SecurityError"); };""")
    try:
        page = harness.open_ready_page(context, site.url)
        page.wait_for_selector("#teach-message.error")
        assert "cannot be kept in this browser" in page.inner_text("#teach-message")
        harness.draw_strokes(page, european_one())
        teach(page, 1)
        assert top(page) == "1" and taught(page) == 1
    finally:
        context.close()


def test_hundreds_of_lessons_without_worker_memory_growth(fresh):
    page = fresh
    harness.draw_strokes(page, european_one())
    teach(page, 1)                                  # the data files, fetched and prepared once
    forget(page)
    cycles = """async (n) => {
        const idle = (count) => new Promise((resolve) => {
            const check = () => document.body.dataset.taught === String(count) &&
                !document.querySelector('#teaching[data-busy]') ? resolve() : setTimeout(check, 5);
            check();
        });
        for (let i = 0; i < n; i++) {
            document.querySelector('#teach').click();
            document.querySelector('[data-teach="1"]').click();
            await idle(1);
            await window.mnistDraw.predictNow();
            document.querySelector('#examples li .remove').click();
            await idle(0);
        }
    }"""
    page.evaluate(cycles, 20)                       # warm up: caches, allocator pools
    before = page.evaluate("window.mnistDraw.workerStats()")
    page.evaluate(cycles, 200)
    after = page.evaluate("window.mnistDraw.workerStats()")
    assert after["wasmBytes"] == before["wasmBytes"], (before, after)
    # a leaked PyProxy or array per lesson would add >= 200 blocks
    assert after["allocatedBlocks"] - before["allocatedBlocks"] < 100, (before, after)
