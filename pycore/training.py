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

    Data-parallel training: ``parts`` sessions made alike but for ``part`` (0 .. parts-1),
    one per worker, each compute the gradient of their share of every batch (``share``), pass
    it to the others, and all take the same step with the mean (``combine``): the same
    weights everywhere, as one session would train with the whole batch (up to float
    rounding, and the dropout masks, which each part draws for its own images).
    """

    def __init__(self, images, labels, check_images, check_labels, seed=0, settings=None,
                 clock=time.perf_counter, part=0, parts=1):
        if len(images) != len(labels) or len(check_images) != len(check_labels):
            raise ValueError("every image needs its label")
        if len(images) == 0 or len(check_images) == 0:
            raise ValueError("training needs images to train on and images to score")
        if not 0 <= part < parts:
            raise ValueError(f"part {part} of {parts}: parts are numbered 0 to {parts - 1}")
        self.images, self.labels = images, np.asarray(labels).astype(np.intp)
        self.check_images, self.check_labels = check_images, np.asarray(check_labels).astype(np.intp)
        self.settings = check_settings(settings or {})
        if self.settings["batch_size"] < parts:
            raise SettingsError(f"a batch of {self.settings['batch_size']} cannot be shared by {parts} workers")
        self.part, self.parts = part, parts
        self.net = build_network(seed)
        self.optimiser = SGD(self.net.params, momentum=self.settings["momentum"])
        self.order_rng = np.random.default_rng(seed)            # the same in every part
        self.rng = np.random.default_rng([seed, part])          # dropout: each part its own
        norm = weights.MNIST_NORMALISATION
        self.normalisation = dict(norm)
        self._scale = np.float32(1 / (255 * norm["std"]))
        self._shift = np.float32(norm["mean"] / norm["std"])
        self.images_seen = 0
        self.epoch = 0
        self._order, self._cursor = np.zeros(0, np.intp), 0
        self._batch = None
        self._clock = clock
        self._rates = deque()          # (time, images_seen) at the end of recent slices
        self._losses = []              # each step's loss since the last mark
        self.last_accuracy = None
        self._names = list(self.net.params)

    # -- settings ---------------------------------------------------------------------
    def configure(self, **settings):
        """Change any of SETTINGS from the next batch on; returns the full settings.
        A refused setting (SettingsError) changes nothing."""
        settings = check_settings(settings, self.settings)
        if settings["batch_size"] < self.parts:
            raise SettingsError(f"a batch of {settings['batch_size']} cannot be shared by {self.parts} workers")
        self.settings = settings
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
            self._order = self.order_rng.permutation(len(self.labels))
            self._cursor = 0
            self.epoch += 1
        idx = self._order[self._cursor:self._cursor + size]
        self._cursor += size
        return np.sort(idx)

    def share(self):
        """This part's share of the next batch: its gradients and loss as one flat float32
        vector (every parameter's gradient in ``net.params`` order, then the share's summed
        loss and its image count), for ``combine`` here and in the other parts."""
        batch = self.next_batch()
        self._batch = len(batch)
        idx = batch[self.part::self.parts]
        logits, caches = self.net.forward(self.normalise(self.images[idx]), training=True, rng=self.rng)
        loss, dlogits = softmax_cross_entropy(logits, self.labels[idx])
        grads = self.net.backward(dlogits * np.float32(len(idx)), caches)     # summed, not averaged
        return np.concatenate([grads[name].ravel() for name in self._names]
                              + [np.array([loss * len(idx), len(idx)], np.float32)], dtype=np.float32)

    def combine(self, shares):
        """One SGD step with the mean gradient of every part's ``share`` of the batch (in part
        order, this part's among them); returns the batch's mean loss."""
        arrays = [share if isinstance(share, np.ndarray) else np.frombuffer(share, np.float32) for share in shares]
        if len(arrays) != self.parts or any(a.shape != arrays[0].shape for a in arrays):
            raise ValueError(f"combine takes {self.parts} shares of the same size")
        total = arrays[0]
        for other in arrays[1:]:
            total = total + other            # in part order everywhere: the same sum in every part
        count = float(total[-1])
        if self._batch is None or count != self._batch:
            raise ValueError(f"the shares hold {count:g} images, the batch {self._batch}")
        grads, at = {}, 0
        for name, param in self.net.params.items():
            grads[name] = total[at:at + param.size].reshape(param.shape) / np.float32(count)
            at += param.size
        self.optimiser.step(self.net.params, grads, self.settings["lr"])
        self.images_seen += self._batch
        self._batch = None
        loss = float(total[-2]) / count
        self._losses.append(loss)
        return loss

    def step(self):
        """One SGD step on the next batch (one part); returns the batch's mean loss."""
        return self.combine([self.share()])

    def mark(self):
        """The end of a slice: ``progress`` with the mean loss since the last mark. A loss
        that is no longer finite (a learning rate far too high) raises FloatingPointError:
        the page says so and stops."""
        loss = float(np.mean(self._losses)) if self._losses else float("nan")
        self._losses = []
        if not np.isfinite(loss):
            raise FloatingPointError(f"the loss became {loss}: the learning rate "
                                     f"{self.settings['lr']:g} is too high for this network")
        now = self._clock()
        self._rates.append((now, self.images_seen))
        while len(self._rates) > 2 and now - self._rates[1][0] >= RATE_WINDOW:
            self._rates.popleft()
        return {**self.progress(), "loss": loss}

    def train(self, seconds):
        """Whole batches (one part) until ``seconds`` have passed, at least one; returns
        ``mark``'s progress with this slice's mean loss and its batch count."""
        start = self._clock()
        batches = 0
        while True:
            self.step()
            batches += 1
            if self._clock() - start >= seconds:
                break
        return {**self.mark(), "batches": batches}

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
        """Score the network (dropout off) on the whole scoring set: {"accuracy": 0..1,
        "right": (M,) uint8, 1 where the answer is the label}."""
        return self._scored(self._right(0, len(self.check_labels)))

    def score_share(self):
        """This part's share of scoring: the right flags (uint8) of its contiguous slice of
        the scoring set (all of it alone), for ``scored`` in the leading part."""
        count = len(self.check_labels)
        return self._right(count * self.part // self.parts, count * (self.part + 1) // self.parts)

    def scored(self, shares):
        """Every part's ``score_share``, in part order -> what ``evaluate`` returns."""
        right = np.concatenate([share if isinstance(share, np.ndarray) else np.frombuffer(share, np.uint8)
                                for share in shares])
        if len(shares) != self.parts or len(right) != len(self.check_labels):
            raise ValueError(f"scored takes {self.parts} shares of {len(self.check_labels)} flags in all")
        return self._scored(right)

    def _right(self, start, stop):
        right = np.empty(stop - start, np.uint8)
        for i in range(start, stop, EVALUATION_BATCH):
            end = min(i + EVALUATION_BATCH, stop)
            logits, _ = self.net.forward(self.normalise(self.check_images[i:end]))
            right[i - start:end - start] = logits.argmax(axis=1) == self.check_labels[i:end]
        return right

    def _scored(self, right):
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
