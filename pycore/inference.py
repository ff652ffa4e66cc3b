"""What the page calls: canvas pixels in, probabilities and the network's view out."""
import time

import numpy as np

from . import weights
from .layers import softmax
from .preprocess import to_mnist


class Prediction:
    """probabilities (10,) float32; image (28, 28) float32 in [0, 1], what the network saw;
    timings: milliseconds spent in each step."""

    def __init__(self, probabilities, image, timings):
        self.probabilities, self.image, self.timings = probabilities, image, timings

    @property
    def digit(self):
        return int(np.argmax(self.probabilities))


class Classifier:
    """A trained network with its input normalisation."""

    def __init__(self, net, metadata):
        self.net, self.metadata = net, metadata
        norm = metadata.get("normalisation", weights.MNIST_NORMALISATION)
        self.mean, self.std = np.float32(norm["mean"]), np.float32(norm["std"])

    @classmethod
    def from_bytes(cls, data):
        """From the bytes of a weights file; raises weights.WeightsError if unusable."""
        return cls(*weights.from_bytes(data))

    def probabilities(self, images):
        """(N, 28, 28) images in [0, 1] -> (N, 10) class probabilities."""
        x = (np.asarray(images, np.float32)[..., None] - self.mean) / self.std   # (N, 28, 28, 1)
        logits, _ = self.net.forward(x)
        return softmax(logits)

    def classify(self, rgba):
        """Canvas pixels (H, W, 4) uint8 -> Prediction, or None for a blank canvas."""
        start = time.perf_counter()
        image = to_mnist(rgba)
        prepared = time.perf_counter()
        if image is None:
            return None
        probabilities = self.probabilities(image[None])[0]
        done = time.perf_counter()
        return Prediction(probabilities, image,
                          {"preprocess": (prepared - start) * 1e3, "forward": (done - prepared) * 1e3})
