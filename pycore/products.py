"""The matrix products (and convolutions) the layers compute, picked for the platform pycore
runs on: BLAS (``np.matmul``) under CPython; in the browser, where Pyodide's NumPy has no
BLAS, einsum's contiguous inner loops, and for the batches of training the second
convolution through the FFT. tests/parity checks that both platforms give the same
probabilities and the same training step; docs/performance.md has the figures.
"""
import sys

import numpy as np

BROWSER = sys.platform == "emscripten"
# In the browser a convolution over several channels (conv2) of a batch at least this large
# runs through the FFT: about 2.5 times faster there for a training batch. One image (the
# drawing box) keeps the direct product, whose weights need no transform per call.
FFT_MIN_BATCH = 16


def einsum_matmul(a, b):
    """``a @ b`` for 2-D arrays, computed by einsum's contiguous inner loops.

    Pyodide's NumPy has no BLAS: there ``@`` is a plain triple loop, and einsum does the
    same product faster (measured on conv2's and dense1's products of one image under
    Node; docs/performance.md has the figures). A one-row product accumulates along
    ``b``'s contiguous rows; a taller one takes dot products of ``a``'s rows with ``b``'s
    columns, made contiguous first (a copy of the weights, 80 KB at most). The result is
    C-contiguous: einsum lays it out as its operands are, and from conv1's columns (a
    transposed view) that is channel-major, which each later elementwise step and the
    pooling's backward then walk several times slower (a training step 10-20 % slower).
    """
    if a.shape[0] == 1:
        return np.einsum("ij,jk->ik", a, b)
    return np.ascontiguousarray(np.einsum("ij,kj->ik", a, np.ascontiguousarray(b.T)))


def einsum_matmul_tn(a, b):
    """``a.T @ b`` (a weight's gradient: inputs (R, M) against output gradients (R, N)),
    by einsum. With ``a`` the transpose of a contiguous array, dot products along R;
    otherwise it accumulates along the wider operand's contiguous rows."""
    if a.T.flags.c_contiguous:
        return np.einsum("mr,nr->mn", a.T, np.ascontiguousarray(b.T))
    if a.shape[1] >= b.shape[1]:
        return np.einsum("rn,rm->nm", b, a).T
    return np.einsum("rm,rn->mn", a, b)


def einsum_matmul_nt(a, b):
    """``a @ b.T`` (an input's gradient: output gradients (R, N) against weights (M, N)),
    by einsum: dot products along both operands' contiguous rows."""
    return np.einsum("rn,mn->rm", a, np.ascontiguousarray(b))


def blas_matmul_tn(a, b):
    return a.T @ b


def blas_matmul_nt(a, b):
    return a @ b.T


def blas_filter_gradient(cols, dout_rows):
    # (F, R) @ (R, KH*KW*C), transposed back: BLAS is much faster this way round.
    return (dout_rows.T @ cols).T


def einsum_offset_gradients(dout_rows, w):
    # the columns' gradient by einsum, (N*Ho*Wo, KH*KW*C), seen offset-first (a view)
    KH, KW, C, F = w.shape
    return einsum_matmul_nt(dout_rows, w.reshape(KH * KW * C, F)).reshape(-1, KH, KW, C).transpose(1, 2, 0, 3)


def blas_offset_gradients(dout_rows, w):
    # one batched product: (KH*KW, R, F) @ (KH*KW, F, C) -> (KH*KW, R, C)
    KH, KW, C, F = w.shape
    return np.matmul(dout_rows[None], w.reshape(KH * KW, C, F).transpose(0, 2, 1)).reshape(KH, KW, -1, C)


# The layers' matrix products: BLAS under CPython (far faster than either loop), einsum in
# the browser. filter_gradient(cols, dout_rows): a convolution's filters' gradient from its
# im2col columns (R, KH*KW*C) and output gradient (R, F), as (KH*KW*C, F);
# offset_gradients(dout_rows, w): the input gradient each kernel offset (i, j) sends back,
# [i, j] -> (R, C) for the R output positions (Conv2D.backward adds them where forward read).
matmul = einsum_matmul if BROWSER else np.matmul
matmul_tn = einsum_matmul_tn if BROWSER else blas_matmul_tn
matmul_nt = einsum_matmul_nt if BROWSER else blas_matmul_nt
filter_gradient = einsum_matmul_tn if BROWSER else blas_filter_gradient
offset_gradients = einsum_offset_gradients if BROWSER else blas_offset_gradients


# Elementwise steps: NumPy's np.maximum (NaN-aware) and products with a bool mask (a cast) run
# several times slower than np.where in the browser, where nothing is vectorised; under
# CPython np.where is the slow one (ten times). Both give the same numbers.

def where_relu(x, positive):
    return np.where(positive, x, x.dtype.type(0))


def maximum_relu(x, positive):
    return np.maximum(x, 0)


def where_masked(values, mask):
    return np.where(mask, values, values.dtype.type(0))


def product_masked(values, mask):
    return values * mask


def where_larger(a, b):
    return np.where(a > b, a, b)


# relu(x, x > 0): max(0, x); masked(values, mask): the values where mask, else 0;
# larger(a, b): the elementwise maximum of two arrays of the same shape.
relu = where_relu if BROWSER else maximum_relu
masked = where_masked if BROWSER else product_masked
larger = where_larger if BROWSER else np.maximum


def fft_convolution(x, w):
    """The valid cross-correlation of ``x`` (N, H, W, C) with filters ``w`` (KH, KW, C, F)
    -> (N, H-KH+1, W-KW+1, F), through the 2-D FFT, and what ``fft_convolution_backward``
    needs.

    Padded to the input's H x W, a circular correlation equals the valid one at every output
    position (no index wraps), so each frequency p is one small complex product: Y[p] =
    X[p] @ conj(Wf[p]), (N, C) @ (C, F). For conv2 (12x12 inputs, 20 -> 40 channels, 5x5)
    that is 84 products of a fifth of the direct product's multiplications, plus the
    transforms.
    """
    N, H, Wd, C = x.shape
    KH, KW, _, F = w.shape
    X = np.fft.rfft2(x, axes=(1, 2))                                 # (N, H, Wd//2+1, C)
    half = X.shape[2]
    X = X.reshape(N, H * half, C).transpose(1, 0, 2)                 # (P, N, C)
    Wf = np.fft.rfft2(w, s=(H, Wd), axes=(0, 1)).reshape(H * half, C, F)
    Y = np.matmul(X, Wf.conj()).transpose(1, 0, 2).reshape(N, H, half, F)
    y = inverse_rows(Y, H - KH + 1, Wd, axes=(1, 2))[:, :, :Wd - KW + 1]
    return np.ascontiguousarray(y, dtype=x.dtype), (x.shape, w.shape, X, Wf)


def inverse_rows(spectrum, rows, width, axes):
    """The first ``rows`` rows of ``irfft2(spectrum, s=(H, width), axes=axes)``: the inverse
    along the first axis, then along the second only for the rows wanted (a third to seven
    twelfths fewer transforms than the whole inverse and a slice)."""
    first, second = axes
    along = np.fft.ifft(spectrum, axis=first)
    return np.fft.irfft(along[(slice(None),) * first + (slice(0, rows),)], n=width, axis=second)


def fft_convolution_backward(dout, cache, input_grad=True):
    """The gradients of ``fft_convolution``: (dx (N, H, W, C) or None, dW (KH, KW, C, F)).

    With G the output gradient's transform (zero-padded to H x W): the filters' gradient is
    the correlation of the inputs with it, DW[p] = X[p].T @ conj(G[p]) summed over the batch;
    the input's is the (full) convolution of it with the filters, DX[p] = G[p] @ Wf[p].T.
    Neither wraps around at H x W."""
    (N, H, Wd, C), (KH, KW, _, F), X, Wf = cache
    G = np.fft.rfft2(dout, s=(H, Wd), axes=(1, 2))                    # (N, H, Wd//2+1, F)
    half = G.shape[2]
    G = G.reshape(N, H * half, F).transpose(1, 0, 2)                 # (P, N, F)
    DW = np.matmul(X.transpose(0, 2, 1), G.conj()).reshape(H, half, C, F)
    dW = np.ascontiguousarray(inverse_rows(DW, KH, Wd, axes=(0, 1))[:, :KW], dtype=dout.dtype)
    if not input_grad:
        return None, dW
    DX = np.matmul(G, Wf.transpose(0, 2, 1)).transpose(1, 0, 2).reshape(N, H, half, C)
    dx = np.fft.irfft2(DX, s=(H, Wd), axes=(1, 2))
    return np.ascontiguousarray(dx, dtype=dout.dtype), dW
