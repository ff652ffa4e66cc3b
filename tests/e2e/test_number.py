"""Number mode in the page: numbers drawn with the mouse in the wider box, read digit by digit."""
import numpy as np
import pytest

from tests import scenes
from tests.e2e import harness

# a 5 whose bar is a stroke of its own, lifted off the body (two pieces of ink, one digit)
LIFTED_5 = [[(0.38, 0.3), (0.35, 0.47), (0.52, 0.44), (0.65, 0.55), (0.65, 0.7), (0.52, 0.8), (0.33, 0.77)],
            [(0.4, 0.15), (0.68, 0.15)]]
# (the digits' shapes, where each starts and how tall it is, in box heights of the 3:1 box)
NUMBERS = {
    "12": (["1", "2"], [0.6, 1.5], 0.9),
    "305": (["3", "0", "5"], [0.3, 1.1, 1.9], 0.8),
    "4711": (["4", "7", "1", "1"], [0.1, 0.8, 1.5, 2.1], 0.7),
    "98260": (["9", "8", "2", "6", "0"], [0.0, 0.6, 1.2, 1.8, 2.4], 0.6),
    "45": (["4", LIFTED_5], [0.7, 1.5], 0.9),                        # the 5 in two pieces
    "200": (["2", "0", "0"], [0.5, 1.3, 1.3 + 0.36 * 0.9], 0.9),     # the two rings touch
    "38": (["3", "8"], [1.0, 1.0 + 0.3 * 0.9], 0.9),                 # touching, narrower than a 0 and a 0
    "51738": ([LIFTED_5, "1", "7", "3", "8"], [0.1, 0.7, 1.3, 1.95, 1.95 + 0.3 * 0.6], 0.6),   # both at once
    "2017": (["2", "0", "1", "7"], [0.2, 0.9, 1.6, 1.6 + 0.18 * 0.7], 0.7),   # a 1 touching a 7: too narrow to neck-cut
}


def number_strokes(shapes, starts, scale):
    """Each digit (a harness.shape_points name, or strokes) in its square of side ``scale``
    box heights from ``start``, as (x, y) fractions of the 3:1 box."""
    strokes = []
    for shape, start in zip(shapes, starts, strict=True):
        for line in harness.shape_points(shape) if isinstance(shape, str) else shape:
            strokes.append([((start + x * scale) / 3, 0.5 + (y - 0.5) * scale) for x, y in line])
    return strokes


@pytest.fixture
def number_page(ready_page):
    """The session's page in number mode; one-digit mode again afterwards, even on a failure."""
    page = ready_page
    page.click("#mode-number")
    yield page
    if page.get_attribute("#mode-number", "aria-pressed") == "true":
        page.click("#mode-number")


def digits_shown(page):
    return page.eval_on_selector_all("#number-digits li", """items => items.map(li => ({
        index: Number(li.dataset.digitIndex), read: Number(li.dataset.read), verdict: li.dataset.verdict,
        probs: li.dataset.probs.split(",").map(Number), canvas: [li.querySelector("canvas").width,
        li.querySelector("canvas").height]}))""")


def test_number_mode_widens_the_box_and_hides_the_one_digit_answer(number_page):
    page = number_page
    assert page.get_attribute("#mode-number", "aria-pressed") == "true"
    box = page.locator("#draw").bounding_box()
    assert box["width"] == pytest.approx(3 * box["height"], rel=0.02)
    assert page.eval_on_selector("#network-input", "c => [c.width, c.height]") == [600, 200]
    assert page.locator("#number-result").is_visible() and not page.locator("#answer").is_visible()
    assert page.get_attribute("#number", "data-value") == ""


@pytest.mark.parametrize("value", list(NUMBERS))
def test_a_drawn_number_is_read_digit_by_digit(number_page, value):
    page = number_page
    harness.draw_strokes(page, number_strokes(*NUMBERS[value]))
    assert page.get_attribute("#number", "data-value") == value
    assert page.inner_text("#number") == value
    shown = digits_shown(page)
    assert [d["index"] for d in shown] == list(range(len(value)))
    assert [d["read"] for d in shown] == [int(c) for c in value]
    for digit in shown:
        assert digit["canvas"] == [28, 28] and len(digit["probs"]) == 10
        assert abs(sum(digit["probs"]) - 1) < 1e-3 and int(np.argmax(digit["probs"])) == digit["read"]
    panel = harness.canvas_rgba(page, "#number-digits li:first-child canvas")
    assert panel[..., :3].max() > 200 and panel[0, 0, :3].max() == 0      # a white digit on black


def test_clear_and_undo_in_number_mode(number_page):
    page = number_page
    harness.draw_strokes(page, number_strokes(*NUMBERS["12"]))
    before = harness.predictions(page)
    page.click("#undo")                                 # the 2 taken back
    harness.wait_prediction_after(page, before)
    assert page.get_attribute("#number", "data-value") == "1"
    page.click("#clear")
    assert page.get_attribute("#number", "data-value") == ""
    assert page.locator("#number-digits li").count() == 0


def test_too_many_digits_are_refused_with_a_reason(number_page):
    page = number_page
    harness.draw_strokes(page, [[(0.03 + 0.07 * i, 0.3), (0.03 + 0.07 * i, 0.7)] for i in range(13)])
    assert page.get_attribute("#number", "data-value") == ""
    assert "more than 12 digits" in page.inner_text("#number-reason")
    assert page.locator("#number-digits li").count() == 0


def test_one_digit_mode_again_reads_as_before(number_page):
    page = number_page
    harness.draw_strokes(page, number_strokes(*NUMBERS["305"]))
    page.click("#mode-number")
    assert page.get_attribute("#mode-number", "aria-pressed") == "false"
    assert page.get_attribute("#number", "data-value") == ""       # the drawing was cleared
    assert not page.locator("#number-result").is_visible() and page.locator("#answer").is_visible()
    assert page.eval_on_selector("#network-input", "c => [c.width, c.height]") == [200, 200]
    box = page.locator("#draw").bounding_box()
    assert box["width"] == pytest.approx(box["height"], rel=0.02)
    harness.draw_strokes(page, harness.shape_points("3"))
    assert harness.highlighted(page) == [3]
    assert page.get_attribute("#answer", "data-verdict") == "digit"
    assert page.errors == []


@pytest.mark.parametrize("digits", [(2, 0, 2, 6), (3, 1, 4)])
def test_a_photo_of_a_number_opened_in_number_mode_is_read_whole(number_page, digits):
    """A photo (a 300x900 PNG: grainy paper, a dark desk band beside it) opened in number
    mode: every digit along the row, not only the middle one, and not the band."""
    page = number_page
    rgba = scenes.number_photo(digits, seed=9, shape=(300, 900), band=True)
    before = harness.predictions(page)
    page.set_input_files("#file", files=[{"name": "number.png", "mimeType": "image/png", "buffer": scenes.png(rgba)}])
    harness.wait_prediction_after(page, before)
    assert page.get_attribute("#number", "data-value") == "".join(map(str, digits))
    assert [shown["read"] for shown in digits_shown(page)] == list(digits)
