"""The training code (train/trainer.py, pycore/optim.py, train/evaluate.py, __main__.py) on tiny inputs.

Synthetic digits: each class is a soft blob at its own place on a circle, plus
noise, so a few hundred images and a few epochs are enough to learn something.
Everything here runs in seconds; CI never trains the full model.
"""
import ctypes
import itertools
import json
import math

import numpy as np
import pytest

from pycore import weights
from pycore.network import build_network
from pycore.optim import SGD, learning_rate
from train import evaluate as evaluation
from train.__main__ import DEFAULTS, parse
from train.trainer import CHECKPOINT, load_checkpoint, save_checkpoint, train


@pytest.fixture(autouse=True, scope="module")
def one_blas_thread():
    """Run this module's tiny matrix products on one OpenBLAS thread.

    On a busy machine (a training run next to the tests) OpenBLAS's worker threads
    spin for cores they cannot get, and these batches of 16-32 images run 10-30x
    slower than on one thread. No effect where numpy's OpenBLAS is not found.
    """
    try:
        library = next(line.split()[-1] for line in open("/proc/self/maps") if "openblas" in line)
        openblas = ctypes.CDLL(library)
        get, set_ = next((getattr(openblas, f"{prefix}get_num_threads{suffix}"),
                          getattr(openblas, f"{prefix}set_num_threads{suffix}"))
                         for prefix, suffix in (("scipy_openblas_", "64_"), ("openblas_", "64_"), ("openblas_", ""))
                         if hasattr(openblas, f"{prefix}set_num_threads{suffix}"))
    except (OSError, StopIteration):
        yield
        return
    before = get()
    set_(1)
    yield
    set_(before)


def synthetic_digits(n, seed=0):
    """(n, 28, 28) float32 in [0, 1] and (n,) int64 labels: class k is a blob at angle 36k degrees."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    angle = 2 * np.pi * labels / 10 + rng.normal(0, 0.15, n)
    centre_row = 13.5 - 7 * np.sin(angle)                       # (n,)
    centre_col = 13.5 + 7 * np.cos(angle)
    rows, cols = np.mgrid[0:28, 0:28]
    images = np.exp(-((rows - centre_row[:, None, None]) ** 2 + (cols - centre_col[:, None, None]) ** 2) / 8)
    images = images + rng.uniform(0, 0.2, images.shape)
    return np.clip(images, 0, 1).astype(np.float32), labels.astype(np.int64)


def tiny_config(**changes):
    """The CLI's settings (same keys), scaled down to seconds."""
    small = dict(epochs=2, batch_size=16, lr=0.02, warmup_epochs=0.5, augment=False)
    return {**DEFAULTS, **small, **changes}


def run(config, images, labels, out_dir, **kwargs):
    return list(train(config, images, labels, out_dir, quiet=True, **kwargs))


def params_of(path):
    net, meta = weights.from_bytes(path.read_bytes())
    return net.params, meta


# -- the training loop ----------------------------------------------------------------------

def test_a_tiny_run_reduces_the_loss(tmp_path):
    images, labels = synthetic_digits(320)
    val_images, val_labels = synthetic_digits(100, seed=1)
    config = tiny_config(epochs=3, batch_size=32)
    history = run(config, images, labels, tmp_path, val_images=val_images, val_labels=val_labels)

    assert [entry["epoch"] for entry in history] == [1, 2, 3]
    assert set(history[0]) == {"epoch", "train_loss", "train_accuracy", "lr", "seconds", "val_accuracy"}
    losses = [entry["train_loss"] for entry in history]
    assert losses[0] < 1.1 * math.log(10) + 0.5                 # starts near chance (ln 10 = 2.30)
    assert losses[-1] < 0.6 * losses[0], losses                  # and learns
    assert history[-1]["train_accuracy"] > history[0]["train_accuracy"]
    assert history[-1]["val_accuracy"] > 0.5                     # chance is 0.1
    assert history[-1]["lr"] < 0.1 * config["lr"]                # the cosine is almost down

    # a weights file per epoch, loadable by pycore, and the checkpoint
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        CHECKPOINT, "epoch-01.npz", "epoch-02.npz", "epoch-03.npz"]
    _, meta = params_of(tmp_path / "epoch-03.npz")
    assert meta["epoch"] == 3 and meta["config"] == config


def test_resume_gives_the_same_weights_as_an_uninterrupted_run(tmp_path):
    """Stop after epoch 1, resume: bit for bit the weights and momentum of one straight run."""
    images, labels = synthetic_digits(128)
    config = tiny_config(augment=True)                           # random distortion and dropout both in play
    straight = run(config, images, labels, tmp_path / "a")

    entry = next(iter(train(config, images, labels, tmp_path / "b", quiet=True)))   # "Ctrl-C" once epoch 1 is saved
    assert entry["epoch"] == 1 and not (tmp_path / "b" / "epoch-02.npz").exists()
    resumed = run(config, images, labels, tmp_path / "b", resume=True)

    without_time = [{k: v for k, v in entry.items() if k != "seconds"} for entry in straight]
    assert [{k: v for k, v in entry.items() if k != "seconds"} for entry in resumed] == without_time

    for name in ("epoch-01.npz", "epoch-02.npz"):
        a, _ = params_of(tmp_path / "a" / name)
        b, _ = params_of(tmp_path / "b" / name)
        assert a.keys() == b.keys()
        for key in a:
            np.testing.assert_array_equal(a[key], b[key], err_msg=f"{name} {key}")
    with np.load(tmp_path / "a" / CHECKPOINT) as a, np.load(tmp_path / "b" / CHECKPOINT) as b:
        assert a.files == b.files and any(k.startswith("velocity.") for k in a.files)
        for key in a.files:
            if key != "state":
                np.testing.assert_array_equal(a[key], b[key], err_msg=key)
        state = json.loads(b["state"].tobytes())
        assert state["epoch"] == 2 and state["config"] == config


def test_resume_with_other_settings_is_refused(tmp_path):
    images, labels = synthetic_digits(64)
    config = tiny_config(epochs=1)
    run(config, images, labels, tmp_path)
    with pytest.raises(ValueError, match="other settings"):
        run(dict(config, lr=0.03), images, labels, tmp_path, resume=True)
    # the same settings are accepted: the finished run's history comes back, nothing is retrained
    assert [entry["epoch"] for entry in run(config, images, labels, tmp_path, resume=True)] == [1]


def test_resume_of_a_run_older_than_a_setting_takes_its_default(tmp_path):
    images, labels = synthetic_digits(64)
    config = tiny_config(epochs=2)
    next(iter(train(config, images, labels, tmp_path, quiet=True)))   # stopped once epoch 1 is saved
    # age the checkpoint: as if written before --schedule existed
    net = build_network()
    optimiser = SGD(net.params, momentum=config["momentum"], weight_decay=config["weight_decay"])
    state = load_checkpoint(tmp_path / CHECKPOINT, net, optimiser)
    del state["config"]["schedule"]
    save_checkpoint(tmp_path / CHECKPOINT, net, optimiser, state)
    with pytest.raises(ValueError, match="other settings"):
        run(dict(config, schedule="constant"), images, labels, tmp_path, resume=True, defaults=DEFAULTS)
    with pytest.raises(ValueError, match="other settings"):           # without defaults: no guessing
        run(config, images, labels, tmp_path, resume=True)
    history = run(config, images, labels, tmp_path, resume=True, defaults=DEFAULTS)
    assert [entry["epoch"] for entry in history] == [1, 2]


def test_resume_without_a_checkpoint_starts_afresh(tmp_path):
    images, labels = synthetic_digits(64)
    history = run(tiny_config(epochs=1), images, labels, tmp_path, resume=True)
    assert [entry["epoch"] for entry in history] == [1]


# -- the optimiser and the schedule -----------------------------------------------------------

def test_sgd_momentum_and_weight_decay_by_hand():
    rng = np.random.default_rng(0)
    w0, b0 = rng.standard_normal((3, 2)), rng.standard_normal(2)
    params = {"dense.W": w0.copy(), "dense.b": b0.copy()}
    g1 = {"dense.W": rng.standard_normal((3, 2)), "dense.b": rng.standard_normal(2)}
    g2 = {"dense.W": rng.standard_normal((3, 2)), "dense.b": rng.standard_normal(2)}
    momentum, decay, lr1, lr2 = 0.9, 0.01, 0.1, 0.05
    optimiser = SGD(params, momentum=momentum, weight_decay=decay)
    weights_before = params["dense.W"]
    optimiser.step(params, g1, lr1)
    optimiser.step(params, g2, lr2)

    # PyTorch's form: v <- m v + (g + wd w); w <- w - lr v. Biases are not decayed.
    v1 = g1["dense.W"] + decay * w0
    w1 = w0 - lr1 * v1
    v2 = momentum * v1 + g2["dense.W"] + decay * w1
    w2 = w1 - lr2 * v2
    np.testing.assert_allclose(params["dense.W"], w2, rtol=1e-12, atol=1e-15)
    u1 = g1["dense.b"]
    b1 = b0 - lr1 * u1
    u2 = momentum * u1 + g2["dense.b"]
    np.testing.assert_allclose(params["dense.b"], b1 - lr2 * u2, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(optimiser.velocity["dense.W"], v2, rtol=1e-12)
    assert params["dense.W"] is weights_before                   # updated in place: the network sees it


def test_sgd_without_momentum_or_decay_is_plain_gradient_descent():
    params = {"a.W": np.array([1.0, -2.0])}
    optimiser = SGD(params, momentum=0.0, weight_decay=0.0)
    optimiser.step(params, {"a.W": np.array([0.5, 0.5])}, 0.1)
    optimiser.step(params, {"a.W": np.array([1.0, 0.0])}, 0.1)
    np.testing.assert_allclose(params["a.W"], [1.0 - 0.05 - 0.1, -2.0 - 0.05])


def test_learning_rate_warm_up_then_cosine_to_zero():
    peak, warmup, total = 0.05, 10, 100
    lrs = [learning_rate(step, total, peak, warmup) for step in range(total + 1)]
    assert lrs[0] == pytest.approx(peak / warmup)                # first step already moves
    np.testing.assert_allclose(lrs[:warmup], peak * np.arange(1, warmup + 1) / warmup)
    assert lrs[warmup] == pytest.approx(peak)                    # the cosine starts at the peak
    assert lrs[warmup + (total - warmup) // 2] == pytest.approx(peak / 2)
    assert all(a >= b for a, b in itertools.pairwise(lrs[warmup:]))
    assert lrs[total] == 0.0                                     # and ends at 0
    assert 0 < lrs[total - 1] < 1e-3 * peak
    assert learning_rate(total + 50, total, peak, warmup) == 0.0
    assert learning_rate(0, total, peak, 0) == pytest.approx(peak)   # no warm-up


def test_constant_schedule_keeps_the_peak_after_warm_up():
    lrs = [learning_rate(step, 100, 0.01, 10, "constant") for step in range(101)]
    np.testing.assert_allclose(lrs[:10], 0.01 * np.arange(1, 11) / 10)
    assert lrs[10:] == [0.01] * 91
    with pytest.raises(ValueError, match="schedule"):
        learning_rate(0, 100, 0.01, 10, "linear")


# -- the command line ------------------------------------------------------------------------

def test_cli_settings_are_parsed_by_their_default_type():
    args, config = parse(["--lr=0.1", "--epochs=3", "--augment=false", "--rotations=[10, -10]",
                          "--weight-decay=0", "--out=somewhere", "--resume"])
    assert config == dict(DEFAULTS, lr=0.1, epochs=3, augment=False, rotations=[10, -10], weight_decay=0.0)
    assert type(config["epochs"]) is int and type(config["weight_decay"]) is float
    assert args.out == "somewhere" and args.resume


@pytest.mark.parametrize("argv", [["--learning_rate=0.1"], ["--learning_rate", "0.1"], ["lr=0.1"], ["-lr=0.1"],
                                  ["--epochs", "2", "3"]])
def test_cli_rejects_unknown_or_malformed_settings(argv, capsys):
    with pytest.raises(SystemExit) as stop:
        parse(argv)
    assert stop.value.code == 2
    assert "unknown setting" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--lr"], ["--lr", "--epochs=2"]])
def test_cli_setting_without_a_value_is_refused(argv, capsys):
    with pytest.raises(SystemExit) as stop:
        parse(argv)
    assert stop.value.code == 2
    assert "'--lr' needs a value: --lr=VALUE or --lr VALUE" in capsys.readouterr().err


def test_cli_settings_given_as_key_space_value():
    """--key value as well as --key=value, negative numbers and booleans included."""
    args, config = parse(["--epochs", "2", "--init_seed", "-1", "--augment", "false", "--lr", "1e-3",
                          "--rotations", "[10, -10]", "--schedule", "constant", "--out", "elsewhere",
                          "--warmup-epochs", "0", "--shift=1"])
    assert config == dict(DEFAULTS, epochs=2, init_seed=-1, augment=False, lr=1e-3, rotations=[10, -10],
                          schedule="constant", warmup_epochs=0.0, shift=1.0)
    assert args.out == "elsewhere"
    with pytest.raises(SystemExit):
        parse(["--init_seed", "-2"])                 # a negative value is a value, and checked as one


def test_cli_rejects_an_unknown_schedule_before_loading_data(capsys):
    with pytest.raises(SystemExit) as stop:
        parse(["--schedule=linear"])
    assert stop.value.code == 2
    assert "cosine" in capsys.readouterr().err


@pytest.mark.parametrize("argv, words", [
    (["--thickness=2"], "--thickness=2.0: must be at least 0 and at most 1.0"),
    (["--lr=0"], "--lr=0.0: must be above 0"),
    (["--seed=-1"], "--seed=-1: must be at least 0"),
    (["--init_seed=-2"], "--init_seed=-2: must be at least -1"),
    (["--epochs=0"], "--epochs=0: must be at least 1"),
    (["--momentum=1"], "at most 0.999"),
    (["--train_images=70000"], "at most 60000"),
    (["--degrees=200"], "--degrees=200.0: must be at least 0 and at most 180.0"),
    (["--shift=20"], "--shift=20.0: must be at least 0 and at most 14.0"),
    (["--validation=50000"], "--validation=50000 leaves no training images"),
])
def test_cli_refuses_settings_out_of_range_before_loading_data(argv, words, capsys):
    with pytest.raises(SystemExit) as stop:
        parse(argv)
    assert stop.value.code == 2
    assert words in capsys.readouterr().err


def test_cli_accepts_the_edges_of_the_ranges():
    _, config = parse(["--init_seed=-1", "--thickness=1", "--validation=49999", "--weight_decay=0",
                       "--augment=false", "--rotations=[]", "--degrees=180", "--shift=14"])
    assert config["thickness"] == 1.0 and config["validation"] == 49999


# -- evaluation ---------------------------------------------------------------------------------

class FakeClassifier:
    """Predicts the digit written into pixel (0, 0) as value/255 (so uint8 images carry it exactly)."""

    def __init__(self):
        self.batches = []

    def probabilities(self, images):
        self.batches.append(len(images))
        digits = np.rint(np.asarray(images)[:, 0, 0] * 255).astype(int)
        return np.eye(10, dtype=np.float32)[digits] * 0.9 + 0.01


def test_evaluate_counts_confusion_and_mistakes():
    labels = np.array([0, 1, 2, 3, 3, 7, 7, 7, 9, 9])
    predicted = np.array([0, 1, 2, 3, 5, 7, 1, 7, 9, 4])
    images = np.zeros((10, 28, 28), np.uint8)
    images[:, 0, 0] = predicted
    classifier = FakeClassifier()
    result = evaluation.evaluate(classifier, images, labels, batch_size=4)

    assert classifier.batches == [4, 4, 2]
    assert (result["correct"], result["total"]) == (7, 10)
    assert result["accuracy"] == pytest.approx(0.7)
    expected = np.zeros((10, 10), int)
    np.add.at(expected, (labels, predicted), 1)
    assert result["confusion"] == expected.tolist()              # rows true, columns predicted
    assert np.sum(result["confusion"]) == 10 and np.trace(result["confusion"]) == 7
    assert result["confusion"][3][5] == 1 and result["confusion"][7][1] == 1 and result["confusion"][9][4] == 1
    assert result["wrong"] == [{"index": 4, "label": 3, "predicted": 5},
                               {"index": 6, "label": 7, "predicted": 1},
                               {"index": 9, "label": 9, "predicted": 4}]
    json.dumps(result)                                           # all plain Python: goes into metrics JSON


def test_evaluate_float_images_and_report_format():
    labels = np.array([2, 2, 8])
    images = np.zeros((3, 28, 28), np.float32)
    images[:, 0, 0] = np.array([2, 8, 8]) / 255
    held_out = evaluation.evaluate(FakeClassifier(), images, labels)
    assert held_out["correct"] == 2 and held_out["wrong"] == [{"index": 1, "label": 2, "predicted": 8}]
    report = evaluation.format_report({"held_out": held_out, "test": held_out})
    assert "held-out images 50,000-59,999: 2 / 3 correct (66.67 %)" in report
    assert "50001: 2->8" in report                               # held-out indices are in the training file
    assert "official test set: 2 / 3 correct" in report


def test_reweighted_images_thicken_thin_and_split_into_passes():
    images = np.zeros((2, 28, 28), np.uint8)
    images[:, 14, 14] = 255
    assert evaluation.reweighted(images, 0) is images
    one = evaluation.reweighted(images, 1)
    assert one.dtype == np.float32 and one.sum() == 2 * 9                 # a dot becomes a 3x3 square
    two = evaluation.reweighted(images, 2)
    assert two.sum() == 2 * 25 and two[0, 12:17, 12:17].min() == 1        # two passes of one pixel
    assert 2 * 9 < evaluation.reweighted(images, 1.5).sum() < 2 * 25       # two passes of 0.75: in between
    assert evaluation.reweighted(images, -0.5).sum() == 2 * 0.5           # thinning fades a lone dot


def test_stroke_weight_only_with_validation(capsys):
    with pytest.raises(SystemExit):
        evaluation.main(["--stroke_weight=1"])
    assert "only with --validation" in capsys.readouterr().err


def test_init_weights_starts_from_the_given_file(tmp_path):
    """A fine-tuning run begins at the weights it is given, not at a fresh initialisation."""
    from pycore import weights as weights_module
    from pycore.network import build_network
    from train.trainer import train as run_training

    start = build_network(seed=7)
    path = tmp_path / "start.npz"
    path.write_bytes(weights_module.to_bytes(start))
    rng = np.random.default_rng(0)
    images = rng.random((64, 28, 28), dtype=np.float32)
    labels = rng.integers(0, 10, 64)
    config = {**DEFAULTS, "epochs": 1, "batch_size": 32, "lr": 0.0, "warmup_epochs": 0.0,
              "augment": False, "init_weights": str(path)}
    list(run_training(config, images, labels, tmp_path / "run", quiet=True))
    trained, _ = weights_module.from_bytes((tmp_path / "run" / "epoch-01.npz").read_bytes())
    for name, value in start.params.items():      # lr 0: nothing moved
        np.testing.assert_array_equal(trained.params[name], value)


def test_init_seed_shares_the_start_but_not_the_journey(tmp_path):
    """init_seed fixes the He initialisation alone: runs with other seeds start from the same
    weights, then see their own order, dropout and distortions, so they end apart."""
    from pycore import weights as weights_module
    from pycore.network import build_network
    images, labels = synthetic_digits(64)

    def epoch_one(name, **changes):
        run(tiny_config(epochs=1, warmup_epochs=0.0, augment=True, **changes), images, labels, tmp_path / name)
        return weights_module.from_bytes((tmp_path / name / "epoch-01.npz").read_bytes())[0].params

    def same(a, b):
        return all(np.array_equal(a[k], b[k]) for k in a)

    for name, changes, start_seed in (("own", dict(seed=1), 1), ("shared", dict(seed=1, init_seed=3), 3)):
        still = epoch_one(name + "-lr0", lr=0.0, **changes)          # lr 0: the weights it started from
        assert same(still, build_network(seed=start_seed).params), name
    a, b = epoch_one("a", seed=1, init_seed=3), epoch_one("b", seed=2, init_seed=3)
    assert not same(a, b)                                             # same start, other journeys
    assert same(a, epoch_one("a-again", seed=1, init_seed=3))         # and each is reproducible


# -- distillation ---------------------------------------------------------------------------

def test_soft_targets_mix_the_teachers_answers_with_the_labels(tmp_path):
    from train.distill import soft_targets
    images, labels = synthetic_digits(96)
    paths = []
    for seed in (0, 1):
        run(tiny_config(epochs=2, seed=seed), images, labels, tmp_path / str(seed))
        paths.append(str(tmp_path / str(seed) / "epoch-02.npz"))
    targets = soft_targets(paths, images, labels, weight=0.5, temperature=4.0, stream=open("/dev/null", "w"))
    assert targets.shape == (96, 10) and targets.dtype == np.float32
    np.testing.assert_allclose(targets.sum(axis=1), 1, atol=1e-5)
    assert (targets[np.arange(96), labels] >= 0.5).all()          # the label keeps its half
    others = targets[np.eye(10, dtype=bool)[labels] == 0]
    assert (others > 0).all() and others.max() <= 0.5             # every other class gets a little
    # hotter teachers spread more; weight 0 is the labels alone
    cooler = soft_targets(paths, images, labels, weight=0.5, temperature=1.0, stream=open("/dev/null", "w"))
    assert others.sum() > cooler[np.eye(10, dtype=bool)[labels] == 0].sum()
    np.testing.assert_array_equal(soft_targets(paths, images, labels, 0.0, 4.0, stream=open("/dev/null", "w")),
                                  np.eye(10, dtype=np.float32)[labels])
    with pytest.raises(ValueError, match="teacher_weight"):
        soft_targets(paths, images, labels, weight=1.5, temperature=4.0)


def test_training_towards_soft_targets_learns(tmp_path):
    images, labels = synthetic_digits(320)
    soft = np.full((320, 10), 0.02, np.float32)
    soft[np.arange(320), labels] = 0.82
    history = run(tiny_config(epochs=3, batch_size=32), images, labels, tmp_path, targets=soft)
    assert history[-1]["train_accuracy"] > 0.8
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    # the loss is measured against the soft targets: it cannot reach 0 (their entropy)
    entropy = -(soft[0] * np.log(soft[0])).sum()
    assert history[-1]["train_loss"] > entropy
