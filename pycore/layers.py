"""The layers of the network, each a forward/backward pair with an explicit cache.

Every layer has the same small contract (after cs231n's ``layers.py``)::

    out, cache = layer.forward(x, training=False, rng=None)
    dx, grads = layer.backward(dout, cache)

``forward`` returns its output and whatever ``backward`` will need; ``backward``
takes the upstream gradient ``dout`` (same shape as ``out``) and returns the
gradient with respect to the input and a dict of gradients named like
``layer.params`` (empty for layers without parameters). Layers keep no state
between calls, so one layer object can serve many batches at once.

Images are channels-last, ``(N, H, W, C)``. Arrays keep the dtype they are given: float32 for
training and inference, float64 for gradient checks.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from . import products
from .products import matmul, matmul_nt, matmul_tn


class Layer:
    """Base class: a layer without parameters."""

    params = {}

    def describe(self):
        """A JSON-able description, enough to rebuild the layer."""
        return {"type": type(self).__name__}


def he_normal(shape, fan_in, rng=None):
    """Normal(0, 2 / fan_in) float32 weights (He et al. 2015); ``rng``: a numpy Generator."""
    rng = rng if rng is not None else np.random.default_rng()
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)


class Conv2D(Layer):
    """2-D convolution, stride 1, no padding ("valid").

    x: (N, H, W, C) -> out: (N, H - KH + 1, W - KW + 1, F)
    W: (KH, KW, C, F), b: (F,)

    Computed as im2col: every KHxKW patch of the input becomes one row of a
    (N*Ho*Wo, KH*KW*C) matrix, built with stride tricks and copied once, so the
    whole batch is one matrix product with the (KH*KW*C, F) filters. Channels
    last keeps every step a plain reshape: no transposes, no extra copies.
    """

    def __init__(self, in_channels, out_channels, kernel_size, rng=None, input_grad=True,
                 initialise=True):
        shape = (kernel_size, kernel_size, in_channels, out_channels)
        self.params = {
            # He initialisation: keeps the activation variance steady through ReLUs.
            # initialise=False leaves zeros, for weights about to be loaded.
            "W": he_normal(shape, in_channels * kernel_size * kernel_size, rng) if initialise
                 else np.zeros(shape, np.float32),
            "b": np.zeros(out_channels, np.float32),
        }
        # The first layer's input is the image: nobody needs its gradient.
        self.input_grad = input_grad

    def describe(self):
        KH, _, C, F = self.params["W"].shape
        return {"type": "Conv2D", "in_channels": C, "out_channels": F, "kernel_size": KH}

    def forward(self, x, training=False, rng=None):
        W, b = self.params["W"], self.params["b"]
        N, H, Wd, C = x.shape
        KH, KW, _, F = W.shape
        Ho, Wo = H - KH + 1, Wd - KW + 1
        if products.BROWSER and C > 1 and N >= products.FFT_MIN_BATCH:
            out, cache = products.fft_convolution(x, W)
            out += b
            return out, ("fft", cache)
        if C == 1:
            # One channel: gather the KH*KW shifted copies as rows (long contiguous runs,
            # several times faster than the generic gather), then view as columns.
            cols = np.empty((KH * KW, N, Ho, Wo), x.dtype)
            for i in range(KH):
                for j in range(KW):
                    cols[i * KW + j] = x[:, i:i + Ho, j:j + Wo, 0]
            cols = cols.reshape(KH * KW, N * Ho * Wo).T                 # (N*Ho*Wo, KH*KW), a view
        else:
            windows = sliding_window_view(x, (KH, KW), axis=(1, 2))    # (N, Ho, Wo, C, KH, KW), a view
            cols = windows.transpose(0, 1, 2, 4, 5, 3).reshape(N * Ho * Wo, KH * KW * C)  # the one copy
        out = matmul(cols, W.reshape(KH * KW * C, F))                   # (N*Ho*Wo, F)
        out += b
        return out.reshape(N, Ho, Wo, F), (x.shape, cols)

    def backward(self, dout, cache):
        W = self.params["W"]
        KH, KW, C, F = W.shape
        N, Ho, Wo, _ = dout.shape
        dout_rows = dout.reshape(N * Ho * Wo, F)
        if cache[0] == "fft":
            dx, dW = products.fft_convolution_backward(dout, cache[1], self.input_grad)
            return dx, {"W": dW, "b": column_sums(dout_rows)}
        x_shape, cols = cache
        grads = {"W": products.filter_gradient(cols, dout_rows).reshape(W.shape), "b": column_sums(dout_rows)}
        if not self.input_grad:
            return None, grads
        per_offset = products.offset_gradients(dout_rows, W)           # [i, j] -> (N*Ho*Wo, C)
        dx = np.zeros(x_shape, dtype=dout.dtype)
        # col2im: each kernel offset adds its gradient back where forward read it.
        for i in range(KH):
            for j in range(KW):
                dx[:, i:i + Ho, j:j + Wo, :] += per_offset[i, j].reshape(N, Ho, Wo, C)
        return dx, grads


class MaxPool2D(Layer):
    """Max pooling over non-overlapping 2x2 windows (stride 2).

    x: (N, H, W, C) with H, W even -> out: (N, H/2, W/2, C)
    The cache is a mask of the pixels that won their window; backward sends each
    window's gradient to its winner only. (Exactly equal maxima would share it:
    after a ReLU the only such ties are zeros, whose gradient the ReLU discards.)
    """

    def forward(self, x, training=False, rng=None):
        N, H, W, C = x.shape
        if H % 2 or W % 2:
            raise ValueError(f"MaxPool2D needs even height and width, got {H}x{W}")
        rows = x.reshape(N, H // 2, 2, W, C)
        out = products.larger(rows[:, :, 0], rows[:, :, 1]).reshape(N, H // 2, W // 2, 2, C)
        out = products.larger(out[:, :, :, 0], out[:, :, :, 1])         # (N, H/2, W/2, C)
        # (pairwise maxima: numpy's max over two small axes is several times slower)
        winners = x.reshape(N, H // 2, 2, W // 2, 2, C) == out[:, :, None, :, None, :]
        return out, winners

    def backward(self, dout, cache):
        winners = cache
        N, H2, _, W2, _, C = winners.shape
        dx = products.masked(dout[:, :, None, :, None, :], winners)
        return dx.reshape(N, H2 * 2, W2 * 2, C), {}


class ReLU(Layer):
    """max(0, x), elementwise; any shape."""

    def forward(self, x, training=False, rng=None):
        positive = x > 0
        return products.relu(x, positive), positive

    def backward(self, dout, cache):
        return products.masked(dout, cache), {}


class Dropout(Layer):
    """Inverted dropout: in training, zero each unit with probability ``p`` and
    scale the survivors by 1/(1-p), so inference is the identity. Any shape.
    ``rng`` (a numpy Generator) makes the mask reproducible."""

    def __init__(self, p):
        if not 0 <= p < 1:
            raise ValueError(f"dropout probability must be in [0, 1), got {p}")
        self.p = p

    def describe(self):
        return {"type": "Dropout", "p": self.p}

    def forward(self, x, training=False, rng=None):
        if not training or self.p == 0:
            return x, None
        rng = rng if rng is not None else np.random.default_rng()
        keep = rng.random(x.shape, dtype=np.float32) >= self.p              # bool mask
        out = products.masked(x, keep)
        out *= x.dtype.type(1 / (1 - self.p))
        return out, keep

    def backward(self, dout, cache):
        if cache is None:
            return dout, {}
        dx = products.masked(dout, cache)
        dx *= dout.dtype.type(1 / (1 - self.p))
        return dx, {}


class Flatten(Layer):
    """(N, ...) -> (N, prod(...)); for images (N, H, W, C) the order is row, column, channel."""

    def forward(self, x, training=False, rng=None):
        return x.reshape(x.shape[0], -1), x.shape

    def backward(self, dout, cache):
        return dout.reshape(cache), {}


class Dense(Layer):
    """Fully connected: x (N, D) @ W (D, M) + b (M,) -> (N, M)."""

    def __init__(self, in_features, out_features, rng=None, initialise=True):
        shape = (in_features, out_features)
        self.params = {
            "W": he_normal(shape, in_features, rng) if initialise else np.zeros(shape, np.float32),
            "b": np.zeros(out_features, np.float32),
        }

    def describe(self):
        D, M = self.params["W"].shape
        return {"type": "Dense", "in_features": D, "out_features": M}

    def forward(self, x, training=False, rng=None):
        return matmul(x, self.params["W"]) + self.params["b"], x

    def backward(self, dout, cache):
        x = cache
        grads = {"W": matmul_tn(x, dout), "b": column_sums(dout)}
        return matmul_nt(dout, self.params["W"]), grads


def column_sums(rows):
    """(M, K) -> (K,): the sum over rows, as a matrix-vector product (numpy's own
    reduction is several times slower on tall, narrow arrays)."""
    return np.ones(rows.shape[0], rows.dtype) @ rows


def softmax(logits):
    """Row-wise softmax of (N, K) logits, shifted by the row max so exp never overflows."""
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def softmax_cross_entropy(logits, labels, smoothing=0.0):
    """Mean cross-entropy of softmax(logits) against targets, and its gradient.

    logits: (N, K); labels: (N,) ints in [0, K), or (N, K) target distributions (rows
    summing to 1, e.g. a trained network's soft answers). ``smoothing`` (label smoothing)
    moves that much of each target's mass evenly over all K classes: q = (1 - s) q + s / K.
    Returns (loss, dlogits) with dlogits (N, K) = (softmax - q) / N: the fused
    gradient, exact and cheaper than going through softmax's Jacobian.
    """
    N, K = logits.shape
    z = logits - logits.max(axis=1, keepdims=True)
    log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    if labels.ndim == 2:
        q = labels.astype(log_probs.dtype)
    else:
        q = np.zeros_like(log_probs)
        q[np.arange(N), labels] = 1
    q = (1 - smoothing) * q + smoothing / K
    loss = -(q * log_probs).sum(axis=1).mean()
    return float(loss), (np.exp(log_probs) - q) / N


LAYER_TYPES = {cls.__name__: cls for cls in (Conv2D, MaxPool2D, ReLU, Dropout, Flatten, Dense)}
