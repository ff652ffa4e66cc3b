"""Centred-difference gradient checks (cs231n's gradient_check, in float64)."""
import numpy as np


def rel_error(a, n):
    """max |a - n| / max(1e-8, |a| + |n|), elementwise then the worst."""
    return float(np.max(np.abs(a - n) / np.maximum(1e-8, np.abs(a) + np.abs(n))))


def numerical_gradient(f, x, dout, h=1e-5):
    """d sum(f(x) * dout) / dx by centred differences; perturbs x in place and restores it."""
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        plus = np.sum(f() * dout)
        flat[i] = old - h
        minus = np.sum(f() * dout)
        flat[i] = old
        gflat[i] = (plus - minus) / (2 * h)
    return grad
