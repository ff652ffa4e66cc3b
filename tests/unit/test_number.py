"""Number mode's split and reading (pycore.number) on numbers drawn through the page's pen."""
from pathlib import Path

import numpy as np
import pytest

from pycore import components, number
from pycore.inference import Classifier
from pycore.pictures import digit_ink
from pycore.preprocess import INK_THRESHOLD, ink
from tests import scenes
from train import handwriting, numbers
from train.drawing import PEN_WIDTH, in_box, rasterise

SHIPPED = Path(__file__).parents[2] / "web" / "model" / "mnist-cnn.npz"
HEIGHT, WIDTH = numbers.NUMBER_SIZE
# a 5 whose bar was drawn as a stroke of its own, above the body and apart from it
LIFTED_5 = [[(0.2, 0.18), (0.15, 0.42)] + handwriting.arc(0.48, 0.68, 0.42, 0.3, 130, -150),
            [(0.25, 0.0), (0.85, 0.0)]]


@pytest.fixture(scope="module")
def shipped():
    return Classifier.from_bytes(SHIPPED.read_bytes())


def drawn(*digits):
    """The number box's canvas with each (polylines, left) drawn 120 px tall, 72 wide, from ``left``."""
    lines = [line for polylines, left in digits for line in in_box(polylines, (left, 40, 72, 120))]
    return rasterise(lines, (HEIGHT, WIDTH), width=HEIGHT * PEN_WIDTH, transparent=True)


def pieces(rgba):
    return components.label(ink(rgba) > INK_THRESHOLD)[1]


def read(classifier, rgba):
    return number.unpacked(classifier.classify_number_pixels(rgba.tobytes(), *rgba.shape[:2]))


def aspect(rgba):
    """The ink's width over its height."""
    rows, columns = (np.flatnonzero((ink(rgba) > INK_THRESHOLD).any(axis=axis)) for axis in (1, 0))
    return (columns[-1] - columns[0] + 1) / (rows[-1] - rows[0] + 1)


def digits_read(classifier, rgba):
    return [int(d["digit"][0]) for d in read(classifier, rgba)["digits"]]


def test_digits_apart_are_read_left_to_right(shipped):
    rgba = drawn((handwriting.ORDINARY[1], 40), (handwriting.ORDINARY[7], 200), (handwriting.ORDINARY[0], 380))
    split = number.split(ink(rgba), shipped)
    assert [box[1] for box, _ in split] == sorted(box[1] for box, _ in split)
    for (top, left, bottom, right), start in zip((box for box, _ in split), (40, 200, 380), strict=True):
        assert start - 10 <= left <= right <= start + 72 + 10 and 30 <= top < bottom <= 170
    answer = read(shipped, rgba)
    assert answer["found"] == 3 and answer["reason"] == ""
    assert [int(d["digit"][0]) for d in answer["digits"]] == [1, 7, 0]


def test_strokes_that_overlap_in_columns_are_one_digit(shipped):
    rgba = drawn((handwriting.ORDINARY[2], 60), (LIFTED_5, 240))
    assert pieces(rgba) == 3                                   # the 5's bar is a piece of its own
    answer = read(shipped, rgba)
    assert [int(d["digit"][0]) for d in answer["digits"]] == [2, 5]


def test_two_touching_digits_are_cut_at_their_neck(shipped):
    rgba = drawn((handwriting.ORDINARY[0], 100), (handwriting.ORDINARY[0], 166))
    assert pieces(rgba) == 1                                   # the two rings touch
    split = number.split(ink(rgba), shipped)
    assert len(split) == 2
    cut = split[1][0][1]
    assert 100 + 72 * 0.8 < cut < 166 + 72 * 0.2               # between the rings, where they meet
    assert [int(d["digit"][0]) for d in read(shipped, rgba)["digits"]] == [0, 0]


@pytest.mark.parametrize("digits, lefts", [((1, 7), (100, 134)), ((7, 1), (100, 140))])
def test_a_1_touching_its_neighbour_is_cut_off(shipped, digits, lefts):
    rgba = drawn(*((handwriting.ORDINARY[d], left) for d, left in zip(digits, lefts, strict=True)))
    assert pieces(rgba) == 1 and aspect(rgba) < number.CUT_ASPECT      # narrower than a neck cut needs
    assert digits_read(shipped, rgba) == list(digits)


@pytest.mark.parametrize("digits, lefts", [((2, 0, 8), (100, 170, 236)), ((7, 1, 7), (100, 140, 174))])
def test_three_touching_digits_are_cut_twice(shipped, digits, lefts):
    rgba = drawn(*((handwriting.ORDINARY[d], left) for d, left in zip(digits, lefts, strict=True)))
    assert pieces(rgba) == 1
    assert digits_read(shipped, rgba) == list(digits)


@pytest.mark.parametrize("digit, width", [(0, 130), (2, 120), (7, 110)])
def test_a_wide_digit_is_not_cut(shipped, digit, width):
    rgba = rasterise(in_box(handwriting.ORDINARY[digit], (100, 40, width, 120)), (HEIGHT, WIDTH),
                     width=HEIGHT * PEN_WIDTH, transparent=True)        # a 7 with a long bar
    assert aspect(rgba) > number.CUT_ASPECT
    assert digits_read(shipped, rgba) == [digit]


def test_specks_are_dropped(shipped):
    rgba = drawn((handwriting.ORDINARY[3], 60), (handwriting.ORDINARY[8], 240))
    for row, column in ((10, 20), (180, 400), (100, 520), (20, 170)):
        rgba[row:row + 4, column:column + 4, 3] = 255
    assert pieces(rgba) == 6
    assert len(number.split(ink(rgba), shipped)) == 2


def test_a_blank_canvas_holds_no_digits(shipped):
    assert number.split(np.zeros((HEIGHT, WIDTH), np.float32), shipped) == []
    answer = read(shipped, np.zeros((HEIGHT, WIDTH, 4), np.uint8))
    assert answer["found"] == 0 and answer["digits"] == [] and answer["reason"] == ""


def test_more_digits_than_the_maximum_are_refused_with_a_reason(shipped):
    bars = [[[(0, 0), (0, 1)]], ] * (number.MAX_DIGITS + 1)
    rgba = drawn(*((bar, 20 + 40 * i) for i, bar in enumerate(bars)))
    answer = read(shipped, rgba)
    assert answer["found"] == number.MAX_DIGITS + 1 and answer["digits"] == []
    assert answer["reason"] == "too-many"
    assert f"more than {number.MAX_DIGITS} digits" in dict(number.REASONS)["too-many"]
    assert len(read(shipped, drawn(*((bar, 20 + 40 * i) for i, bar in enumerate(bars[1:]))))["digits"]) == 12


def test_the_packed_array_round_trips_what_read_found(shipped):
    rgba = drawn((handwriting.ORDINARY[4], 60), (handwriting.ORDINARY[9], 240))
    found, digits, reason, _ = number.read(shipped, ink(rgba))
    flat = shipped.classify_number_pixels(rgba.tobytes(), HEIGHT, WIDTH)
    assert flat.dtype == np.float32
    size = sum(number.NUMBER_PACKED.values()) + found * sum(number.DIGIT_PACKED.values())
    assert flat.size == size
    answer = number.unpacked(flat)
    assert answer["found"] == found == 2 and answer["reason"] == reason == ""
    for packed, digit in zip(answer["digits"], digits, strict=True):
        assert int(packed["digit"][0]) == digit.digit
        np.testing.assert_allclose(packed["probabilities"], digit.probabilities, rtol=1e-6)
        np.testing.assert_allclose(packed["image"].reshape(28, 28), digit.image)
        assert tuple(packed["box"].astype(int)) == digit.box
        assert tuple(packed["verdict"].astype(int)) == (0, 0)          # "digit", no reason
    with pytest.raises(ValueError, match="expected"):
        number.unpacked(flat[:-1])


def test_each_digit_is_read_through_the_classifiers_own_answer(shipped):
    class Sevens(Classifier):                  # as a taught network overrides answer
        def answer(self, image, activations=False):
            logits = np.array([0.0] * 7 + [9.0] + [0.0] * 2, np.float32)
            return np.exp(logits) / np.exp(logits).sum(), logits, None, np.zeros(256, np.float32)

    sevens = Sevens(shipped.net, shipped.metadata)
    rgba = drawn((handwriting.ORDINARY[1], 60), (handwriting.ORDINARY[0], 240))
    assert [int(d["digit"][0]) for d in read(sevens, rgba)["digits"]] == [7, 7]


@pytest.mark.parametrize("kind, weights", [("touching", (0, 0, 1)), ("apart", (1, 0, 0))])
def test_the_benchmarks_numbers_meet_as_told(kind, weights):
    for digits, kinds, rgba in numbers.numbers(range(4), kinds_weights=weights):
        assert rgba.shape == (HEIGHT, WIDTH, 4) and kinds == [kind] * (len(digits) - 1)
        assert pieces(rgba) == (1 if kind == "touching" else len(digits))


@pytest.mark.parametrize("band", [False, True])
@pytest.mark.parametrize("digits", [(2, 0, 2, 6), (3, 1, 4), (7, 5), (9, 8, 0, 1, 4)])
def test_a_photo_of_a_number_is_read_whole_without_its_surroundings(shipped, digits, band):
    """An opened photo in number mode (pycore.pictures.number_ink): every digit along the row,
    far apart as they are, and not the desk's dark band beside the paper (which the drawing
    path's ink would read as a 1). One digit's path would keep only the middle one."""
    rgba = scenes.number_photo(digits, seed=7, shape=(HEIGHT, WIDTH), band=band)
    answer = number.unpacked(shipped.classify_number_pixels(rgba.tobytes(), HEIGHT, WIDTH, photo=True))
    assert [int(d["digit"][0]) for d in answer["digits"]] == list(digits)
    assert len(number.read(shipped, digit_ink(rgba))[1]) < len(digits)


def test_a_photo_of_a_number_leaves_out_writing_off_its_line(shipped):
    rgba = scenes.number_photo((3, 1, 4), seed=8, shape=(HEIGHT, WIDTH), above=5)
    answer = number.unpacked(shipped.classify_number_pixels(rgba.tobytes(), HEIGHT, WIDTH, photo=True))
    assert [int(d["digit"][0]) for d in answer["digits"]] == [3, 1, 4]
    assert digits_read(shipped, rgba) != [3, 1, 4]             # read as a drawing, the 5 counts too
