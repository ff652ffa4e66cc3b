"""What the page calls: canvas pixels in, probabilities and the network's view out."""
import time

import numpy as np

from . import novelty as novelties
from . import number, weights
from . import verdict as verdicts
from .layers import softmax
from .pictures import digit_ink, number_ink
from .preprocess import ink, mnist_from_ink

# What the page shows of the network's insides: layer outputs after each ReLU.
SHOWN_LAYERS = {"conv1": "relu1", "conv2": "relu2", "dense1": "relu3"}

# classify_pixels' answer, one flat float32 array: these parts in this order (sizes), then
# with activations each of SHOWN_LAYERS' outputs, flattened in C order. "verdict": the indices of
# the verdict and its reason in pycore.verdict's VERDICTS and REASONS (verdict.codes).
PACKED = {"probabilities": 10, "image": 28 * 28, "timings": 2, "verdict": 2}


class Prediction:
    """probabilities (10,) float32; image (28, 28) float32 in [0, 1], what the network saw;
    timings: milliseconds spent in each step; activations: None, or when asked for
    {"conv1": (24, 24, 20), "conv2": (8, 8, 40), "dense1": (256,)} float32; verdict "digit" or
    "not-a-digit" and its reason (a pycore.verdict.REASONS name, "" for a digit), decided from
    signals (pycore.verdict.signals)."""

    def __init__(self, probabilities, image, timings, activations=None, verdict="digit", reason="",
                 signals=None):
        self.probabilities, self.image, self.timings = probabilities, image, timings
        self.activations = activations
        self.verdict, self.reason, self.signals = verdict, reason, signals

    @property
    def digit(self):
        return int(np.argmax(self.probabilities))


class Classifier:
    """A trained network with its input normalisation."""

    def __init__(self, net, metadata):
        self.net, self.metadata = net, metadata
        self.novelty = None      # a pycore.novelty.Novelty fitted to this network's features, once given
        norm = metadata.get("normalisation", weights.MNIST_NORMALISATION)
        self.mean, self.std = np.float32(norm["mean"]), np.float32(norm["std"])

    @classmethod
    def from_bytes(cls, data):
        """From the bytes of a weights file; raises weights.WeightsError if unusable."""
        return cls(*weights.from_bytes(data))

    def normalise(self, images):
        """(N, 28, 28) images in [0, 1] -> the network's input (N, 28, 28, 1)."""
        return (np.asarray(images, np.float32)[..., None] - self.mean) / self.std

    def probabilities(self, images):
        """(N, 28, 28) images in [0, 1] -> (N, 10) class probabilities."""
        logits, _ = self.net.forward(self.normalise(images))
        return softmax(logits)

    def features(self, images, upto="flatten", batch_size=500):
        """(N, 28, 28) images in [0, 1] -> the output of layer ``upto`` (dropout off), e.g.
        (N, 640) after "flatten": what the layers after it see."""
        names = [name for name, _ in self.net.layers]
        stop = names.index(upto) + 1
        out = []
        for i in range(0, len(images), batch_size):
            x = self.normalise(images[i:i + batch_size])
            for _, layer in self.net.layers[:stop]:
                x, _ = layer.forward(x)
            out.append(x)
        return np.concatenate(out) if out else np.zeros((0,), np.float32)

    def map_shapes(self):
        """The shapes of what the page draws of the network's insides, channels last:
        {"conv1": [24, 24, 20], "conv2": [8, 8, 40], "dense1": [256], "kernels": [20, 5, 5]}
        (each of SHOWN_LAYERS' outputs for one image, and the first convolution's filters)."""
        outputs = {row["name"]: row["output"] for row in self.net.summary()}
        kernel_h, kernel_w, _, filters = self.net.params["conv1.W"].shape   # (KH, KW, C, F)
        return {**{name: outputs[layer] for name, layer in SHOWN_LAYERS.items()},
                "kernels": [filters, kernel_h, kernel_w]}

    def kernels(self):
        """The first convolution's learned filters, (20, 5, 5), C-contiguous."""
        return np.ascontiguousarray(np.moveaxis(self.net.params["conv1.W"][:, :, 0, :], -1, 0))

    def classify(self, rgba, activations=False, photo=False):
        """Canvas pixels (H, W, 4) uint8 -> Prediction, or None for a blank canvas.

        With ``activations=True`` the prediction also carries what each layer
        saw; it costs no extra computation (the same single forward pass). ``photo``: the
        pixels are an opened picture, whose digit is told from its surroundings first
        (pycore.pictures.digit_ink); its time counts as preprocessing.
        """
        start = time.perf_counter()
        strength = digit_ink(rgba) if photo else ink(rgba)   # read once: preprocessing and the verdict share it
        image = mnist_from_ink(strength)
        prepared = time.perf_counter()
        if image is None:
            return None
        probabilities, logits, shown, features = self.answer(image, activations)
        done = time.perf_counter()
        return Prediction(probabilities, image,
                          {"preprocess": (prepared - start) * 1e3, "forward": (done - prepared) * 1e3}, shown,
                          *self.judge(strength, probabilities, logits, features))

    def answer(self, image, activations=False):
        """A (28, 28) image in [0, 1] -> (probabilities (10,), the (10,) logits they came from,
        with ``activations`` each of SHOWN_LAYERS' outputs, else None, and the (256,) features
        pycore.novelty scores): the network's part of ``classify``, which a subclass
        (pycore.teach.GatedClassifier) answers its own way."""
        outputs = self.net.activations(self.normalise(image[None]))
        logits = outputs[self.net.layers[-1][0]][0]
        shown = {name: outputs[layer][0] for name, layer in SHOWN_LAYERS.items()} if activations else None
        return softmax(logits[None])[0], logits, shown, outputs[novelties.LAYER][0]

    def judge(self, strength, probabilities, logits, features):
        """Is the drawing a digit? The canvas's (H, W) ink (preprocess.ink; not blank), the
        probabilities shown, the (10,) logits they came from and the features ``novelty``
        scores -> (verdict, reason, signals), as pycore.verdict decides. Every classify calls
        it. Without ``novelty`` (statistics not loaded, or a network they do not fit: weights
        trained in the page) the verdict goes without that signal."""
        measured = verdicts.signals(strength, probabilities, logits)
        if self.novelty is not None:
            measured["novelty"] = float(self.novelty.score(features[None])[0])
        return (*verdicts.decide(measured), measured)

    def packed_layout(self, activations=True):
        """classify_pixels' array, part by part, for the same ``activations``: [(name, size)],
        PACKED's parts, then (with activations) each of SHOWN_LAYERS' outputs. Runs the
        network once when asked for the layers."""
        if not activations:
            return list(PACKED.items())
        outputs = self.net.activations(self.normalise(np.zeros((1, 28, 28), np.float32)))
        return list(PACKED.items()) + [(name, outputs[layer][0].size) for name, layer in SHOWN_LAYERS.items()]

    def classify_pixels(self, pixels, height, width, photo=False, activations=False):
        """The web worker's one call: RGBA bytes of a canvas -> a flat float32 array, or None
        for a blank canvas.

        ``pixels`` is any buffer of height * width * 4 bytes; ``photo``: an opened picture,
        its digit told from its surroundings (pycore.pictures). The answer packs what
        ``classify`` returns as PACKED lists it (timings: preprocessing, then forward pass,
        in ms; the verdict as two codes): one array crosses to JavaScript instead of one object per field.
        """
        rgba = np.frombuffer(pixels, np.uint8).reshape(height, width, 4)
        prediction = self.classify(rgba, activations=activations, photo=photo)
        if prediction is None:
            return None
        timings = [prediction.timings["preprocess"], prediction.timings["forward"]]
        parts = [prediction.probabilities, prediction.image.ravel(), np.array(timings),
                 np.array(verdicts.codes(prediction.verdict, prediction.reason))]
        if activations:
            parts += [prediction.activations[name].ravel() for name in SHOWN_LAYERS]
        return np.concatenate(parts, dtype=np.float32)

    def classify_number_pixels(self, pixels, height, width, photo=False):
        """Number mode's one call (the worker's "classify-number"): RGBA bytes of the wide canvas
        -> one flat float32 array as pycore.number.NUMBER_PACKED lays it out: the digits side
        by side, each read by ``answer`` (none for a blank canvas)."""
        rgba = np.frombuffer(pixels, np.uint8).reshape(height, width, 4)
        return number.packed(self, number_ink(rgba) if photo else ink(rgba))

    def number_layout(self):
        """How to read classify_number_pixels' array (pycore.number.layout)."""
        return number.layout()
