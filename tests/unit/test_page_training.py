"""pycore.training, what the page's "Train it yourself" runs: settings checked with messages,
slices that train and report, scoring, the filters and the weights for the drawing box."""
import itertools

import numpy as np
import pytest

from pycore import training, weights
from pycore.inference import Classifier
from tests.unit.test_training import synthetic_digits


def uint8_digits(n, seed=0):
    images, labels = synthetic_digits(n, seed)
    return np.rint(images * 255).astype(np.uint8), labels


def session(**settings):
    images, labels = uint8_digits(256)
    check_images, check_labels = uint8_digits(60, seed=1)
    ticks = itertools.count()
    # a clock that moves one second each time it is read: a slice is one batch, rates exact
    return training.Session(images, labels, check_images, check_labels, seed=3, settings=settings,
                            clock=lambda: float(next(ticks)))


def test_the_settings_table_gives_each_a_default_inside_its_range():
    for name, (default, low, high, label) in training.SETTINGS.items():
        assert low <= default <= high and isinstance(label, str), name
    assert training.check_settings({}) == {name: default for name, (default, *_) in training.SETTINGS.items()}


@pytest.mark.parametrize("settings, words", [
    ({"lr": 5}, "the learning rate must be between 0.0001 and 1, got 5"),
    ({"lr": 0}, "the learning rate must be between"),
    ({"momentum": 1.0}, "the momentum must be between 0 and 0.99, got 1"),
    ({"batch_size": 12.5}, "the batch size must be a whole number, got 12.5"),
    ({"batch_size": 4}, "the batch size must be between 8 and 512, got 4"),
    ({"lr": ""}, "the learning rate must be a number, got ''"),
    ({"lr": "abc"}, "the learning rate must be a number, got 'abc'"),
    ({"lr": float("nan")}, "the learning rate must be a number"),
    ({"momentum": True}, "the momentum must be a number"),
    ({"epochs": 3}, "unknown training setting 'epochs'"),
])
def test_refused_settings_say_why_and_change_nothing(settings, words):
    run = session(lr=0.05)
    before = dict(run.settings)
    with pytest.raises(training.SettingsError, match="^" + words.replace("(", r"\(").replace(".", r"\.")):
        run.configure(**settings)
    assert run.settings == before and run.optimiser.momentum == before["momentum"]


def test_accepted_settings_apply_from_the_next_batch():
    run = session()
    assert run.configure(batch_size=16.0, momentum=0.5) == {"lr": 0.01, "batch_size": 16, "momentum": 0.5}
    assert type(run.settings["batch_size"]) is int and run.optimiser.momentum == 0.5
    assert run.train(0)["images"] == 16


def test_a_slice_trains_and_reports():
    run = session(batch_size=32, lr=0.05)
    first = run.train(0)                            # at least one batch, however short the slice
    assert first["batches"] == 1 and first["images"] == 32 and first["epoch"] == 1
    assert first["rate"] == 0.0 and first["accuracy"] is None     # one slice: no rate yet
    assert np.isfinite(first["loss"]) and first["loss"] > 0
    second = run.train(2.5)                         # the clock moves 1 s a read: 3 batches
    assert second["batches"] == 3 and second["images"] == 128
    assert second["rate"] == pytest.approx(96 / 5)  # 96 images between the slices' ends, 5 s apart
    for _ in range(3):
        last = run.train(2.5)
    assert last["epoch"] == 2                       # 256 images: a new order after 8 batches


def test_training_lowers_the_loss_and_scoring_sees_it():
    run = session(batch_size=32, lr=0.02)
    before = run.evaluate()
    assert before["right"].shape == (60,) and before["right"].dtype == np.uint8
    assert before["accuracy"] == pytest.approx(before["right"].mean())
    losses = [run.train(0)["loss"] for _ in range(40)]            # 5 epochs of 256 images
    after = run.evaluate()
    assert np.mean(losses[-5:]) < 0.7 * np.mean(losses[:5]), losses
    assert after["accuracy"] > max(before["accuracy"], 0.5)
    assert run.progress()["accuracy"] == after["accuracy"]


def test_filters_and_weights_are_the_network_being_trained():
    run = session(batch_size=32, lr=0.05)
    start = run.filters().copy()
    run.train(0)
    filters = run.filters()
    assert filters.shape == (20, 5, 5) and filters.dtype == np.float32
    assert not np.array_equal(start, filters)
    net, meta = weights.from_bytes(run.weights_bytes())          # a pycore.weights file
    assert meta["trained_in"] == "page" and meta["images"] == 32 and meta["settings"]["lr"] == 0.05
    for name, value in run.net.params.items():
        np.testing.assert_array_equal(net.params[name], value, err_msg=name)
    images = run.check_images[:5] / np.float32(255)
    np.testing.assert_allclose(Classifier.from_bytes(run.weights_bytes()).probabilities(images),
                               run.classifier().probabilities(images), rtol=1e-6)


def test_a_diverged_loss_stops_training_with_a_message():
    run = session(lr=1.0)
    run.net.params["dense2.W"][...] = np.inf                    # as a learning rate far too high ends
    with np.errstate(all="ignore"), pytest.raises(FloatingPointError, match="learning rate 1 is too high"):
        run.train(0)


def test_a_session_needs_images_and_labels():
    images, labels = uint8_digits(8)
    with pytest.raises(ValueError, match="label"):
        training.Session(images, labels[:4], images, labels)
    with pytest.raises(ValueError, match="images to train on"):
        training.Session(images[:0], labels[:0], images, labels)
    with pytest.raises(training.SettingsError, match="batch size"):
        training.Session(images, labels, images, labels, settings={"batch_size": 0})
