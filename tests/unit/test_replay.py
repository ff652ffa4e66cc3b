"""train.replay: the replay sample's indices, on made-up labels (no download)."""
import numpy as np
import pytest

from train.replay import REPLAY_SIZE, TRAIN_RANGE, replay_indices


def labels(count=60_000, seed=1):
    return np.random.default_rng(seed).integers(0, 10, count).astype(np.uint8)


def test_class_balanced_sorted_distinct_and_only_training_images():
    given = labels()
    indices = replay_indices(REPLAY_SIZE, 0, labels=given)
    assert REPLAY_SIZE == 2000 and len(indices) == REPLAY_SIZE
    assert (np.diff(indices) > 0).all()
    assert TRAIN_RANGE == (0, 50_000) and indices.min() >= 0 and indices.max() < 50_000
    assert np.bincount(given[indices], minlength=10).tolist() == [200] * 10


def test_the_seed_decides_the_sample():
    given = labels()
    assert (replay_indices(100, 3, labels=given) == replay_indices(100, 3, labels=given)).all()
    assert not (replay_indices(100, 3, labels=given) == replay_indices(100, 4, labels=given)).all()


def test_an_uneven_size_gives_the_first_digits_one_more():
    given = labels()
    counts = np.bincount(given[replay_indices(23, 0, labels=given)], minlength=10)
    assert counts.tolist() == [3, 3, 3] + [2] * 7


def test_more_than_the_range_holds_is_refused():
    with pytest.raises(ValueError, match="images of 0 wanted"):
        replay_indices(2000, 0, labels=np.ones(60_000, np.uint8))
