"""Training the network from scratch in the page ("Train it yourself"), in short slices.

The page's training worker makes a ``Session`` from the MNIST training file
(``data/mnist-train.npz``) and the scoring set (``data/mnist-check.npz``), then calls
``train(seconds)`` again and again, so that between slices it can answer messages (pause,
new settings, the network's weights for the drawing box). Each step is the same pycore
code that trained the shipped model under CPython: ``Network.forward``/``backward``,
``softmax_cross_entropy`` and ``optim.SGD``; only the batches differ (plain images,
no distortions, a constant learning rate that the user sets).

Everything the page shows comes from here: images trained on, images per second over the
last few seconds, the loss of each slice, the accuracy on the scoring set and which of its
images are right, and the first layer's filters.
"""
import time
from collections import deque

import numpy as np

from . import weights
from .inference import Classifier
from .layers import softmax_cross_entropy
from .network import build_network
from .optim import SGD

# name: (default, lowest, highest, what the page calls it). Outside the range a setting is
# refused with a message (SettingsError), never clipped.
SETTINGS = {
    "lr": (0.01, 0.0001, 1.0, "learning rate"),
    "batch_size": (64, 8, 512, "batch size"),
    "momentum": (0.9, 0.0, 0.99, "momentum"),
}
RATE_WINDOW = 3.0        # seconds: images per second is measured over the last few slices
EVALUATION_BATCH = 250   # images per forward pass when scoring


class SettingsError(ValueError):
    """A training setting the page cannot use; the message says which and why."""


def check_settings(settings, current=None):
    """{"lr": ..., "batch_size": ..., "momentum": ...} (any of them; the rest from ``current``
    or the defaults) -> the full, checked settings. Raises SettingsError naming the first
    setting that is not a number in its range (batch size: a whole number)."""
    merged = {name: default for name, (default, *_) in SETTINGS.items()}
    merged.update(current or {})
    for name, value in dict(settings).items():
        if name not in SETTINGS:
            raise SettingsError(f"unknown training setting {name!r} (known: {', '.join(SETTINGS)})")
        _, low, high, what = SETTINGS[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            raise SettingsError(f"the {what} must be a number, got {value!r}")
        if name == "batch_size":
            if value != int(value):
                raise SettingsError(f"the {what} must be a whole number, got {value}")
            value = int(value)
        else:
            value = float(value)
        if not low <= value <= high:
            raise SettingsError(f"the {what} must be between {low:g} and {high:g}, got {value:g}")
        merged[name] = value
    return merged


class Session:
    """A freshly initialised network of the shipped architecture, trained by SGD.

    ``images`` (N, 28, 28) uint8 with ``labels`` (N,): what it trains on, in a new shuffled
    order each epoch; ``check_images``/``check_labels`` the same for the scoring set.
    ``seed`` fixes the initial weights, the order and the dropout masks; ``clock`` is
    time.perf_counter (a test may pass its own).
    """

    def __init__(self, images, labels, check_images, check_labels, seed=0, settings=None,
                 clock=time.perf_counter):
        if len(images) != len(labels) or len(check_images) != len(check_labels):
            raise ValueError("every image needs its label")
        if len(images) == 0 or len(check_images) == 0:
            raise ValueError("training needs images to train on and images to score")
        self.images, self.labels = images, np.asarray(labels).astype(np.intp)
        self.check_images, self.check_labels = check_images, np.asarray(check_labels).astype(np.intp)
        self.settings = check_settings(settings or {})
        self.net = build_network(seed)
        self.optimiser = SGD(self.net.params, momentum=self.settings["momentum"])
        self.rng = np.random.default_rng(seed)
        norm = weights.MNIST_NORMALISATION
        self.normalisation = dict(norm)
        self._scale = np.float32(1 / (255 * norm["std"]))
        self._shift = np.float32(norm["mean"] / norm["std"])
        self.images_seen = 0
        self.epoch = 0
        self._order, self._cursor = np.zeros(0, np.intp), 0
        self._clock = clock
        self._rates = deque()          # (time, images_seen) at the end of recent slices
        self.last_accuracy = None

    # -- settings ---------------------------------------------------------------------
    def configure(self, **settings):
        """Change any of SETTINGS from the next batch on; returns the full settings.
        A refused setting (SettingsError) changes nothing."""
        self.settings = check_settings(settings, self.settings)
        self.optimiser.momentum = self.settings["momentum"]
        return dict(self.settings)

    # -- training ---------------------------------------------------------------------
    def normalise(self, raw):
        """(B, 28, 28) uint8 -> the network's input (B, 28, 28, 1) float32."""
        x = raw.astype(np.float32)
        x *= self._scale
        x -= self._shift
        return x[..., None]

    def next_batch(self):
        """The indices of the next batch: whole batches from a fresh permutation each epoch."""
        size = self.settings["batch_size"]
        if self._cursor + size > len(self._order):
            self._order = self.rng.permutation(len(self.labels))
            self._cursor = 0
            self.epoch += 1
        idx = self._order[self._cursor:self._cursor + size]
        self._cursor += size
        return np.sort(idx)

    def step(self, idx):
        """One SGD step on the training images ``idx``; returns the batch's mean loss."""
        x = self.normalise(self.images[idx])
        logits, caches = self.net.forward(x, training=True, rng=self.rng)
        loss, dlogits = softmax_cross_entropy(logits, self.labels[idx])
        grads = self.net.backward(dlogits, caches)
        self.optimiser.step(self.net.params, grads, self.settings["lr"])
        self.images_seen += len(idx)
        return loss

    def train(self, seconds):
        """Whole batches until ``seconds`` have passed (at least one batch); returns
        ``progress`` with this slice's mean loss. A loss that is no longer finite (a learning
        rate far too high) raises FloatingPointError: the page says so and stops."""
        start = self._clock()
        losses = []
        while True:
            losses.append(self.step(self.next_batch()))
            if self._clock() - start >= seconds:
                break
        loss = float(np.mean(losses))
        if not np.isfinite(loss):
            raise FloatingPointError(f"the loss became {loss}: the learning rate "
                                     f"{self.settings['lr']:g} is too high for this network")
        now = self._clock()
        self._rates.append((now, self.images_seen))
        while len(self._rates) > 2 and now - self._rates[1][0] >= RATE_WINDOW:
            self._rates.popleft()
        return {**self.progress(), "loss": loss, "batches": len(losses)}

    def rate(self):
        """Images per second over the last few seconds (0 before two slices)."""
        if len(self._rates) < 2:
            return 0.0
        (t0, n0), (t1, n1) = self._rates[0], self._rates[-1]
        return (n1 - n0) / (t1 - t0) if t1 > t0 else 0.0

    def progress(self):
        """{"images": trained on so far, "epoch": passes begun over the training images,
        "rate": images per second lately, "accuracy": at the last evaluation or None}."""
        return {"images": self.images_seen, "epoch": self.epoch, "rate": self.rate(),
                "accuracy": self.last_accuracy}

    # -- what the page shows ----------------------------------------------------------
    def evaluate(self):
        """Score the network (dropout off) on the scoring set: {"accuracy": 0..1,
        "right": (M,) uint8, 1 where the answer is the label}."""
        right = np.empty(len(self.check_labels), np.uint8)
        for i in range(0, len(right), EVALUATION_BATCH):
            logits, _ = self.net.forward(self.normalise(self.check_images[i:i + EVALUATION_BATCH]))
            right[i:i + EVALUATION_BATCH] = logits.argmax(axis=1) == self.check_labels[i:i + EVALUATION_BATCH]
        self.last_accuracy = float(right.mean())
        return {"accuracy": self.last_accuracy, "right": right}

    def filters(self):
        """The first convolution's 20 filters as they are now, (20, 5, 5) float32."""
        return self.classifier().kernels()

    def classifier(self):
        """The network being trained, as a Classifier (it shares the live weights)."""
        return Classifier(self.net, {"normalisation": self.normalisation})

    def weights_bytes(self):
        """The network as a weights file (pycore.weights), for the drawing box's worker."""
        return weights.to_bytes(self.net, {"trained_in": "page", "images": self.images_seen,
                                           "settings": dict(self.settings)})
