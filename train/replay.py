"""The replay sample: MNIST training images the page mixes into fine-tuning on a user's
handwriting, so that it does not forget the rest.

Drawn only from the training images 0-49,999 (50,000-59,999 are held out for validation,
the test set is never trained on). build.py ships them as data/mnist-replay.npz.

Placeholder until the fine-tuning branch's train.replay lands: keep the name,
``replay_indices(n, seed)`` and ``REPLAY_SIZE``, so the two can be reconciled.
"""
import numpy as np

REPLAY_SIZE = 2000
TRAIN_RANGE = (0, 50_000)    # the training images; the rest of the file is held out


def replay_indices(n=REPLAY_SIZE, seed=0, labels=None):
    """n sorted indices into MNIST's training file, class-balanced: n // 10 of each digit
    (the first n % 10 digits one more), drawn without replacement from TRAIN_RANGE by a
    generator seeded with ``seed``. labels: the training labels (60000,), default the
    verified MNIST file (train.data)."""
    if labels is None:
        from train import data
        labels = data.load()["train_labels"]
    start, stop = TRAIN_RANGE
    labels = np.asarray(labels)[start:stop]
    rng = np.random.default_rng(seed)
    chosen = []
    for digit in range(10):
        wanted = n // 10 + (digit < n % 10)
        pool = np.flatnonzero(labels == digit) + start
        if wanted > len(pool):
            raise ValueError(f"replay_indices: {wanted} images of {digit} wanted, the training range has {len(pool)}")
        chosen.append(rng.choice(pool, wanted, replace=False))
    return np.sort(np.concatenate(chosen)).astype(np.int64)
