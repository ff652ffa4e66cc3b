"""pycore.teach.Tutor on a tiny trained network and synthetic digits: no MNIST download."""
import numpy as np
import pytest

from pycore import teach
from pycore.inference import Classifier
from pycore.network import build_network
from tests.unit.test_training import synthetic_digits, tiny_config
from train import replay, teaching
from train.trainer import train

FAST = dict(steps=10, copies=4, batch=16, replay_batch=16)


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    """A network trained for two tiny epochs on the blob digits: it reads them, mostly."""
    images, labels = synthetic_digits(160)
    out = tmp_path_factory.mktemp("run")
    list(train(tiny_config(), images, labels, out, quiet=True))
    return Classifier.from_bytes((out / "epoch-02.npz").read_bytes())


@pytest.fixture(scope="module")
def replay_data():
    return synthetic_digits(60, seed=5)


def tutor_of(shipped, replay_data, **settings):
    return teach.Tutor(shipped, *replay_data, seed=3, **{**FAST, **settings})


def examples(n=4, seed=9):
    """Blob digits labelled one place round: a 'style' the network reads wrong."""
    images, labels = synthetic_digits(n, seed=seed)
    return images, (labels + 1) % 10


def same_params(a, b):
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) and a[k].dtype == b[k].dtype for k in a)


def test_a_teaching_step_lowers_the_loss_on_the_examples(shipped, replay_data):
    tutor = tutor_of(shipped, replay_data)
    images, labels = examples()
    for image, label in zip(images[:-1], labels[:-1], strict=True):
        tutor.teach(image, int(label))
    facts = tutor.teach(images[-1], int(labels[-1]))
    assert facts["count"] == tutor.count == 4
    assert facts["loss_after"] < facts["loss_before"]
    assert facts["ms"] > 0
    assert tutor.classifier is not shipped


def test_forget_restores_the_shipped_weights_exactly(shipped, replay_data):
    before = {k: v.copy() for k, v in shipped.net.params.items()}
    tutor = tutor_of(shipped, replay_data)
    assert tutor.classifier is shipped and tutor.count == 0
    tutor.set_examples(*examples())
    assert not same_params(tutor.classifier.net.params, before)
    tutor.forget()
    assert tutor.classifier is shipped and tutor.count == 0
    assert same_params(shipped.net.params, before)          # teaching never wrote the shipped arrays


def test_set_examples_is_deterministic_and_matches_teaching_one_by_one(shipped, replay_data):
    images, labels = examples()
    a, b, c = (tutor_of(shipped, replay_data) for _ in range(3))
    a.set_examples(images, labels)
    b.set_examples(images, labels)
    for image, label in zip(images, labels, strict=True):
        c.teach(image, int(label))
    assert same_params(a.classifier.net.params, b.classifier.net.params)
    assert same_params(a.classifier.net.params, c.classifier.net.params)
    other_seed = teach.Tutor(shipped, *replay_data, seed=4, **FAST)
    other_seed.set_examples(images, labels)
    assert not same_params(a.classifier.net.params, other_seed.classifier.net.params)


def test_the_adapted_classifier_keeps_the_classifier_api(shipped, replay_data):
    tutor = tutor_of(shipped, replay_data)
    tutor.set_examples(*examples())
    adapted = tutor.classifier
    assert adapted.packed_layout() == shipped.packed_layout()
    canvas = np.zeros((56, 56, 4), np.uint8)
    canvas[10:46, 25:31, 3] = 255
    packed = adapted.classify_pixels(canvas.tobytes(), 56, 56, activations=True)
    assert packed.dtype == np.float32 and packed.size == sum(size for _, size in adapted.packed_layout())
    # only the dense layers learn: the convolutions are the shipped arrays themselves
    assert adapted.net.params["conv1.W"] is shipped.net.params["conv1.W"]
    assert adapted.map_shapes() == shipped.map_shapes()
    np.testing.assert_array_equal(adapted.kernels(), shipped.kernels())
    plain = adapted.classify_pixels(canvas.tobytes(), 56, 56)
    assert plain.size == sum(size for _, size in adapted.packed_layout(False))
    prediction = adapted.classify(canvas)
    np.testing.assert_allclose(prediction.probabilities, adapted.probabilities(prediction.image[None])[0], atol=1e-6)
    assert adapted.classify(np.zeros((56, 56, 4), np.uint8)) is None


def test_leave_one_out_and_score_count_right(shipped, replay_data):
    tutor = tutor_of(shipped, replay_data)
    assert tutor.leave_one_out() == (0, 0)
    images, labels = examples(3)
    tutor.set_examples(images, labels)
    right, total = tutor.leave_one_out()
    assert total == 3 and 0 <= right <= 3
    after = tutor.classifier.net.params
    tutor.leave_one_out()
    assert tutor.classifier.net.params is not None and same_params(after, tutor.classifier.net.params)

    predicted = tutor.classifier.probabilities(images).argmax(axis=1)
    assert tutor.score(images, predicted) == (3, 3)
    assert tutor.score(images, (predicted + 1) % 10) == (0, 3)
    assert tutor.score(images, np.where(np.arange(3) == 0, predicted, (predicted + 1) % 10)) == (1, 3)


def test_leave_one_out_counts_each_example_by_the_others(shipped, replay_data, monkeypatch):
    """With a fake adaptation that learns nothing, leave-one-out is the shipped model's count."""
    monkeypatch.setattr(teach.Tutor, "_adapted", lambda self, copies, labels: (self.shipped, None, None))
    tutor = tutor_of(shipped, replay_data)
    images, labels = synthetic_digits(6, seed=2)
    tutor.set_examples(images, labels)
    expected = int((shipped.probabilities(images).argmax(axis=1) == labels).sum())
    assert tutor.leave_one_out() == (expected, 6)


def test_leave_one_out_at_is_set_examples_of_the_others(shipped, replay_data):
    tutor = tutor_of(shipped, replay_data)
    images, labels = examples(4)
    tutor.set_examples(images, labels)
    answers = [tutor.leave_one_out_at(i) for i in range(4)]
    assert tutor.leave_one_out() == (sum(answers), 4)
    for i in range(4):
        others = tutor_of(shipped, replay_data)
        others.set_examples(np.delete(images, i, axis=0), np.delete(labels, i))
        assert answers[i] == (others.classifier.probabilities(images[i:i + 1])[0].argmax() == labels[i])
    with pytest.raises(IndexError):
        tutor.leave_one_out_at(4)


def test_prepare_counts_down_and_gives_what_unprepared_gives(shipped, replay_data):
    images, labels = examples()
    check_images, check_labels = synthetic_digits(30, seed=11)
    lazy = tutor_of(shipped, replay_data)
    lazy.set_check(check_images, check_labels)
    lazy.set_examples(images, labels)                   # prepares everything itself
    assert lazy.remaining == 0
    stepwise = tutor_of(shipped, replay_data)
    stepwise.set_check(check_images, check_labels)
    left = [stepwise.prepare(budget=25)]
    while left[-1]:
        left.append(stepwise.prepare(budget=25))
    assert left == [70, 50, 30, 10, 0]      # 60 replay images, then 30 check images, in blocks of 20
    stepwise.set_examples(images, labels)
    np.testing.assert_array_equal(stepwise._replay.features, lazy._replay.features)
    np.testing.assert_array_equal(stepwise._check.features, lazy._check.features)
    assert same_params(stepwise.classifier.net.params, lazy.classifier.net.params)
    with pytest.raises(ValueError, match="budget"):
        stepwise.prepare(budget=0)


def test_check_is_score_on_the_same_set(shipped, replay_data):
    tutor = tutor_of(shipped, replay_data)
    check_images, check_labels = synthetic_digits(40, seed=12)
    assert tutor.check() == (0, 0)
    tutor.set_check(check_images, check_labels)
    assert tutor.check() == tutor.score(check_images, check_labels)          # the shipped network
    tutor.set_examples(*examples())
    assert tutor.check() == tutor.score(check_images, check_labels)          # the gated one
    tutor.set_examples(*examples(6, seed=3))
    assert tutor.check() == tutor.score(check_images, check_labels)


def test_the_gate_is_shipped_far_from_the_examples_and_adapted_at_them(shipped, replay_data):
    images, labels = examples()
    tutor = tutor_of(shipped, replay_data, gate_near=0.99, gate_far=0.95, gate_contrast="none")
    tutor.set_examples(images, labels)
    gated = tutor.classifier
    adapted = Classifier(gated.net, shipped.metadata)                         # the adapted network ungated
    far = np.zeros((1, 28, 28), np.float32)
    far[0, 2:5, 2:26] = 1                                                      # a bar, like no blob
    assert gated.gate.nearest(gated.shipped.features(far))[0][0] < 0.95
    np.testing.assert_array_equal(gated.probabilities(far), shipped.probabilities(far))
    np.testing.assert_array_equal(gated.probabilities(images), adapted.probabilities(images))
    always = tutor_of(shipped, replay_data, gate_near=-1, gate_far=-1, gate_contrast="none")   # w = 1: adapted
    always.set_examples(images, labels)
    np.testing.assert_array_equal(always.classifier.probabilities(far),
                                  Classifier(always.classifier.net, shipped.metadata).probabilities(far))


def test_the_gate_ramps_between_far_and_near():
    gate = teach.Gate([], np.eye(3, dtype=np.float32), [0, 1, 2], near=0.9, far=0.5)
    similarity, label = gate.nearest(np.array([[1, 0, 0], [1, 1, 0], [0, 0, -1]], np.float32))
    np.testing.assert_allclose(similarity, [1, np.sqrt(0.5), 0], atol=1e-6)
    assert label[0] == 0 and label[1] in (0, 1)
    np.testing.assert_allclose(gate.weight(similarity), [1, (np.sqrt(0.5) - 0.5) / 0.4, 0], atol=1e-6)
    np.testing.assert_array_equal(teach.Gate([], np.eye(3), [0, 1, 2], 0.7, 0.7).weight(similarity), [1, 1, 0])
    with pytest.raises(ValueError, match="above"):
        teach.Gate([], np.eye(3), [0, 1, 2], near=0.5, far=0.9)


def test_the_replay_contrast_keeps_the_shipped_answer_where_its_class_is_nearer():
    # taught: a 6 at e0; replay: a 0 at e1 and a 6 at e2 (cosine similarities are products of unit rows)
    gate = teach.Gate([], np.eye(3, dtype=np.float32)[:1], [6], near=0.5, far=0.5,
                      contrast=teach.ReplayContrast(np.eye(3, dtype=np.float32)[1:], [0, 6], margin=0.1, width=0.2))
    inputs = np.array([[1, 0, 0], [1, 0.9, 0], [1, 0.5, 0], [1, 0, 0]], np.float32)
    adapted_says, shipped_says = np.array([6, 6, 6, 3]), np.array([0, 0, 0, 0])
    w, _ = gate.weights(inputs, adapted_says, shipped_says)
    # taught - replay: 1 - 0 (w 1); 0.74 - 0.67 (below the margin: 0); 0.89 - 0.45 = 0.45 (above margin + width: 1);
    # the adapted answer 3 was never taught: 0
    lead = 1 / np.sqrt(1.25) - 0.5 / np.sqrt(1.25) - 0.1
    np.testing.assert_allclose(w, [1, 0, min(1, lead / 0.2), 0], atol=1e-6)
    half = teach.Gate([], np.eye(3, dtype=np.float32)[:1], [6], 0.5, 0.5,
                      teach.ReplayContrast(np.eye(3, dtype=np.float32)[1:], [0, 6], margin=0.0, width=0.2))
    np.testing.assert_allclose(half.weights(inputs[1:2], np.array([6]), np.array([0]))[0],
                               [(1 - 0.9) / np.sqrt(1.81) / 0.2], atol=1e-6)          # on the ramp
    with pytest.raises(ValueError, match="width"):
        teach.ReplayContrast(np.eye(3), [0, 1, 2], 0.0, -0.1)


def test_the_replay_contrast_in_the_tutor_only_ever_withholds_the_adapted_answer(shipped, replay_data):
    images, labels = examples()
    plain = tutor_of(shipped, replay_data, gate_near=-1, gate_far=-1, gate_contrast="none")
    plain.set_examples(images, labels)
    anywhere = tutor_of(shipped, replay_data, gate_near=-1, gate_far=-1, gate_contrast="replay", contrast_margin=-3.0)
    anywhere.set_examples(images, labels)
    nowhere = tutor_of(shipped, replay_data, gate_near=-1, gate_far=-1, gate_contrast="replay", contrast_margin=3.0)
    nowhere.set_examples(images, labels)
    test_images = synthetic_digits(20, seed=11)[0]
    # the same adapted network in all three; the contrast only moves w
    assert same_params(anywhere.classifier.net.params, plain.classifier.net.params)
    np.testing.assert_array_equal(anywhere.classifier.probabilities(test_images),
                                  plain.classifier.probabilities(test_images))
    np.testing.assert_array_equal(nowhere.classifier.probabilities(test_images), shipped.probabilities(test_images))
    again = tutor_of(shipped, replay_data, gate_contrast="replay", contrast_margin=0.02, contrast_width=0.05)
    again.set_examples(images, labels)
    twice = tutor_of(shipped, replay_data, gate_contrast="replay", contrast_margin=0.02, contrast_width=0.05)
    twice.set_examples(images, labels)
    np.testing.assert_array_equal(again.classifier.probabilities(test_images),
                                  twice.classifier.probabilities(test_images))
    with pytest.raises(ValueError, match="gate_contrast"):
        tutor_of(shipped, replay_data, gate_contrast="maybe")


def test_copies_follow_the_example_not_its_place(shipped, replay_data):
    images, labels = examples(3)
    a, b = tutor_of(shipped, replay_data), tutor_of(shipped, replay_data)
    a.set_examples(images, labels)
    b.set_examples(images[::-1], labels[::-1])
    for mine, theirs in zip(a._copies[0], b._copies[2], strict=True):     # (gate features, head inputs)
        np.testing.assert_array_equal(mine, theirs)
    kept = a._copies[1]
    a.set_examples(images[1:], labels[1:])                                     # one removed: the rest kept
    assert a._copies[0] is kept


@pytest.mark.parametrize("image, label, words", [
    (np.zeros((28, 27), np.float32), 1, "(28, 28)"),
    (np.zeros((1, 28, 28), np.float32), 1, "(28, 28)"),
    (np.full((28, 28), np.nan, np.float32), 1, "NaN"),
    (np.full((28, 28), 2, np.float32), 1, "[0, 1]"),
    (np.zeros((28, 28), np.float32), 10, "0-9"),
    (np.zeros((28, 28), np.float32), -1, "0-9"),
    (np.zeros((28, 28), np.float32), 1.5, "0-9"),
    (np.zeros((28, 28), np.float32), True, "0-9"),
])
def test_bad_examples_are_refused_with_a_clear_error(shipped, replay_data, image, label, words):
    tutor = tutor_of(shipped, replay_data)
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        tutor.teach(image, label)
    with pytest.raises(ValueError, match="0-9|28|NaN|0, 1"):
        tutor.set_examples([image], [label])
    assert tutor.count == 0 and tutor.classifier is shipped       # nothing half-taught


def test_unknown_settings_and_mismatched_lists_are_refused(shipped, replay_data):
    with pytest.raises(ValueError, match="unknown teaching setting"):
        teach.Tutor(shipped, *replay_data, stpes=3)
    with pytest.raises(ValueError, match="2 images but 1 labels"):
        tutor_of(shipped, replay_data).set_examples(np.zeros((2, 28, 28), np.float32), [1])


def test_distorted_copies_start_with_the_image_and_keep_its_ink():
    image = np.zeros((28, 28), np.float32)
    image[8:20, 12:16] = 1
    copies = teach.distorted(image, 6, np.random.default_rng(0), degrees=10, scale=0.1, shift=2)
    assert copies.shape == (6, 28, 28) and copies.dtype == np.float32
    np.testing.assert_array_equal(copies[0], image)
    assert not np.array_equal(copies[1], image)
    np.testing.assert_allclose(copies.sum(axis=(1, 2)), image.sum(), rtol=0.25)   # scale changes it a little
    still = teach.distorted(image, 2, np.random.default_rng(0), degrees=0, scale=0, shift=0)
    np.testing.assert_allclose(still[1], image, atol=1e-6)


def test_head_gradients_match_centred_differences():
    """The head's hand-written backward (products.matmul) against numbers, in float64."""
    net = build_network(seed=1).astype(np.float64)
    head = teach.Head(net.layers[-3:])                        # dense1, relu3, dense2
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 640))
    labels = rng.integers(0, 10, 5)
    w = rng.random(5)
    _, grads = head.loss(x, labels, w)
    for name in ("dense1.b", "dense2.W", "dense2.b"):
        p = head.params[name]
        numeric = np.zeros_like(p)
        for i in range(p.size):
            old = p.flat[i]
            p.flat[i] = old + 1e-5
            plus = head.loss(x, labels, w)[0]
            p.flat[i] = old - 1e-5
            minus = head.loss(x, labels, w)[0]
            p.flat[i] = old
            numeric.flat[i] = (plus - minus) / 2e-5
        error = np.abs(grads[name] - numeric).max() / max(1e-8, np.abs(grads[name]).max() + np.abs(numeric).max())
        assert error < 1e-6, name


def test_replay_indices_are_balanced_seeded_and_from_the_pool():
    labels = np.tile(np.arange(10), 6000)                     # 60,000 labels, as MNIST's training file
    chosen = replay.replay_indices(labels, 200, seed=1)
    assert len(chosen) == len(set(chosen)) == 200 and (np.diff(chosen) > 0).all()
    assert chosen.max() < 45000
    assert (np.bincount(labels[chosen], minlength=10) == 20).all()
    np.testing.assert_array_equal(chosen, replay.replay_indices(labels, 200, seed=1))
    assert not np.array_equal(chosen, replay.replay_indices(labels, 200, seed=2))
    with pytest.raises(ValueError, match="multiple of 10"):
        replay.replay_indices(labels, 205)
    dataset = {"train_images": np.arange(60000)[:, None, None] * np.ones((1, 28, 28), np.int64),
               "train_labels": labels}
    images, got = replay.replay_set(dataset, 50)
    np.testing.assert_array_equal(images[:, 0, 0], replay.replay_indices(labels, 50))
    np.testing.assert_array_equal(got, labels[replay.replay_indices(labels, 50)])


def test_dense1_frozen_learns_dense2_only_with_the_gate_on_the_flatten_features(shipped, replay_data):
    images, labels = examples()
    a, b = (tutor_of(shipped, replay_data, frozen_up_to="relu3", gate_space="flatten") for _ in range(2))
    a.set_examples(images, labels)
    for image, label in zip(images, labels, strict=True):
        b.teach(image, int(label))
    assert same_params(a.classifier.net.params, b.classifier.net.params)
    params, before = a.classifier.net.params, shipped.net.params
    assert all(np.array_equal(params[k], before[k]) for k in before if not k.startswith("dense2"))
    assert not np.array_equal(params["dense2.W"], before["dense2.W"])
    assert a.classifier.gate.references.shape[1] == a.shipped.features(images[:1]).shape[1]   # 640-d, not 256
    assert a.classifier.frozen_up_to == "flatten"
    answers = [a.leave_one_out_at(i) for i in range(4)]
    others = tutor_of(shipped, replay_data, frozen_up_to="relu3", gate_space="flatten")
    others.set_examples(images[1:], labels[1:])
    assert answers[0] == (others.classifier.probabilities(images[:1])[0].argmax() == labels[0])
    with pytest.raises(ValueError, match="before the last layer"):
        tutor_of(shipped, replay_data, gate_space="dense2")


def test_near_replay_draws_the_replay_images_nearest_the_examples(shipped, replay_data):
    images, labels = examples()
    tutor = tutor_of(shipped, replay_data, near_replay=10, near_replay_share=0.5)
    tutor.set_examples(images, labels)
    replay_space = teach.unit_rows(shipped.features(replay_data[0], "flatten"))
    similarity = teach.unit_rows(shipped.features(images, "flatten")) @ replay_space.T      # (examples, replay)
    expected = np.argsort(-similarity.max(axis=0))[:10]
    np.testing.assert_array_equal(np.sort(tutor._near_replay(tutor._copies)), np.sort(expected))
    # it changes what is learned, deterministically, and teaching one by one still equals set_examples
    plain = tutor_of(shipped, replay_data, near_replay=0)
    plain.set_examples(images, labels)
    assert plain._near_replay(plain._copies) is None
    assert not same_params(tutor.classifier.net.params, plain.classifier.net.params)
    every = tutor_of(shipped, replay_data, near_replay=1000)             # more than the 60: all of them
    every.set_examples(images, labels)
    np.testing.assert_array_equal(np.sort(every._near_replay(every._copies)), np.arange(60))
    one_by_one = tutor_of(shipped, replay_data, near_replay=10, near_replay_share=0.5)
    for image, label in zip(images, labels, strict=True):
        one_by_one.teach(image, int(label))
    assert same_params(tutor.classifier.net.params, one_by_one.classifier.net.params)
    # leave-one-out finds the near images of the others only, as set_examples of the others does
    others = tutor_of(shipped, replay_data, near_replay=10, near_replay_share=0.5)
    others.set_examples(images[1:], labels[1:])
    assert tutor.leave_one_out_at(0) == (others.classifier.probabilities(images[:1])[0].argmax() == labels[0])
    np.testing.assert_array_equal(tutor._near_replay(tutor._copies[1:]), others._near_replay(others._copies))


@pytest.mark.parametrize("settings", [dict(near_replay=-1), dict(near_replay_share=1.5), dict(near_replay_share=-0.1)])
def test_near_replay_settings_out_of_range_are_refused(shipped, replay_data, settings):
    with pytest.raises(ValueError, match="near_replay"):
        tutor_of(shipped, replay_data, **settings)


@pytest.mark.parametrize("argv", [["--draws", "2"], ["--validation", "--draws", "0"],
                                  ["--validation", "--draws", "11"], ["--unseen", "--draws", "2"]])
def test_more_draws_are_for_validation_only_and_clear_of_the_report_seeds(argv, capsys):
    with pytest.raises(SystemExit):
        teaching.main(argv)
    assert "--draws is 1 to 10, with --validation only" in capsys.readouterr().err
    assert teaching.example_seeds("validation", 9)[1] + teaching.DRAW_SEEDS // 2 <= teaching.SPLITS["report"][0]


def test_unseen_seeds_are_clear_of_the_others_and_not_validation(capsys):
    """--unseen reports on seeds of its own: past every validation draw's and the report's."""
    with pytest.raises(SystemExit):
        teaching.main(["--validation", "--unseen"])
    assert "one of them" in capsys.readouterr().err
    examples, fresh, _ = teaching.SPLITS["unseen"]
    used = [*teaching.SPLITS["report"][:2], *teaching.PLAIN["report"][:1], *teaching.PLAIN["validation"][:1],
            teaching.example_seeds("validation", 9)[1]]
    assert min(examples, fresh, teaching.PLAIN["unseen"][0]) >= max(used) + 1000

