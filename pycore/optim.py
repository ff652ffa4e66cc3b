"""SGD with momentum and decoupled-from-bias weight decay, in place, and the learning-rate schedules.

The optimiser sees only names, arrays and gradients (pycore's model contract). It lives in
pycore, not train/, because the page adapts the network in the browser too (pycore.teach):
training under CPython and teaching under Pyodide take their steps with the same code.
"""
import math

import numpy as np


class SGD:
    """v <- momentum * v + (g + weight_decay * w);  w <- w - lr * v   (PyTorch's form).

    Weight decay applies to weights (names ending in ``.W``), not to biases.
    """

    def __init__(self, params, momentum=0.9, weight_decay=0.0):
        self.momentum, self.weight_decay = momentum, weight_decay
        self.velocity = {name: np.zeros_like(p) for name, p in params.items()}

    def step(self, params, grads, lr):
        for name, w in params.items():
            g = grads[name]
            if self.weight_decay and name.endswith(".W"):
                g = g + self.weight_decay * w
            v = self.velocity[name]
            v *= self.momentum
            v += g
            w -= lr * v


SCHEDULES = ("cosine", "constant")


def learning_rate(step, total_steps, peak, warmup_steps, schedule="cosine"):
    """Linear warm-up to ``peak`` over ``warmup_steps``, then cosine decay to 0 at ``total_steps``
    (``schedule="cosine"``) or ``peak`` throughout (``"constant"``, for weight averaging)."""
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule is one of {SCHEDULES}, not {schedule!r}")
    if step < warmup_steps:
        return peak * (step + 1) / warmup_steps
    if schedule == "constant":
        return peak
    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    return peak * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
