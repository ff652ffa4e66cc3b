"""Not a digit: what the page says of a dot, a scribble, a letter, a digit and an empty box
(#answer[data-verdict], #verdict-reason; pycore.verdict decides), and without the verdict's
novelty statistics (model/digit-features.npz missing or damaged)."""
import pytest

from pycore import verdict
from tests.e2e import harness

WORDS = dict(verdict.REASONS)
SCRIBBLE = [[(0.2 + 0.6 * (i % 2), 0.2 + 0.6 * i / 15) for i in range(16)]]   # 15 times across
LETTERS = {"A": [[(0.3, 0.8), (0.5, 0.2), (0.7, 0.8)], [(0.38, 0.58), (0.62, 0.58)]],
           "M": [[(0.3, 0.8), (0.3, 0.2), (0.5, 0.6), (0.7, 0.2), (0.7, 0.8)]]}


def answer(page):
    return (page.get_attribute("#answer", "data-verdict"), page.inner_text("#answer"),
            page.inner_text("#verdict-reason"))


@pytest.mark.parametrize("strokes, reason", [([[(0.5, 0.5), (0.505, 0.505)]], "small"),
                                             (SCRIBBLE, "scribble")])
def test_a_mouse_drawn_dot_or_scribble_is_not_a_digit(ready_page, strokes, reason):
    page = ready_page
    page.click("#clear")
    harness.draw_strokes(page, strokes)
    assert answer(page) == ("not-a-digit", "not a digit", WORDS[reason])
    assert harness.highlighted(page) == []
    probabilities = harness.probabilities(page)
    assert abs(probabilities.sum() - 1) < 1e-3           # still shown, only not highlighted
    assert page.inner_text("#announce") == f"Not a digit: {WORDS[reason]}."


def test_a_drawn_digit_is_a_digit_and_clear_makes_the_box_blank(ready_page):
    page = ready_page
    page.click("#clear")
    assert answer(page) == ("blank", "?", "")
    harness.draw_strokes(page, SCRIBBLE)
    page.click("#clear")
    harness.draw_strokes(page, harness.shape_points("7"))
    assert answer(page) == ("digit", "7", "")
    assert page.locator("#verdict-reason").is_hidden()
    assert harness.highlighted(page) == [7]
    page.click("#clear")
    assert answer(page) == ("blank", "?", "")


@pytest.mark.parametrize("letter", LETTERS)
def test_a_mouse_drawn_letter_does_not_look_like_a_digit(ready_page, letter):
    page = ready_page
    assert page.evaluate("mnistDraw.info.novelty") == ""          # the statistics are in use
    harness.draw_strokes(page, LETTERS[letter])
    assert answer(page) == ("not-a-digit", "not a digit", WORDS["unlike"])
    assert harness.highlighted(page) == []
    page.click("#clear")
    harness.draw_strokes(page, harness.shape_points("2"))
    assert answer(page) == ("digit", "2", "")


@pytest.mark.parametrize("status, body", [(404, b"not found"), (200, b"PK\x03\x04 not an npz")],
                         ids=["missing", "damaged"])
def test_without_usable_statistics_the_page_still_says_not_a_digit_by_the_other_signals(page, context, site,
                                                                                       status, body):
    context.route("**/model/digit-features.npz", lambda route: route.fulfill(status=status, body=body))
    harness.open_ready_page(page, site.url)
    assert "model/digit-features.npz is not usable" in page.evaluate("mnistDraw.info.novelty")
    harness.draw_strokes(page, SCRIBBLE)
    assert answer(page) == ("not-a-digit", "not a digit", WORDS["scribble"])
    page.click("#clear")
    harness.draw_strokes(page, harness.shape_points("7"))
    assert answer(page) == ("digit", "7", "")
