"""Pictures people really open (issue 21), through input#file in the page: the digit read,
not its surroundings (pycore.pictures in the worker), and button#crop."""
import numpy as np
import pytest

from tests import scenes
from tests.e2e import harness

SEED = 5                 # the pictures' seed here: thresholds were chosen on seeds 100-104
DIGITS = {name: digit for digit, name in zip((5, 8, 3, 2, 4, 6, 7, 9), list(scenes.SCENES)[:-1], strict=True)}


def open_file(page, name, mime, content: bytes):
    before = harness.predictions(page)
    page.set_input_files("#file", files=[{"name": name, "mimeType": mime, "buffer": content}])
    harness.wait_prediction_after(page, before)


def answer(page):
    """(the top digit, #answer's data-verdict, the preview as (28, 28) in [0, 1])."""
    top = int(np.argmax(harness.probabilities(page)))
    return top, page.get_attribute("#answer", "data-verdict"), harness.canvas_rgba(page, "#preview")[..., 0] / 255


def assert_digit_alone(preview, clean):
    """The preview shows the digit and nothing else: it matches the clean digit's 28x28."""
    correlation = np.corrcoef(preview.ravel(), clean.ravel())[0, 1]
    assert correlation > 0.9, correlation


@pytest.mark.parametrize("name", list(DIGITS))
def test_an_opened_picture_is_read_as_its_digit_alone(ready_page, name):
    digit = DIGITS[name]
    scene = scenes.SCENES[name](digit, SEED)
    open_file(ready_page, "picture.png", "image/png", scenes.png(scene.rgba))
    top, verdict, preview = answer(ready_page)
    assert (top, verdict) == (digit, "digit"), harness.probabilities(ready_page).round(3)
    assert_digit_alone(preview, scene.clean)


def test_a_transparent_picture_shows_on_a_checkerboard_not_black(ready_page):
    scene = scenes.SCENES["dark digit on transparency"](4, SEED)
    open_file(ready_page, "digit.png", "image/png", scenes.png(scene.rgba))
    box = harness.canvas_rgba(ready_page, "#draw")[..., :3]
    corner = box[: box.shape[0] // 8, : box.shape[1] // 8]          # no ink there: the checkerboard
    assert corner.min() > 120 and corner.max() < 240, (corner.min(), corner.max())
    assert answer(ready_page)[:2] == (4, "digit")


def test_a_4000_by_3000_phone_jpeg_is_read_as_its_digit_alone(ready_page, tmp_path):
    scene = scenes.phone_photo(3, SEED)
    jpeg = harness.jpeg_in_browser(ready_page, scene.rgba, tmp_path)
    assert jpeg[:3] == b"\xff\xd8\xff"
    open_file(ready_page, "IMG_0001.jpg", "image/jpeg", jpeg)
    top, verdict, preview = answer(ready_page)
    assert (top, verdict) == (3, "digit"), harness.probabilities(ready_page).round(3)
    assert_digit_alone(preview, scene.clean)
    assert "4000×3000" in ready_page.inner_text("#file-message")


def two_digits(left, right):
    """White paper 300 x 600 with ``left`` written in its left half and ``right`` in its right."""
    halves = [scenes.SCENES["paper with a dark band"](digit, SEED) for digit in (left, right)]
    rgba = np.concatenate([half.rgba[:, 60:] for half in halves], axis=1)      # the bands cut off
    return rgba


def drag(page, start, end):
    """A mouse drag on the drawing box, from start to end (fractions of the box)."""
    box = page.locator("#draw").bounding_box()
    page.mouse.move(box["x"] + start[0] * box["width"], box["y"] + start[1] * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + end[0] * box["width"], box["y"] + end[1] * box["height"], steps=5)
    page.mouse.up()


def test_crop_reads_the_part_chosen_and_undo_brings_the_whole_back(ready_page):
    page = ready_page
    assert page.is_disabled("#crop")                          # no picture open yet
    open_file(page, "two.png", "image/png", scenes.png(two_digits(7, 2)))
    whole = harness.probabilities(page)
    assert page.is_enabled("#crop")
    for half, digit in (((0.0, 0.25), (0.5, 0.75)), 7), (((0.5, 0.25), (1.0, 0.75)), 2):
        page.click("#crop")
        assert page.get_attribute("#crop", "aria-pressed") == "true"
        before = harness.predictions(page)
        drag(page, *half)
        harness.wait_prediction_after(page, before)
        assert answer(page)[:2] == (digit, "digit"), harness.probabilities(page).round(3)
        assert page.get_attribute("#crop", "aria-pressed") == "false"
        assert harness.canvas_rgba(page, "#draw")[..., 0].mean() > 128   # the box shows the crop: paper
        before = harness.predictions(page)
        page.click("#undo")
        harness.wait_prediction_after(page, before)
        np.testing.assert_allclose(harness.probabilities(page), whole, atol=1e-6)


def test_crop_from_the_keyboard_alone(ready_page):
    """Enter on the focused crop button shows a rectangle over the middle of the picture; the
    arrows move it, Shift and the arrows resize it, Enter crops to it: no mouse at all."""
    page = ready_page
    open_file(page, "two.png", "image/png", scenes.png(two_digits(7, 2)))
    whole = harness.probabilities(page)
    for side, digit in (("ArrowLeft", 7), ("ArrowRight", 2)):
        page.focus("#crop")
        page.keyboard.press("Enter")                               # the button pressed
        assert page.get_attribute("#crop", "aria-pressed") == "true"
        assert page.is_visible("#crop-area")
        before = harness.predictions(page)
        for key in [side] * 12 + ["Shift+ArrowDown"] * 12 + ["ArrowUp"] * 6:
            page.keyboard.press(key)                               # over one half, top to bottom
        area = page.locator("#crop-area").bounding_box()
        box = page.locator("#draw").bounding_box()
        assert abs(area["width"] - box["width"] / 2) < 2, (area, box)     # half the box: one digit
        assert harness.predictions(page) == before                 # nothing read until Enter
        page.keyboard.press("Enter")
        harness.wait_prediction_after(page, before)
        assert answer(page)[:2] == (digit, "digit"), harness.probabilities(page).round(3)
        assert page.get_attribute("#crop", "aria-pressed") == "false"
        assert page.is_hidden("#crop-area")
        before = harness.predictions(page)
        page.keyboard.press("Control+z")
        harness.wait_prediction_after(page, before)
        np.testing.assert_allclose(harness.probabilities(page), whole, atol=1e-6)
    page.focus("#crop")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")                                  # cancels; the picture stays
    assert page.get_attribute("#crop", "aria-pressed") == "false" and page.is_hidden("#crop-area")
    assert page.is_enabled("#crop")


def test_a_crop_too_small_gets_a_message_and_changes_nothing(ready_page):
    page = ready_page
    open_file(page, "two.png", "image/png", scenes.png(two_digits(1, 6)))
    shown, count = harness.probabilities(page), harness.predictions(page)
    page.click("#crop")
    drag(page, (0.4, 0.4), (0.42, 0.41))
    assert "too small" in page.inner_text("#file-message")
    assert "error" in page.get_attribute("#file-message", "class")
    page.keyboard.press("Escape")                              # cancels the crop, does not clear the box
    assert page.get_attribute("#crop", "aria-pressed") == "false"
    assert page.get_attribute("body", "data-busy") == "false" and harness.predictions(page) == count
    np.testing.assert_array_equal(harness.probabilities(page), shown)
    assert page.is_enabled("#crop")                            # the picture is still open
