"""More ways to give the network a digit (issue 5): opening or dropping a picture, undo,
the keyboard, and what screen readers are told."""
import json
import struct
import zlib

import numpy as np
import pytest

from pycore.preprocess import ink
from tests.e2e import harness


def png(grey: np.ndarray) -> bytes:
    """A greyscale (H, W) uint8 array as a PNG file, written here with zlib."""
    height, width = grey.shape
    raw = b"".join(b"\x00" + grey[row].tobytes() for row in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def mnist_digits(site):
    """A few official test digits the shipped network gets right: [(index, label, image)]."""
    from train import data
    test = data.load()
    metrics = json.loads((site.dist / "model" / "metrics.json").read_text())
    wrong = {entry["index"] for entry in metrics["test"]["wrong"]}
    chosen, seen = [], set()
    for index, label in enumerate(test["test_labels"]):
        if index not in wrong and int(label) not in seen:
            chosen.append((index, int(label), test["test_images"][index]))
            seen.add(int(label))
        if len(chosen) == 4:
            break
    return chosen


def open_file(page, name, mime, content: bytes):
    page.set_input_files("#file", files=[{"name": name, "mimeType": mime, "buffer": content}])


def top_digit(page):
    return int(np.argmax(harness.probabilities(page)))


@pytest.mark.parametrize("inverted", [False, True], ids=["white on black", "black on white"])
def test_uploaded_png_of_an_mnist_test_digit_is_classified_as_its_label(ready_page, mnist_digits, inverted):
    page = ready_page
    for index, label, image in mnist_digits:
        picture = 255 - image if inverted else image
        if inverted:                         # a scan: larger, the page a little grey
            picture = np.kron(picture, np.ones((4, 4), np.uint8)).clip(0, 235)
        before = harness.predictions(page)
        open_file(page, f"mnist-test-{index}.png", "image/png", png(np.ascontiguousarray(picture)))
        harness.wait_prediction_after(page, before)
        assert top_digit(page) == label, f"test image {index}: {harness.probabilities(page).round(3)}"
        assert harness.highlighted(page) == [label]
        assert f"mnist-test-{index}.png" in page.inner_text("#file-message")
        # the visible box shows the picture, and the preview what the network saw
        assert (harness.canvas_rgba(page, "#preview")[..., 0] > 128).sum() > 20


def test_dropped_picture_is_classified(ready_page, mnist_digits):
    page = ready_page
    index, label, image = mnist_digits[1]
    before = harness.predictions(page)
    data = list(png(image))
    page.evaluate("""([name, bytes]) => {
        const file = new File([new Uint8Array(bytes)], name, { type: "image/png" });
        const transfer = new DataTransfer();
        transfer.items.add(file);
        const box = document.querySelector("#draw");
        for (const type of ["dragenter", "dragover", "drop"]) {
            box.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
        }
    }""", [f"dropped-{index}.png", data])
    harness.wait_prediction_after(page, before)
    assert top_digit(page) == label


@pytest.mark.parametrize("name, mime, content, words", [
    ("notes.txt", "text/plain", b"not a picture\n", "not an image"),
    ("digit.png", "image/png", b"\x89PNG\r\n\x1a\n but broken", "not an image this browser can read"),
    ("huge.png", "image/png", b"\x00" * (21 * 1024 * 1024), "too large"),
], ids=["text file", "broken png", "too large"])
def test_files_that_are_not_usable_pictures_give_a_message(ready_page, name, mime, content, words):
    page = ready_page
    harness.draw_strokes(page, harness.shape_points("1"))
    count, probabilities = harness.predictions(page), harness.probabilities(page)
    open_file(page, name, mime, content)
    page.wait_for_selector("#file-message.error")
    message = page.inner_text("#file-message")
    assert words in message and name in message
    assert page.locator("#file-message").is_visible()
    page.wait_for_timeout(200)
    assert harness.predictions(page) == count                      # the drawing is kept
    assert (harness.probabilities(page) == probabilities).all()
    assert page.get_attribute("body", "data-state") == "ready"


def test_undo_restores_the_previous_prediction(ready_page):
    page = ready_page
    assert page.is_disabled("#undo")
    harness.draw_strokes(page, harness.shape_points("7"))
    first = harness.probabilities(page)
    input_first = harness.canvas_rgba(page, "#network-input")
    harness.draw_strokes(page, [[(0.3, 0.55), (0.7, 0.55)], [(0.5, 0.3), (0.2, 0.9)]])
    assert not (harness.probabilities(page) == first).all()
    before = harness.predictions(page)
    page.click("#undo")
    harness.wait_prediction_after(page, before)
    before = harness.predictions(page)
    page.keyboard.press("Control+z")                                # the shortcut does the same
    harness.wait_prediction_after(page, before)
    assert (harness.probabilities(page) == first).all()
    assert (harness.canvas_rgba(page, "#network-input") == input_first).all()
    page.click("#undo")                                             # nothing left: no prediction
    assert page.locator(".predicted").count() == 0
    assert (harness.canvas_rgba(page, "#draw")[..., :3] == 255).all()
    assert page.is_disabled("#undo")


def test_clear_and_undo_are_reachable_by_keyboard(ready_page):
    page = ready_page
    harness.draw_strokes(page, harness.shape_points("1"))
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    reached = []
    page.keyboard.press("Tab")
    for _ in range(12):
        reached.append(page.evaluate("() => document.activeElement.id"))
        if {"clear", "undo"} <= set(reached):
            break
        page.keyboard.press("Tab")
    assert {"clear", "undo"} <= set(reached), reached
    page.focus("#undo")
    outline = page.eval_on_selector("#undo", "b => getComputedStyle(b).outlineStyle")
    assert outline != "none"                                       # a visible focus ring
    page.keyboard.press("Escape")                                  # the Clear shortcut
    assert page.locator(".predicted").count() == 0
    assert (ink(harness.canvas_rgba(page, "#network-input")) == 0).all()
    harness.draw_strokes(page, harness.shape_points("0"))
    page.focus("#clear")
    page.keyboard.press("Enter")
    assert page.locator(".predicted").count() == 0


def test_screen_readers_hear_the_answer_at_stroke_ends_only(ready_page):
    page = ready_page
    assert page.get_attribute("#announce", "aria-live") == "polite"
    assert page.get_attribute("#answer", "aria-live") == "off"      # not every live update
    page.evaluate("""() => {
        window.announced = [];
        new MutationObserver(() => window.announced.push(document.querySelector('#announce').textContent))
            .observe(document.querySelector('#announce'), { childList: true, characterData: true, subtree: true });
    }""")
    before = harness.predictions(page)
    harness.draw_strokes(page, harness.shape_points("0"), steps=25)   # many live predictions
    live = harness.predictions(page) - before
    announced = page.evaluate("window.announced")
    assert live > 1 and len(announced) == 1, (live, announced)
    assert announced[0].startswith(f"The network reads {top_digit(page)},")


def test_photo_with_uneven_paper_is_classified(ready_page, mnist_digits):
    """A phone-photo-like picture: an MNIST digit in dark-grey pen on grey paper lit from
    one corner, with noise. The worker reads the ink against each block's paper (pycore.pictures)."""
    page = ready_page
    rng = np.random.default_rng(5)
    for index, label, image in mnist_digits:
        ink = np.kron(image / 255, np.ones((6, 6)))                      # (168, 168)
        ink = np.pad(ink, ((40, 60), (70, 50)))                          # off-centre on the page
        rows, cols = np.mgrid[0:ink.shape[0], 0:ink.shape[1]]
        paper = 0.4 + 0.5 * (rows / ink.shape[0] + cols / ink.shape[1]) / 2
        grey = paper * (1 - ink) + 0.15 * ink + rng.normal(0, 0.02, ink.shape)
        picture = np.clip(np.round(grey * 255), 0, 255).astype(np.uint8)
        before = harness.predictions(page)
        open_file(page, f"photo-{index}.png", "image/png", png(picture))
        harness.wait_prediction_after(page, before)
        assert top_digit(page) == label, f"photo of test image {index}: {harness.probabilities(page).round(3)}"
