"""Teach the network a user's handwriting: a few drawn examples adapt it at once.

The method: the convolutions stay as shipped (they see strokes, which every writer shares);
the dense layers after them are fine-tuned with pycore's SGD, starting from the shipped
weights every time, on a mix of

  - the user's examples, each as COPIES small random distortions (shift, rotation, scale) of
    the 28x28 the network saw, so that what is learned is the style and not one drawing, and
  - a replay sample of MNIST training images whose targets are the shipped network's own
    answers (distillation, ``distil``), so that the other digits, and everyone else's way of
    writing the taught one, are not forgotten: the replay asks the adapted network to keep
    answering as the shipped one did, which holds it closer than the bare labels, and it
    carries most of each step's loss (``replay_share``).

The frozen part's output (up to the layer ``frozen_up_to``) of every replay image and of every
example's copies is computed once and cached: a teaching step is then ``steps`` small dense
forward/backward passes, cheap enough for the browser. Adapting always restarts from the shipped weights with
randomness drawn from (seed, number of examples) and each example's copies from (seed, its
position), so the same examples give the same network, bit for bit: the page rebuilds the
adapted network from stored examples, and ``forget`` simply returns to the shipped one.

Why fine-tuning: it generalises from a few examples to fresh drawings of the style (the
distortions teach the style, not the drawing), and the adapted network is an ordinary
``Classifier``, so the page's prediction, layer views and packed answer need no change. A
nearest-neighbour vote on the features (alone or blended) is not measured yet: docs/teaching.md.
"""
import time

import numpy as np

from .inference import Classifier
from .layers import Dense
from .network import Network
from .optim import SGD
from .products import matmul

SETTINGS = {
    "frozen_up_to": "flatten",  # the last frozen layer: the dense layers after it learn
    "copies": 8,            # distorted copies of each example (the first is the example itself)
    "degrees": 10.0,        # copies rotated by U(+-degrees)
    "scale": 0.1,           # scaled by 1 + U(+-scale)
    "shift": 2.0,           # shifted by U(+-shift) pixels
    "steps": 30,            # SGD steps per adaptation
    "batch": 32,            # examples' copies per step
    "replay_batch": 32,     # replay images per step
    "replay_share": 0.8,    # of each step's loss, the replay images' share
    "distil": 1.0,          # replay targets: (1 - distil) * label + distil * the shipped answer
    "lr": 0.01,
    "momentum": 0.9,
}


def check_example(image, label):
    """The example as (28, 28) float32, or ValueError saying what is wrong."""
    image = np.asarray(image)
    if image.shape != (28, 28):
        raise ValueError(f"an example is a (28, 28) image, got shape {image.shape}")
    image = image.astype(np.float32)
    if not np.isfinite(image).all():
        raise ValueError("an example's pixels must be finite numbers (NaN or infinity found)")
    if image.min() < 0 or image.max() > 1:
        raise ValueError(f"an example's pixels lie in [0, 1], got {image.min():g}..{image.max():g}")
    if isinstance(label, bool) or not isinstance(label, (int, np.integer)) or not 0 <= label <= 9:
        raise ValueError(f"a label is a digit 0-9, got {label!r}")
    return image, int(label)


def distorted(image, n, rng, degrees, scale, shift):
    """(n, 28, 28): ``image`` first, then n - 1 copies rotated, scaled and shifted at random
    about the centre, read with bilinear interpolation (zero outside)."""
    size = image.shape[0]
    centre = (size - 1) / 2
    angle = np.radians(rng.uniform(-degrees, degrees, n - 1))
    zoom = 1 + rng.uniform(-scale, scale, n - 1)
    move = rng.uniform(-shift, shift, (n - 1, 2))
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float64) - centre           # (28, 28) each
    c, s = (np.cos(angle) / zoom)[:, None, None], (np.sin(angle) / zoom)[:, None, None]
    r, q = rows[None] - move[:, 0, None, None], cols[None] - move[:, 1, None, None]
    src_r, src_c = c * r - s * q + centre, s * r + c * q + centre              # (n-1, 28, 28): where to read
    padded = np.pad(image, 1)
    r0, c0 = np.floor(src_r), np.floor(src_c)
    fr, fc = src_r - r0, src_c - c0
    r0 = np.clip(r0.astype(np.int64) + 1, 0, size + 1)
    c0 = np.clip(c0.astype(np.int64) + 1, 0, size + 1)
    r1, c1 = np.clip(r0 + 1, 0, size + 1), np.clip(c0 + 1, 0, size + 1)
    copies = ((padded[r0, c0] * (1 - fc) + padded[r0, c1] * fc) * (1 - fr)
              + (padded[r1, c0] * (1 - fc) + padded[r1, c1] * fc) * fr)
    return np.concatenate([image[None], copies.astype(np.float32)])


class Head:
    """The layers after ``frozen_up_to``, with their own copies of the weights: forward and
    backward on cached features, every product through products.matmul (no BLAS in the browser)."""

    def __init__(self, layers):
        self.layers = layers                       # [(name, layer)] Dense and ReLU only
        self.params = {f"{name}.{key}": value.copy()
                       for name, layer in layers for key, value in layer.params.items()}

    def loss(self, features, targets, weights):
        """sum(weights * cross-entropy) of a batch and the gradient of every parameter;
        ``targets`` (B,) labels or (B, 10) target distributions."""
        x, caches = features, []
        for name, layer in self.layers:
            caches.append(x)
            if isinstance(layer, Dense):
                x = matmul(x, self.params[f"{name}.W"]) + self.params[f"{name}.b"]
            else:
                x = np.maximum(x, 0)
        if targets.ndim == 1:
            targets = np.eye(x.shape[1], dtype=x.dtype)[targets]
        z = x - x.max(axis=1, keepdims=True)
        log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))          # (B, 10)
        losses = -(targets * log_probs).sum(axis=1)
        dout = (np.exp(log_probs) - targets) * weights[:, None]                # d(sum w * loss)/dlogits
        grads = {}
        for i in range(len(self.layers) - 1, -1, -1):
            name, layer = self.layers[i]
            inp = caches[i]
            if isinstance(layer, Dense):
                grads[f"{name}.W"] = matmul(np.ascontiguousarray(inp.T), dout)
                grads[f"{name}.b"] = dout.sum(axis=0)
                if i:
                    dout = matmul(dout, np.ascontiguousarray(self.params[f"{name}.W"].T))
            else:
                dout = dout * (inp > 0)
        return float((losses * weights).sum()), grads

    def mean_loss(self, features, labels):
        return self.loss(features, labels, np.full(len(labels), 1 / len(labels), np.float32))[0]


class Tutor:
    """A Classifier that learns a user's examples on top of the shipped weights."""

    def __init__(self, classifier, replay_images, replay_labels, seed=0, **settings):
        unknown = set(settings) - set(SETTINGS)
        if unknown:
            raise ValueError(f"unknown teaching setting(s): {', '.join(sorted(unknown))}")
        self.shipped, self.seed, self.settings = classifier, seed, {**SETTINGS, **settings}
        names = [name for name, _ in classifier.net.layers]
        self.split = names.index(self.settings["frozen_up_to"]) + 1
        self.replay_images = np.asarray(replay_images, np.float32)
        self.replay_labels = np.asarray(replay_labels, np.int64)
        self._replay_features = self._replay_targets = None   # computed at the first adaptation
        self.images, self.labels, self._copies = [], [], []
        self._classifier = classifier

    # -- what the page reads -----------------------------------------------------------
    @property
    def classifier(self):
        """The Classifier to predict with: the shipped one while there are no examples."""
        return self._classifier

    @property
    def count(self):
        return len(self.images)

    # -- teaching ----------------------------------------------------------------------
    def teach(self, image, label):
        """Add one example and adapt at once; returns {"count", "loss_before", "loss_after", "ms"}
        (the losses: mean cross-entropy on the examples as drawn, before and after)."""
        image, label = check_example(image, label)
        start = time.perf_counter()
        self.images.append(image)
        self.labels.append(label)
        self._copies.append(self._features_of_copies(image, len(self.images) - 1))
        return self._adapt(start)

    def set_examples(self, images, labels):
        """Replace every example (a reload, an import, one removed) and adapt from the shipped weights."""
        if len(images) != len(labels):
            raise ValueError(f"{len(images)} images but {len(labels)} labels")
        checked = [check_example(image, label) for image, label in zip(images, labels, strict=True)]
        start = time.perf_counter()
        self.images = [image for image, _ in checked]
        self.labels = [label for _, label in checked]
        self._copies = [self._features_of_copies(image, i) for i, image in enumerate(self.images)]
        return self._adapt(start)

    def forget(self):
        """Back to the shipped network, exactly: no examples."""
        self.images, self.labels, self._copies = [], [], []
        self._classifier = self.shipped

    # -- checks ------------------------------------------------------------------------
    def leave_one_out(self):
        """(right, total): each example read by a network adapted on all the others."""
        right = 0
        for i in range(self.count):
            others = Tutor(self.shipped, self.replay_images, self.replay_labels, self.seed, **self.settings)
            others._replay_features, others._replay_targets = self._replay_features, self._replay_targets
            others.images = self.images[:i] + self.images[i + 1:]
            others.labels = self.labels[:i] + self.labels[i + 1:]
            others._copies = [others._features_of_copies(image, j) for j, image in enumerate(others.images)]
            if others.images:
                others._adapt(time.perf_counter())
            right += int(others.classifier.probabilities(self.images[i][None])[0].argmax() == self.labels[i])
        return right, self.count

    def score(self, images, labels):
        """(right, total) of the current classifier on labelled (N, 28, 28) images in [0, 1]."""
        images, labels = np.asarray(images, np.float32), np.asarray(labels)
        predicted = np.concatenate([self._classifier.probabilities(images[i:i + 500]).argmax(axis=1)
                                    for i in range(0, len(images), 500)]) if len(images) else np.zeros(0)
        return int((predicted == labels).sum()), len(labels)

    # -- the adaptation ----------------------------------------------------------------
    def _features_of_copies(self, image, position):
        s = self.settings
        rng = np.random.default_rng([self.seed, position, 1])
        copies = distorted(image, s["copies"], rng, s["degrees"], s["scale"], s["shift"])
        return self.shipped.features(copies, s["frozen_up_to"])

    def _adapt(self, start):
        if not self.images:
            self._classifier = self.shipped
            return {"count": 0, "loss_before": None, "loss_after": None, "ms": 0.0}
        s = self.settings
        if self._replay_features is None:
            self._replay_features = self.shipped.features(self.replay_images, s["frozen_up_to"])
            answers = self.shipped.probabilities(self.replay_images).astype(np.float32)
            labels = np.eye(10, dtype=np.float32)[self.replay_labels]
            self._replay_targets = (1 - s["distil"]) * labels + s["distil"] * answers
        head = Head(self.shipped.net.layers[self.split:])
        own = np.concatenate(self._copies)                                       # (count * copies, D)
        own_labels = np.repeat(np.array(self.labels, np.int64), s["copies"])
        as_drawn, drawn_labels = own[::s["copies"]], own_labels[::s["copies"]]   # each example's first copy
        before = head.mean_loss(as_drawn, drawn_labels)
        own_targets = np.eye(10, dtype=np.float32)[own_labels]
        rng = np.random.default_rng([self.seed, self.count, 2])
        optimiser = SGD(head.params, momentum=s["momentum"])
        mine_share = 1 - s["replay_share"]
        weights = np.concatenate([np.full(s["batch"], mine_share / s["batch"]),
                                  np.full(s["replay_batch"], s["replay_share"] / s["replay_batch"])]).astype(np.float32)
        for _ in range(s["steps"]):
            mine = rng.integers(0, len(own), s["batch"])
            theirs = rng.integers(0, len(self._replay_features), s["replay_batch"])
            batch = np.concatenate([own[mine], self._replay_features[theirs]])
            targets = np.concatenate([own_targets[mine], self._replay_targets[theirs]])
            _, grads = head.loss(batch, targets, weights)
            optimiser.step(head.params, grads, s["lr"])
        after = head.mean_loss(as_drawn, drawn_labels)
        self._classifier = Classifier(self._adapted_network(head.params), self.shipped.metadata)
        return {"count": self.count, "loss_before": before, "loss_after": after,
                "ms": (time.perf_counter() - start) * 1e3}

    def _adapted_network(self, head_params):
        """The shipped network's layers up to ``frozen_up_to`` (shared: nothing writes them), then
        new Dense layers holding ``head_params``."""
        layers = list(self.shipped.net.layers[:self.split])
        for name, layer in self.shipped.net.layers[self.split:]:
            if isinstance(layer, Dense):
                D, M = layer.params["W"].shape
                layer = Dense(D, M, initialise=False)
                layer.params = {"W": head_params[f"{name}.W"], "b": head_params[f"{name}.b"]}
            layers.append((name, layer))
        return Network(layers)
