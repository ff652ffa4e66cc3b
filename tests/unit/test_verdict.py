"""Digit or not: pycore.verdict's signals on made-up canvases, its decision, and the verdict
every classify (and classify_pixels) gives, with the shipped network."""
from pathlib import Path

import numpy as np
import pytest

from pycore import verdict
from pycore.inference import PACKED, Classifier
from pycore.preprocess import ink
from train import handwriting
from train.drawing import PEN_WIDTH, rasterise

SIDE = 200                      # the page's network-input canvas
PEN = SIDE * PEN_WIDTH
SHIPPED = Path(__file__).parents[2] / "web" / "model" / "mnist-cnn.npz"
CONFIDENT = np.array([9.0] + [0.0] * 9)     # logits of a sure answer: energy about 9


@pytest.fixture(scope="module")
def shipped():
    return Classifier.from_bytes(SHIPPED.read_bytes())


def pen(polylines):
    """Polylines in box fractions drawn through the page's pen on its transparent canvas."""
    return rasterise([[(x * SIDE, y * SIDE) for x, y in line] for line in polylines], (SIDE, SIDE),
                     width=PEN, transparent=True)


DOT = [[(0.5, 0.5), (0.5, 0.5)]]
LINE = [[(0.1, 0.5), (0.9, 0.5)]]
SCRIBBLE = [[(0.2 + 0.6 * (i % 2), 0.2 + 0.6 * i / 13) for i in range(14)]]    # 13 times across
BLOB = [[(0.4 + 0.2 * (i % 2), 0.4 + 0.2 * i / 11) for i in range(12)]]       # lines closer than the pen
SEVEN = [[(0.3, 0.2), (0.7, 0.2), (0.45, 0.8)]]


def measured(polylines, logits=CONFIDENT):
    probabilities = np.exp(logits) / np.exp(logits).sum()
    return verdict.signals(ink(pen(polylines)), probabilities, logits)


def test_signals_measure_size_shape_length_and_the_network():
    dot, line, scribble, blob, seven = (measured(p) for p in (DOT, LINE, SCRIBBLE, BLOB, SEVEN))
    assert dot["extent"] == pytest.approx(PEN_WIDTH, abs=0.01)        # the pen's width: nothing larger
    assert seven["extent"] == pytest.approx(0.6 + PEN_WIDTH, abs=0.01)
    assert line["flatness"] == pytest.approx(PEN / (0.8 * SIDE + PEN), rel=0.1)   # a soft edge: +1 px
    assert seven["flatness"] > 1
    # length over the box's side: the 7's strokes are 0.4 + 0.63 boxes of 0.6 + a pen
    assert seven["length"] == pytest.approx((0.4 + np.hypot(0.25, 0.6)) / (0.6 + PEN_WIDTH), rel=0.1)
    assert scribble["length"] > 2 * seven["length"]
    assert seven["thickness"] == pytest.approx(PEN_WIDTH / (0.6 + PEN_WIDTH), rel=0.2)
    assert blob["thickness"] > 3 * seven["thickness"]
    assert seven["confidence"] == pytest.approx(1, abs=0.002) and seven["energy"] == pytest.approx(9, abs=0.01)
    unsure = measured(SEVEN, np.zeros(10))
    assert unsure["confidence"] == pytest.approx(0.1) and unsure["margin"] == 0
    assert unsure["energy"] == pytest.approx(np.log(10))


@pytest.mark.parametrize("polylines, reason", [(DOT, "small"), (LINE, "line"), (BLOB, "blob"),
                                               (SCRIBBLE, "scribble")])
def test_the_shapes_of_no_digit_are_not_digits_whatever_the_network_says(polylines, reason):
    assert verdict.decide(measured(polylines)) == ("not-a-digit", reason)


def test_a_digit_the_network_cannot_place_is_not_a_digit():
    assert verdict.decide(measured(SEVEN)) == ("digit", "")
    assert verdict.decide(measured(SEVEN, np.zeros(10))) == ("not-a-digit", "unsure")


def test_every_reason_has_words_and_codes_round_trip():
    names = [name for name, _ in verdict.REASONS]
    assert names[0] == "" and all(words for name, words in verdict.REASONS[1:])
    assert verdict.codes("digit", "") == (0, 0)
    assert verdict.codes("not-a-digit", "scribble") == (2, names.index("scribble"))
    assert verdict.VERDICTS == ("digit", "blank", "not-a-digit")


@pytest.mark.parametrize("digit", range(10))
def test_each_plain_digit_drawn_through_the_pen_is_a_digit(shipped, digit):
    for seed in range(5):
        rgba = handwriting.canvas(handwriting.ORDINARY[digit], np.random.default_rng([digit, seed]))
        prediction = shipped.classify(rgba)
        assert (prediction.verdict, prediction.reason) == ("digit", ""), (seed, prediction.signals)


@pytest.mark.parametrize("polylines, reason", [(DOT, "small"), (LINE, "line"), (SCRIBBLE, "scribble")])
def test_a_dot_a_line_and_a_scribble_are_not_digits(shipped, polylines, reason):
    prediction = shipped.classify(pen(polylines))
    assert (prediction.verdict, prediction.reason) == ("not-a-digit", reason)
    assert prediction.probabilities.sum() == pytest.approx(1, abs=1e-5)    # still shown


def test_classify_pixels_packs_the_verdict_codes(shipped):
    layout = [name for name, _ in shipped.packed_layout(False)]
    at = sum(PACKED[name] for name in layout[:layout.index("verdict")])
    for polylines, expected in ((SEVEN, ("digit", "")), (LINE, ("not-a-digit", "line"))):
        rgba = pen(polylines)
        flat = shipped.classify_pixels(rgba.tobytes(), SIDE, SIDE)
        assert tuple(flat[at:at + 2]) == verdict.codes(*expected)
