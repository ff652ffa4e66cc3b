"""Picks the matrix product for the platform pycore runs on: BLAS (``np.matmul``) under
CPython, einsum in the browser, where Pyodide's NumPy has no BLAS. The forward passes
(layers) and preprocessing's resizes call ``matmul`` from here.
"""
import sys

import numpy as np


def einsum_matmul(a, b):
    """``a @ b`` for 2-D arrays, computed by einsum's contiguous inner loops.

    Pyodide's NumPy has no BLAS: there ``@`` is a plain triple loop, and einsum does the
    same product faster (measured on conv2's and dense1's products of one image under
    Node; docs/performance.md has the figures). A one-row product accumulates along
    ``b``'s contiguous rows; a taller one takes dot products of ``a``'s rows with ``b``'s
    columns, made contiguous first (a copy of the weights, 80 KB at most).
    """
    if a.shape[0] == 1:
        return np.einsum("ij,jk->ik", a, b)
    return np.einsum("ij,kj->ik", a, np.ascontiguousarray(b.T))


# The forward passes' matrix products: BLAS under CPython (far faster than either loop),
# einsum in the browser. tests/parity checks that both give the same probabilities.
matmul = einsum_matmul if sys.platform == "emscripten" else np.matmul
