"""Teach the network a user's handwriting: a few drawn examples adapt it at once.

The method: the convolutions and dense1 stay as shipped (the convolutions see strokes, which
every writer shares); the layers after ``frozen_up_to`` (by default dense2 alone: in the browser,
without BLAS, a step through dense1 cost ~19 ms, 60 steps of dense2 alone cost less than one)
are fine-tuned with pycore's SGD, starting from the shipped weights every time, on a mix of

  - the user's examples, each as COPIES small random distortions (shift, rotation, scale) of
    the 28x28 the network saw, so that what is learned is the style and not one drawing, and
  - a replay sample of MNIST training images whose targets are the shipped network's own
    answers (distillation, ``distil``), so that the other digits, and everyone else's way of
    writing the taught one, are not forgotten: the replay asks the adapted network to keep
    answering as the shipped one did, which holds it closer than the bare labels, and it
    carries most of each step's loss (``replay_share``). With ``near_replay``, a share of each
    step's replay images is drawn from those nearest the examples (the MNIST 0s nearest a taught
    round 6), so that the adapted network keeps the shipped answers where a taught style is
    most easily confused with another digit.

The frozen part's output of every replay image and of every example's copies is computed once
and cached (at ``flatten``, the gate's space, and, through the frozen dense1, at ``relu3``, what
dense2 learns from): a teaching step is then ``steps`` small forward/backward passes of dense2,
cheap enough for the browser. Adapting always restarts from the shipped weights with
randomness drawn from (seed, number of examples) and each example's copies from (seed, its
pixels), so the same examples give the same network, bit for bit: the page rebuilds the
adapted network from stored examples, and ``forget`` simply returns to the shipped one.

The gate: the adapted network answers only near what was taught. For an input, the cosine
similarity of its frozen (640-d) features to the nearest of the examples' copies gives a weight
w, 1 from ``gate_near`` up, 0 from ``gate_far`` down, linear between, and the probabilities are
w * adapted + (1 - w) * shipped (``GatedClassifier``). Fine-tuning alone learned the styles but
moved answers far from them (MNIST and the plain drawn digits lost up to half a point and three
points); the gate keeps the shipped answer, exactly, for inputs unlike every example. A second
condition (``gate_contrast="replay"``, ReplayContrast) scales w towards 0 where the input is
not nearer a taught copy of the class the adapted network says than every replay image of the
class the shipped network says: a plain 0 that sits as near a taught round 6 as fresh round 6s
do stays a 0 when MNIST 0s are nearer still. The settings were chosen on validation seeds
and training images 45,000-49,999; the nearest-neighbour vote in place of the adapted network
was measured too and held MNIST worse. docs/teaching.md has the sweep.

Why fine-tuning: it generalises from a few examples to fresh drawings of the style (the
distortions teach the style, not the drawing), and the gated classifier keeps Classifier's API,
so the page's prediction, layer views and packed answer need no change.

In the browser the replay (and check) images' frozen features, a conv pass each, are computed
a few at a time by ``prepare``, so no one call blocks for long.
"""
import hashlib
import time

import numpy as np

from .inference import SHOWN_LAYERS, Classifier
from .layers import Dense, softmax
from .network import Network
from .novelty import LAYER as NOVELTY_LAYER
from .optim import SGD
from .products import matmul

SETTINGS = {
    "frozen_up_to": "relu3",    # the last frozen layer: the dense layers after it learn; the
                                # features cached are this layer's or gate_space's, the earlier
    "copies": 8,            # distorted copies of each example (the first is the example itself)
    "degrees": 10.0,        # copies rotated by U(+-degrees)
    "scale": 0.1,           # scaled by 1 + U(+-scale)
    "shift": 2.0,           # shifted by U(+-shift) pixels
    "steps": 60,            # SGD steps per adaptation
    "batch": 32,            # examples' copies per step
    "replay_batch": 32,     # replay images per step
    "replay_share": 0.8,    # of each step's loss, the replay images' share
    "near_replay": 100,     # the replay images nearest any example as drawn (cosine, the gate's space; at
    "near_replay_share": 0.25,  # most all) fill this share of each step's replay batch (near_replay 0: none)
    "distil": 1.0,          # replay targets: (1 - distil) * label + distil * the shipped answer
    "lr": 0.01,
    "momentum": 0.9,
    # the gate: where the adapted network answers (GatedClassifier)
    "gate_space": "flatten",     # nearness on this shipped layer's output: "flatten" (640-d) or "relu3" (256-d)
    "gate_reference": "copies",  # nearest of each example's "copies", or of the examples as "drawn" only
    "gate_near": 0.9,            # cosine similarity from which the adapted network answers alone (w = 1)
    "gate_far": 0.75,            # and at or below which the shipped one does (w = 0); linear between
    "near_answer": "adapted",    # near an example: the "adapted" network, or the "nearest" example's label
    # and, with gate_contrast "replay", only where the input is nearer a taught copy of the class
    # the adapted network says than any replay image of the class the shipped one says: w times
    # 1 from (taught - replay similarity) >= contrast_margin + contrast_width up, 0 at the margin
    "gate_contrast": "replay",   # "replay" or "none"
    "contrast_margin": 0.0,
    "contrast_width": 0.05,      # 0: a hard step at the margin
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


def run_layers(layers, x):
    """x through (name, layer) pairs, dropout off: the output and {name: each layer's output}."""
    outputs = {}
    for name, layer in layers:
        x, _ = layer.forward(x)
        outputs[name] = x
    return x, outputs


def unit_rows(x):
    """(N, D) rows scaled to length 1 (a zero row stays zero): cosine similarity is then a product."""
    x = x.reshape(len(x), -1)
    return x / np.maximum(np.sqrt((x * x).sum(axis=1, keepdims=True)), np.float32(1e-12))


class Gate:
    """How much the adapted network answers for an input: w in [0, 1] from the cosine similarity,
    in the space ``layers`` map the frozen features to, between the input and its nearest taught
    reference (an example as drawn, or any of its copies): w = 1 from ``near`` up, 0 at ``far`` and
    below, linear between (near == far: a hard threshold at it); with a ``contrast``
    (ReplayContrast), w times its factor."""

    def __init__(self, layers, references, labels, near, far, contrast=None):
        if far > near:
            raise ValueError(f"the gate's far similarity ({far}) lies above its near one ({near})")
        self.layers, self.near, self.far, self.contrast = layers, near, far, contrast
        self.references = unit_rows(self.space(references))                # (R, S)
        self.reference_t = np.ascontiguousarray(self.references.T)        # (S, R)
        self.labels = np.asarray(labels, np.int64)                        # (R,)

    def space(self, features):
        """(N, D) frozen features -> (N, S): where nearness is measured."""
        return run_layers(self.layers, features)[0]

    def nearest(self, features):
        """(N, D) frozen features -> (similarity (N,) float32, the nearest reference's label (N,))."""
        return self._nearest(unit_rows(self.space(features)))

    def _nearest(self, space):
        similarity = matmul(space, self.reference_t)                               # (N, R)
        best = similarity.argmax(axis=1)
        return similarity[np.arange(len(best)), best].astype(np.float32), self.labels[best]

    def weights(self, features, adapted_class, shipped_class):
        """(w (N,), the nearest reference's label (N,)) for (N, D) frozen features and each
        head's answer."""
        space = unit_rows(self.space(features))
        similarity, label = self._nearest(space)
        w = self.weight(similarity)
        if self.contrast is not None:
            w = w * self.contrast.factor(self, space, adapted_class, shipped_class)
        return w, label

    def weight(self, similarity):
        if self.near == self.far:
            return (similarity >= self.near).astype(np.float32)
        return np.clip((similarity - self.far) / (self.near - self.far), 0, 1).astype(np.float32)

    def nearest_of_class(self, space, references_t, labels, classes):
        """(N,) the cosine similarity of each unit row of ``space`` to the nearest of the
        ``references_t`` columns whose label is that row's entry of ``classes``; -1 if none."""
        best = np.full(len(space), -1, np.float32)
        for digit in np.unique(classes):
            rows, columns = np.flatnonzero(classes == digit), np.flatnonzero(labels == digit)
            if len(columns):
                block = matmul(space[rows], np.ascontiguousarray(references_t[:, columns]))
                best[rows] = block.max(axis=1)
        return best


class ReplayContrast:
    """The gate's second condition: the adapted network may answer class a where the shipped
    one says s only if the input is nearer (cosine, in the gate's space) to a taught copy of a
    than to every replay image of s, by ``margin``: a factor 0 at taught - replay <= margin, 1
    from margin + width up, linear between (width 0: a step). It keeps a plain 0 that sits
    near a taught round 6 on the shipped answer when plain MNIST 0s are nearer still."""

    def __init__(self, replay_space, replay_labels, margin, width):
        if width < 0:
            raise ValueError(f"the contrast's width is at least 0, not {width}")
        self.replay_t = np.ascontiguousarray(unit_rows(replay_space).T)       # (S, R)
        self.labels = np.asarray(replay_labels, np.int64)
        self.margin, self.width = margin, width

    def factor(self, gate, space, adapted_class, shipped_class):
        """(N,) in [0, 1] for unit rows ``space`` (N, S) and each head's answer (N,)."""
        taught = gate.nearest_of_class(space, gate.reference_t, gate.labels, adapted_class)
        replay = gate.nearest_of_class(space, self.replay_t, self.labels, shipped_class)
        lead = taught - replay - self.margin
        if self.width == 0:
            return (lead >= 0).astype(np.float32)
        return np.clip(lead / self.width, 0, 1).astype(np.float32)


class GatedClassifier(Classifier):
    """The Classifier the page predicts with once there are examples: probabilities
    w * adapted + (1 - w) * shipped, w from ``gate`` (1 near a taught example, 0 far from all),
    so that inputs unlike anything taught get the shipped network's answer exactly.

    ``net`` is the adapted network (the shipped convolutions, the fine-tuned dense layers), so
    ``kernels``, ``map_shapes`` and ``packed_layout`` are Classifier's; ``classify`` runs the
    convolutions once for both heads. Its activations show the dense1 of whichever network the
    gate mostly chose (the adapted one when w >= 0.5); the convolutions are the same in both.
    With ``near_answer="nearest"`` the near side is the nearest reference's label (a
    nearest-neighbour vote) instead of the adapted network, for comparison.
    """

    def __init__(self, shipped, adapted_net, split, gate, near_answer="adapted"):
        super().__init__(adapted_net, shipped.metadata)
        self.shipped, self.split, self.gate, self.near_answer = shipped, split, gate, near_answer
        self.frozen_up_to = adapted_net.layers[split - 1][0]
        self.novelty = shipped.novelty

    def probabilities(self, images):
        """(N, 28, 28) images in [0, 1] -> (N, 10) gated class probabilities."""
        return self.from_features(self.shipped.features(images, self.frozen_up_to, batch_size=max(1, len(images))))

    def from_features(self, features):
        """(N, D) frozen features -> (N, 10) gated probabilities."""
        return self.mixed(features)[0]

    def mixed(self, features):
        """(probabilities (N, 10), w (N,), the shipped head's outputs, the adapted head's outputs)."""
        shipped_logits, shipped_outputs = run_layers(self.shipped.net.layers[self.split:], features)
        adapted_logits, adapted_outputs = run_layers(self.net.layers[self.split:], features)
        w, label = self.gate.weights(features, adapted_logits.argmax(axis=1), shipped_logits.argmax(axis=1))
        w = w[:, None]                                                     # (N, 1)
        near = softmax(adapted_logits) if self.near_answer == "adapted" else np.eye(10, dtype=np.float32)[label]
        return w * near + (1 - w) * softmax(shipped_logits), w[:, 0], shipped_outputs, adapted_outputs

    def answer(self, image, activations=False):
        """As Classifier.answer, the probabilities gated; see the class docstring for the layers
        shown and the logits (those of the network the gate mostly chose); the features scored
        for novelty are the shipped network's dense1 (frozen, or the shipped head's), which its
        statistics fit."""
        features, frozen = run_layers(self.net.layers[:self.split], self.normalise(image[None]))
        probabilities, w, shipped_outputs, adapted_outputs = self.mixed(features)
        chosen = adapted_outputs if w[0] >= 0.5 else shipped_outputs
        shown = None
        if activations:
            outputs = {**frozen, **chosen}
            shown = {name: outputs[layer][0] for name, layer in SHOWN_LAYERS.items()}
        dense = {**frozen, **shipped_outputs}[NOVELTY_LAYER][0]
        return probabilities[0], chosen[self.net.layers[-1][0]][0], shown, dense


class FeatureCache:
    """The frozen features of a fixed set of images, computed a few blocks of images per call.

    Always in the same aligned blocks of ``BLOCK`` images: a matrix product's last bits can
    depend on how many rows it is given (BLAS), and the features must not depend on how the
    preparation was spread over calls."""

    BLOCK = 20

    def __init__(self, images):
        self.images = np.asarray(images, np.float32).reshape(-1, 28, 28)
        self.features, self.done = None, 0

    @property
    def remaining(self):
        return len(self.images) - self.done

    def advance(self, classifier, upto, budget):
        """Compute the next blocks' features, ``budget`` images' worth (whole blocks, at least
        one); returns how many images it computed."""
        stop = min(len(self.images), self.done + max(1, budget // self.BLOCK) * self.BLOCK)
        start = self.done
        for first in range(start, stop, self.BLOCK):
            chunk = classifier.features(self.images[first:first + self.BLOCK], upto, batch_size=self.BLOCK)
            if self.features is None:
                self.features = np.empty((len(self.images), *chunk.shape[1:]), chunk.dtype)
            self.features[first:first + len(chunk)] = chunk
        self.done = stop
        return stop - start


class Tutor:
    """A Classifier that learns a user's examples on top of the shipped weights."""

    def __init__(self, classifier, replay_images, replay_labels, seed=0, **settings):
        unknown = set(settings) - set(SETTINGS)
        if unknown:
            raise ValueError(f"unknown teaching setting(s): {', '.join(sorted(unknown))}")
        self.shipped, self.seed, self.settings = classifier, seed, {**SETTINGS, **settings}
        s = self.settings
        names = [name for name, _ in classifier.net.layers]
        trained = names.index(s["frozen_up_to"]) + 1       # the head learns the layers from here
        space = names.index(s["gate_space"]) + 1
        if not trained < len(names) or not space < len(names):
            raise ValueError("frozen_up_to and gate_space must lie before the last layer")
        # the features cached are the earlier of the two layers' outputs; the frozen layers
        # between them (if the gate's space lies before frozen_up_to) run once per cached image
        self.split = min(trained, space)
        self.cached_up_to = names[self.split - 1]
        self.gate_layers = classifier.net.layers[self.split:space]
        self.frozen_layers = classifier.net.layers[self.split:trained]
        self.trained = trained
        if s["near_answer"] not in ("adapted", "nearest") or s["gate_reference"] not in ("copies", "drawn"):
            raise ValueError("near_answer is 'adapted' or 'nearest'; gate_reference 'copies' or 'drawn'")
        if s["gate_contrast"] not in ("none", "replay"):
            raise ValueError("gate_contrast is 'none' or 'replay'")
        if s["near_replay"] < 0 or not 0 <= s["near_replay_share"] <= 1:
            raise ValueError("near_replay is 0 or more replay images and near_replay_share 0 to 1")
        self._contrast = None                             # once the replay features are ready
        self._replay_unit_t = None                        # their unit rows in the gate's space, (S, R), for near_replay
        self._replay = FeatureCache(replay_images)
        self.replay_labels = np.asarray(replay_labels, np.int64)
        self._replay_targets = None                       # once the replay features are ready
        self._replay_inputs = None                        # the head's inputs for them, likewise
        self._check, self._check_labels = FeatureCache(np.zeros((0, 28, 28))), np.zeros(0, np.int64)
        self.images, self.labels, self._copies, self._keys = [], [], [], []
        self._classifier = classifier

    # -- what the page reads -----------------------------------------------------------
    @property
    def classifier(self):
        """The Classifier to predict with: the shipped one itself while there are no examples,
        else a GatedClassifier (the same API)."""
        return self._classifier

    @property
    def count(self):
        return len(self.images)

    # -- preparation: the frozen features of the replay and check images -----------------
    def prepare(self, budget=200):
        """Compute at most ``budget`` images' frozen features (the replay set's, then the check
        set's; in whole blocks of FeatureCache.BLOCK = 20 images, at least one block per call);
        returns how many images remain (0: ready). The page calls it between requests so
        that no one call blocks for long; teach, set_examples and check finish it themselves."""
        if budget < 1:
            raise ValueError(f"prepare's budget is at least one image, not {budget}")
        spent = 0
        for cache in (self._replay, self._check):
            if cache.remaining and (not spent or budget - spent >= FeatureCache.BLOCK):
                spent += cache.advance(self.shipped, self.cached_up_to, budget - spent)
        if self._replay_targets is None and not self._replay.remaining:
            s = self.settings
            logits, outputs = run_layers(self.shipped.net.layers[self.split:], self._replay.features)
            answers = softmax(logits)
            self._replay_inputs = outputs[s["frozen_up_to"]] if self.frozen_layers else self._replay.features
            labels = np.eye(10, dtype=np.float32)[self.replay_labels]
            self._replay_targets = ((1 - s["distil"]) * labels + s["distil"] * answers).astype(np.float32)
            if s["gate_contrast"] == "replay":
                self._contrast = ReplayContrast(run_layers(self.gate_layers, self._replay.features)[0],
                                                self.replay_labels, s["contrast_margin"], s["contrast_width"])
            if s["near_replay"]:
                space = run_layers(self.gate_layers, self._replay.features)[0]
                self._replay_unit_t = np.ascontiguousarray(unit_rows(space).T)
        return self.remaining

    @property
    def remaining(self):
        """Images whose frozen features are still to compute."""
        return self._replay.remaining + self._check.remaining

    def _ready(self):
        while self.prepare(budget=500):
            pass

    # -- teaching ----------------------------------------------------------------------
    def teach(self, image, label):
        """Add one example and adapt at once; returns {"count", "loss_before", "loss_after", "ms"}
        (the losses: mean cross-entropy on the examples as drawn, before and after)."""
        image, label = check_example(image, label)
        start = time.perf_counter()
        self._ready()
        key = content_key(image)
        self._copies.append(self._features_of_copies(image, key))
        self.images.append(image)
        self.labels.append(label)
        self._keys.append(key)
        return self._adapt(start)

    def set_examples(self, images, labels):
        """Replace every example (a reload, an import, one removed) and adapt from the shipped
        weights; examples already held keep their cached copies."""
        if len(images) != len(labels):
            raise ValueError(f"{len(images)} images but {len(labels)} labels")
        checked = [check_example(image, label) for image, label in zip(images, labels, strict=True)]
        start = time.perf_counter()
        self._ready()
        known = dict(zip(self._keys, self._copies, strict=True))
        keys = [content_key(image) for image, _ in checked]
        self._copies = [known[key] if key in known else self._features_of_copies(image, key)
                        for (image, _), key in zip(checked, keys, strict=True)]
        self.images = [image for image, _ in checked]
        self.labels = [label for _, label in checked]
        self._keys = keys
        return self._adapt(start)

    def forget(self):
        """Back to the shipped network, exactly: no examples."""
        self.images, self.labels, self._copies, self._keys = [], [], [], []
        self._classifier = self.shipped

    # -- checks ------------------------------------------------------------------------
    def set_check(self, images, labels):
        """Labelled (N, 28, 28) images in [0, 1] for ``check``; their features are computed
        through ``prepare`` (or by ``check`` itself)."""
        if len(images) != len(labels):
            raise ValueError(f"{len(images)} images but {len(labels)} labels")
        self._check, self._check_labels = FeatureCache(images), np.asarray(labels, np.int64)

    def check(self):
        """(right, total) of the current classifier on the check set, from its cached features."""
        self._ready()
        if not len(self._check_labels):
            return 0, 0
        predicted = self._from_features(self._classifier, self._check.features).argmax(axis=1)
        return int((predicted == self._check_labels).sum()), len(self._check_labels)

    def leave_one_out_at(self, index):
        """Whether example ``index`` is read right by the network (and gate) adapted on all the
        others, as ``set_examples`` of the others would make it; the examples' cached copies serve."""
        if not 0 <= index < self.count:
            raise IndexError(f"no example {index}: there are {self.count}")
        self._ready()
        others = [j for j in range(self.count) if j != index]
        classifier = self._adapted([self._copies[j] for j in others], [self.labels[j] for j in others])[0]
        probabilities = self._from_features(classifier, self._copies[index][0][:1])   # the example as drawn
        return bool(probabilities[0].argmax() == self.labels[index])

    def leave_one_out(self):
        """(right, total): each example read by a network adapted on all the others."""
        return sum(self.leave_one_out_at(i) for i in range(self.count)), self.count

    def score(self, images, labels):
        """(right, total) of the current classifier on labelled (N, 28, 28) images in [0, 1]."""
        images, labels = np.asarray(images, np.float32), np.asarray(labels)
        predicted = np.concatenate([self._classifier.probabilities(images[i:i + 500]).argmax(axis=1)
                                    for i in range(0, len(images), 500)]) if len(images) else np.zeros(0)
        return int((predicted == labels).sum()), len(labels)

    # -- the adaptation ----------------------------------------------------------------
    def _from_features(self, classifier, features):
        if classifier is self.shipped:
            return softmax(run_layers(self.shipped.net.layers[self.split:], features)[0])
        return classifier.from_features(features)

    def _features_of_copies(self, image, key):
        """(the frozen features (copies, D) of the example and its distorted copies, drawn from
        (seed, the example's pixels), so an example's copies do not depend on its position;
        the head's inputs for them; with near_replay, the example's cosine similarity (R,) to
        every replay image in the gate's space, else None)."""
        s = self.settings
        rng = np.random.default_rng([self.seed, *key, 1])
        copies = distorted(image, s["copies"], rng, s["degrees"], s["scale"], s["shift"])
        features = self.shipped.features(copies, self.cached_up_to)
        nearness = None
        if self._replay_unit_t is not None:
            nearness = matmul(unit_rows(run_layers(self.gate_layers, features[:1])[0]), self._replay_unit_t)[0]
        return features, run_layers(self.frozen_layers, features)[0], nearness

    def _near_replay(self, copies):
        """The indices of the near_replay replay images nearest any of the examples (as drawn):
        the MNIST digits a taught style could be confused with, which the replay then shows
        more often so that the adapted network keeps the shipped answers there; None if off."""
        if self._replay_unit_t is None:
            return None
        nearness = np.max([nearness for *_, nearness in copies], axis=0)
        return np.argsort(-nearness, kind="stable")[:self.settings["near_replay"]]

    def _adapt(self, start):
        if not self.images:
            self._classifier = self.shipped
            return {"count": 0, "loss_before": None, "loss_after": None, "ms": 0.0}
        self._classifier, before, after = self._adapted(self._copies, self.labels)
        return {"count": self.count, "loss_before": before, "loss_after": after,
                "ms": (time.perf_counter() - start) * 1e3}

    def _adapted(self, copies, labels):
        """(classifier, loss before, loss after) for examples given as their copies' features:
        the dense layers fine-tuned from the shipped weights with randomness from (seed, how
        many examples), gated by nearness to those examples; no examples: the shipped one."""
        if not copies:
            return self.shipped, None, None
        s = self.settings
        head = Head(self.shipped.net.layers[self.trained:])
        own = np.concatenate([features for features, *_ in copies])             # (count * copies, D)
        inputs = np.concatenate([head_inputs for _, head_inputs, _ in copies])  # the head's, likewise
        own_labels = np.repeat(np.array(labels, np.int64), s["copies"])
        as_drawn, drawn_labels = own[::s["copies"]], own_labels[::s["copies"]]   # each example's first copy
        before = head.mean_loss(inputs[::s["copies"]], drawn_labels)
        own_targets = np.eye(10, dtype=np.float32)[own_labels]
        rng = np.random.default_rng([self.seed, len(copies), 2])
        optimiser = SGD(head.params, momentum=s["momentum"])
        mine_share = 1 - s["replay_share"]
        weights = np.concatenate([np.full(s["batch"], mine_share / s["batch"]),
                                  np.full(s["replay_batch"], s["replay_share"] / s["replay_batch"])]).astype(np.float32)
        replay = self._replay_inputs
        near, near_count = self._near_replay(copies), round(s["replay_batch"] * s["near_replay_share"])
        for _ in range(s["steps"]):
            mine = rng.integers(0, len(own), s["batch"])
            theirs = rng.integers(0, len(replay), s["replay_batch"])
            if near is not None:
                theirs[:near_count] = near[rng.integers(0, len(near), near_count)]
            batch = np.concatenate([inputs[mine], replay[theirs]])
            targets = np.concatenate([own_targets[mine], self._replay_targets[theirs]])
            _, grads = head.loss(batch, targets, weights)
            optimiser.step(head.params, grads, s["lr"])
        after = head.mean_loss(inputs[::s["copies"]], drawn_labels)
        every = s["gate_reference"] == "copies"
        gate = Gate(self.gate_layers, own if every else as_drawn, own_labels if every else drawn_labels,
                    s["gate_near"], s["gate_far"], self._contrast)
        classifier = GatedClassifier(self.shipped, self._adapted_network(head.params), self.split, gate,
                                     s["near_answer"])
        return classifier, before, after

    def _adapted_network(self, head_params):
        """The shipped network's layers up to ``frozen_up_to`` (shared: nothing writes them), then
        new Dense layers holding ``head_params``."""
        layers = list(self.shipped.net.layers[:self.trained])
        for name, layer in self.shipped.net.layers[self.trained:]:
            if isinstance(layer, Dense):
                D, M = layer.params["W"].shape
                layer = Dense(D, M, initialise=False)
                layer.params = {"W": head_params[f"{name}.W"], "b": head_params[f"{name}.b"]}
            layers.append((name, layer))
        return Network(layers)


def content_key(image):
    """Four 32-bit words from the sha256 of an example's pixels: its copies' random seed."""
    return tuple(int(word) for word in np.frombuffer(hashlib.sha256(image.tobytes()).digest()[:16], np.uint32))
