"""The replay set the page teaches with: a fixed, class-balanced sample of MNIST training images.

    replay_indices(n, seed)     which training images, as sorted indices
    replay_set(dataset, n)      (n, 28, 28) uint8 images and (n,) labels, for build.py to pack

Drawn from training images 0-44,999 only: 45,000-49,999 stand in, while the teaching method is
chosen, for "nothing is forgotten" (train.teaching), and 50,000-59,999 and the official test
set are only ever reported on.
"""
import numpy as np

TRAIN_RANGE = (0, 45_000)   # the training images the sample is drawn from (within 0-49,999)
POOL = slice(*TRAIN_RANGE)
REPLAY_SIZE = 2000       # what pycore.teach is measured with (docs/teaching.md)
SEED = 0


def replay_indices(labels, n=REPLAY_SIZE, seed=SEED):
    """Sorted indices into the training set: n // 10 images of each digit (n a multiple of 10),
    chosen at random from ``seed`` among the first 45,000; ``labels`` are the training labels."""
    if n % 10 or not 0 < n <= 10 * 4000:
        raise ValueError(f"the replay set holds a multiple of 10 images up to 40,000, not {n}")
    rng = np.random.default_rng(seed)
    pool = np.asarray(labels)[POOL]
    chosen = [rng.choice(np.flatnonzero(pool == digit), n // 10, replace=False) for digit in range(10)]
    return np.sort(np.concatenate(chosen))


def replay_set(dataset, n=REPLAY_SIZE, seed=SEED):
    """(images (n, 28, 28) uint8, labels (n,) uint8) of ``replay_indices``, from train.data.load()'s dict."""
    indices = replay_indices(dataset["train_labels"], n, seed)
    return dataset["train_images"][indices], dataset["train_labels"][indices]
