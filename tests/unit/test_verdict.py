"""Digit or not: pycore.verdict's signals on made-up canvases, its decision, and the verdict
every classify (and classify_pixels) gives, with the shipped network and its novelty
statistics (pycore.novelty: their file's checks too)."""
import io
import json
from pathlib import Path

import numpy as np
import pytest

from pycore import novelty, teach, verdict
from pycore.inference import PACKED, Classifier
from pycore.preprocess import ink
from train import handwriting
from train import verdict as validation
from train.drawing import PEN_WIDTH, rasterise

SIDE = 200                      # the page's network-input canvas
PEN = SIDE * PEN_WIDTH
SHIPPED = Path(__file__).parents[2] / "web" / "model" / "mnist-cnn.npz"
STATISTICS = SHIPPED.with_name("digit-features.npz")
CONFIDENT = np.array([9.0] + [0.0] * 9)     # logits of a sure answer: energy about 9


@pytest.fixture(scope="module")
def shipped():
    """The shipped network with its novelty statistics, as the page's worker loads them."""
    classifier = Classifier.from_bytes(SHIPPED.read_bytes())
    classifier.novelty = novelty.from_bytes(STATISTICS.read_bytes(), SHIPPED.read_bytes())
    return classifier


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


def letters(name, seeds=range(2_000_000, 2_000_010)):
    """train.verdict's drawings of a letter (seeds neither its validation nor its report uses)."""
    return [validation.not_digit_canvas(name, np.random.default_rng([handwriting.hash_name(name), seed, 1]))
            for seed in seeds]


@pytest.mark.parametrize("letter", ["X", "M", "H"])
def test_a_drawn_letter_is_unlike_a_digit_with_the_shipped_statistics(shipped, letter):
    bare = Classifier.from_bytes(SHIPPED.read_bytes())
    for rgba in letters(letter):
        prediction = shipped.classify(rgba)
        assert (prediction.verdict, prediction.reason) == ("not-a-digit", "unlike"), prediction.signals
        assert prediction.signals["novelty"] > verdict.MAX_NOVELTY
        without = bare.classify(rgba)            # no statistics: the other signals alone
        assert "novelty" not in without.signals
        np.testing.assert_array_equal(without.probabilities, prediction.probabilities)   # the answer unchanged


def test_a_taught_network_scores_the_shipped_features(shipped):
    replay = [handwriting.drawings(f"plain {digit}", range(6)) for digit in range(10)]
    tutor = teach.Tutor(shipped, *map(np.concatenate, zip(*replay, strict=True)), steps=5, copies=2, batch=8,
                        replay_batch=8)
    tutor.set_examples(*handwriting.drawings("round 6", range(2)))
    taught = tutor.classifier
    assert isinstance(taught, teach.GatedClassifier) and taught.novelty is shipped.novelty
    for rgba in letters("X", range(2_000_000, 2_000_003)):
        prediction = taught.classify(rgba)
        assert prediction.reason == "unlike"
        assert prediction.signals["novelty"] == pytest.approx(shipped.classify(rgba).signals["novelty"], rel=1e-5)


def statistics_file(**change):
    """The shipped statistics' file with arrays (or metadata keys) changed; None drops one."""
    with np.load(io.BytesIO(STATISTICS.read_bytes())) as npz:
        arrays = {name: npz[name] for name in npz.files}
    meta = {**json.loads(arrays.pop(novelty.META_KEY).tobytes()), **change.pop("meta", {})}
    arrays = {name: value for name, value in {**arrays, **change}.items() if value is not None}
    buffer = io.BytesIO()
    np.savez(buffer, **arrays, **{novelty.META_KEY: np.frombuffer(json.dumps(meta).encode(), np.uint8)})
    return buffer.getvalue()


@pytest.mark.parametrize("data, words", [
    (b"not a zip", "not a readable statistics file"),
    (STATISTICS.read_bytes()[:5000], "not a readable statistics file"),
    (statistics_file(meta={"format_version": 2}), "format version 2"),
    (statistics_file(meta={"weights_sha256": "0" * 64}), "made for another network's weights"),
    (statistics_file(axes=None), "expected means, axes, variances, rest"),
    (statistics_file(means=np.zeros((10, 128), np.float16)), "do not fit together"),
    (statistics_file(variances=np.zeros(31, np.float16)), "do not fit together"),
    (statistics_file(rest=np.float16(np.nan)), "NaN or infinite"),
    (statistics_file(variances=-np.ones(32, np.float16)), "variances must be positive"),
])
def test_a_bad_statistics_file_is_refused_with_its_reason(data, words):
    with pytest.raises(novelty.NoveltyError, match=words):
        novelty.from_bytes(data, SHIPPED.read_bytes())


def test_the_statistics_file_round_trips_and_names_its_weights():
    loaded = novelty.from_bytes(STATISTICS.read_bytes(), SHIPPED.read_bytes())
    assert loaded.metadata["weights_sha256"] == novelty.weights_digest(SHIPPED.read_bytes())
    assert loaded.metadata["range"] == [0, 45_000] and loaded.axes.shape == (256, loaded.variances.size)
    again = novelty.from_bytes(novelty.to_bytes(loaded, SHIPPED.read_bytes(), loaded.metadata), SHIPPED.read_bytes())
    for name in novelty.ARRAYS:
        np.testing.assert_array_equal(getattr(again, name), getattr(loaded, name))
    with pytest.raises(novelty.NoveltyError, match="another network"):
        novelty.from_bytes(STATISTICS.read_bytes(), SHIPPED.read_bytes()[:-1] + b"x")


def test_the_score_is_the_mahalanobis_distance_it_says():
    rng = np.random.default_rng(0)
    axes = np.linalg.qr(rng.normal(size=(6, 6)))[0]                 # an orthonormal basis of R^6
    means = 100 * rng.normal(size=(10, 6))                           # far apart: class 3 is the nearest
    stats = novelty.Novelty(means, axes[:, :2], [4.0, 1.0], 0.25)
    x = means[3] + 2 * axes[:, 0] + 3 * axes[:, 1] + 0.5 * axes[:, 4]
    assert stats.score(x[None])[0] == pytest.approx(2 ** 2 / 4 + 3 ** 2 / 1 + 0.5 ** 2 / 0.25, rel=1e-4)
