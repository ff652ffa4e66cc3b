"""The network: an ordered list of named layers, and the architecture this project trains.

Parameters live in the layers; ``Network.params`` exposes them under stable
names (``conv1.W``, ``conv1.b``, ...), which are also the keys of the weights
file and all an optimiser ever sees.
"""
import numpy as np

from .layers import LAYER_TYPES, Conv2D, softmax, softmax_cross_entropy

INPUT_SHAPE = (28, 28, 1)    # one image, channels last: what every layer's output shape starts from


def output_shape(entry, shape):
    """The output shape (channels last, no batch axis) of the layer ``entry`` describes
    (see ``Network.architecture``) for an input of ``shape``."""
    kind = entry["type"]
    if kind == "Conv2D":                               # valid convolution, stride 1
        k = entry["kernel_size"]
        return [shape[0] - k + 1, shape[1] - k + 1, entry["out_channels"]]
    if kind == "MaxPool2D":                            # 2x2 windows, stride 2
        return [shape[0] // 2, shape[1] // 2, shape[2]]
    if kind == "Flatten":
        return [int(np.prod(shape))]
    if kind == "Dense":
        return [entry["out_features"]]
    return list(shape)                                 # ReLU, Dropout: elementwise


def what_it_does(entry, last=False):
    """A layer in words, as the page's layer table says it; the last Dense ends in softmax."""
    kind = entry["type"]
    if kind == "Conv2D":
        k = entry["kernel_size"]
        return f"{entry['out_channels']} filters {k}×{k} over {entry['in_channels']} channel(s), stride 1"
    if kind == "MaxPool2D":
        return "max over 2×2, stride 2"
    if kind == "Dropout":
        return f"drops {100 * entry['p']:.0f} % while training only"
    if kind == "ReLU":
        return "max(0, x)"
    if kind == "Flatten":
        return "to one vector"
    if kind == "Dense":
        return f"fully connected {entry['in_features']} → {entry['out_features']}" + (", then softmax" if last else "")
    return ""


class Network:
    """Layers applied in order. ``layers`` is a list of (name, layer) pairs."""

    def __init__(self, layers):
        names = [name for name, _ in layers]
        if len(set(names)) != len(names):
            raise ValueError(f"layer names must be unique: {names}")
        self.layers = list(layers)

    # -- parameters -----------------------------------------------------------------
    @property
    def params(self):
        """{"conv1.W": array, ...}: the live arrays (updating them in place updates the net)."""
        return {f"{name}.{key}": value
                for name, layer in self.layers for key, value in layer.params.items()}

    def set_params(self, params):
        """Replace every parameter by the array of the same name (shapes must match)."""
        for name, layer in self.layers:
            for key, old in layer.params.items():
                new = params[f"{name}.{key}"]
                if new.shape != old.shape:
                    raise ValueError(f"{name}.{key}: shape {new.shape}, expected {old.shape}")
                layer.params[key] = new

    def astype(self, dtype):
        """Cast every parameter (float64 for gradient checks); returns self."""
        self.set_params({k: v.astype(dtype) for k, v in self.params.items()})
        return self

    def architecture(self):
        """A JSON-able list describing every layer, enough to rebuild the network."""
        return [{"name": name, **layer.describe()} for name, layer in self.layers]

    def summary(self, input_shape=INPUT_SHAPE):
        """The network layer by layer, as the page's layer table shows it: the input, then
        each layer in order, as {"name", "type", "does" (in words), "output" (its shape,
        channels last, without the batch axis), "parameters" (how many numbers it learns)}."""
        shape = list(input_shape)
        rows = [{"name": "input", "type": "", "does": "28×28 grey image, normalised", "output": shape,
                 "parameters": 0}]
        for i, (entry, (_, layer)) in enumerate(zip(self.architecture(), self.layers, strict=True)):
            shape = output_shape(entry, shape)
            rows.append({"name": entry["name"], "type": entry["type"],
                         "does": what_it_does(entry, last=i == len(self.layers) - 1),
                         "output": shape, "parameters": int(sum(v.size for v in layer.params.values()))})
        return rows

    @classmethod
    def from_architecture(cls, spec, seed=0):
        """Build the layers ``spec`` describes, He-initialised from ``seed``; seed=None
        leaves every weight zero, for a caller that sets them all (loading a weights file,
        which then needs no random numbers: numpy.random is never imported)."""
        rng = np.random.default_rng(seed) if seed is not None else None
        layers = []
        for entry in spec:
            entry = dict(entry)
            name, kind = entry.pop("name"), entry.pop("type")
            if kind not in LAYER_TYPES:
                raise ValueError(f"unknown layer type {kind!r}")
            if kind in ("Conv2D", "Dense"):
                entry.update(rng=rng, initialise=rng is not None)
            layers.append((name, LAYER_TYPES[kind](**entry)))
        if layers and isinstance(layers[0][1], Conv2D):
            layers[0][1].input_grad = False   # the input is the image: no gradient needed
        return cls(layers)

    # -- passes -----------------------------------------------------------------------
    def forward(self, x, training=False, rng=None):
        """x: (N, 28, 28, 1) -> logits (N, 10), and the per-layer caches for backward."""
        caches = []
        for _, layer in self.layers:
            x, cache = layer.forward(x, training=training, rng=rng)
            caches.append(cache)
        return x, caches

    def activations(self, x):
        """Every layer's output for x, dropout off: {layer name: array}, in order."""
        outputs = {}
        for name, layer in self.layers:
            x, _ = layer.forward(x)
            outputs[name] = x
        return outputs

    def backward(self, dlogits, caches):
        """Gradients of every parameter, named as in ``params``, from dloss/dlogits."""
        grads = {}
        dout = dlogits
        for (name, layer), cache in zip(reversed(self.layers), reversed(caches), strict=True):
            dout, layer_grads = layer.backward(dout, cache)
            for key, g in layer_grads.items():
                grads[f"{name}.{key}"] = g
        return grads

    def loss(self, x, labels, training=True, rng=None):
        """Mean cross-entropy on a batch and the gradient of every parameter."""
        logits, caches = self.forward(x, training=training, rng=rng)
        loss, dlogits = softmax_cross_entropy(logits, labels)
        return loss, self.backward(dlogits, caches)

    def predict(self, x, batch_size=500):
        """Class probabilities (N, 10) for images x (N, 28, 28, 1), dropout off."""
        out = [softmax(self.forward(x[i:i + batch_size])[0]) for i in range(0, len(x), batch_size)]
        return np.concatenate(out) if out else np.zeros((0, 10), np.float32)


def mnist_architecture():
    """The architecture this project trains and ships for MNIST, as a description (see ``Network.from_architecture``).

    (N,28,28,1) conv 5x5 -> (N,24,24,20) pool -> (N,12,12,20)
                conv 5x5 -> (N,8,8,40)   pool -> (N,4,4,40) -> 640 -> 256 -> 10
    """
    return [
        {"name": "conv1", "type": "Conv2D", "in_channels": 1, "out_channels": 20, "kernel_size": 5},
        {"name": "relu1", "type": "ReLU"},
        {"name": "pool1", "type": "MaxPool2D"},
        {"name": "drop1", "type": "Dropout", "p": 0.2},
        {"name": "conv2", "type": "Conv2D", "in_channels": 20, "out_channels": 40, "kernel_size": 5},
        {"name": "relu2", "type": "ReLU"},
        {"name": "pool2", "type": "MaxPool2D"},
        {"name": "drop2", "type": "Dropout", "p": 0.2},
        {"name": "flatten", "type": "Flatten"},
        {"name": "dense1", "type": "Dense", "in_features": 640, "out_features": 256},
        {"name": "relu3", "type": "ReLU"},
        {"name": "dense2", "type": "Dense", "in_features": 256, "out_features": 10},
    ]


def build_network(seed=0):
    """The CNN of ``mnist_architecture`` with He-initialised weights from ``seed``."""
    return Network.from_architecture(mnist_architecture(), seed=seed)
