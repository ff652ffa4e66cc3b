"""The matrix product of the forward passes (layers) and of preprocessing's resizes.

Which loop computes it depends on where pycore runs: BLAS under CPython, einsum in the
browser, where Pyodide's NumPy has no BLAS.
"""
import sys

import numpy as np


def einsum_matmul(a, b):
    """``a @ b`` for 2-D arrays, computed by einsum's contiguous inner loops.

    Pyodide's NumPy has no BLAS: there ``@`` is a plain triple loop, and einsum does the
    same product about twice as fast (one image, under Node: conv2's (64, 500) @ (500, 40)
    1.3 -> 0.8 ms, dense1's (1, 640) @ (640, 256) 0.28 -> 0.08 ms). A one-row product
    accumulates along ``b``'s contiguous rows; a taller one takes dot products of ``a``'s
    rows with ``b``'s columns, made contiguous first (a copy of the weights, 80 KB at most).
    """
    if a.shape[0] == 1:
        return np.einsum("ij,jk->ik", a, b)
    return np.einsum("ij,kj->ik", a, np.ascontiguousarray(b.T))


# The forward passes' matrix products: BLAS under CPython (far faster than either loop),
# einsum in the browser. tests/parity checks that both give the same probabilities.
matmul = einsum_matmul if sys.platform == "emscripten" else np.matmul
