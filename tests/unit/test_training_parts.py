"""pycore.training's data-parallel steps: parts that share every batch stay identical."""
import numpy as np
import pytest

from pycore.training import Session, SettingsError


def sessions(parts, batch_size=16, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (200, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, 200)
    return [Session(images, labels, images[:20], labels[:20], seed=1, settings={"batch_size": batch_size},
                    part=part, parts=parts) for part in range(parts)]


def test_parts_take_the_same_steps_and_count_the_whole_batch():
    a, b = sessions(2)
    for _ in range(4):
        shares = [a.share(), b.share()]
        loss_a = a.combine(shares)
        loss_b = b.combine([shares[0], shares[1].tobytes()])     # as the other worker's bytes arrive
        assert loss_a == loss_b and np.isfinite(loss_a)
    for name, value in a.net.params.items():
        assert np.array_equal(value, b.net.params[name]), name
    assert a.images_seen == b.images_seen == 64
    assert a.mark()["images"] == 64


def test_one_part_is_a_plain_sgd_step():
    """A share's gradient, combined alone, is the batch's mean gradient (Network.loss)."""
    (stepped,) = sessions(1)
    (by_hand,) = sessions(1)
    start = {k: v.copy() for k, v in by_hand.net.params.items()}
    idx = by_hand.next_batch()
    _, grads = by_hand.net.loss(by_hand.normalise(by_hand.images[idx]), by_hand.labels[idx], rng=by_hand.rng)
    stepped.step()
    lr = stepped.settings["lr"]
    for name, value in start.items():
        expected = value - lr * grads[name]           # the first step: velocity = gradient
        assert np.abs(stepped.net.params[name] - expected).max() <= 1e-6 * max(1.0, float(np.abs(value).max())), name
    assert stepped.images_seen == 16


def test_shares_must_make_up_the_batch():
    a, b = sessions(2)
    share = a.share()
    with pytest.raises(ValueError, match="2 shares"):
        a.combine([share])
    b.share()
    wrong_count = share.copy()
    wrong_count[-1] = 99
    with pytest.raises(ValueError, match="images"):
        b.combine([wrong_count, wrong_count])
    with pytest.raises(SettingsError, match="cannot be shared"):
        Session(a.images, a.labels, a.check_images, a.check_labels, settings={"batch_size": 8}, part=0, parts=9)
    with pytest.raises(ValueError, match="part 2 of 2"):
        Session(a.images, a.labels, a.check_images, a.check_labels, part=2, parts=2)


def test_parts_score_their_shares_and_the_leader_puts_them_together():
    a, b = sessions(2)
    whole = a.evaluate()
    shares = [a.score_share(), b.score_share()]
    assert [len(share) for share in shares] == [10, 10]
    together = a.scored([shares[0], shares[1].tobytes()])
    assert np.array_equal(together["right"], whole["right"]) and together["accuracy"] == whole["accuracy"]
    with pytest.raises(ValueError, match="2 shares"):
        a.scored([shares[0]])
