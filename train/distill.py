"""Soft targets from trained networks: knowledge distillation (Hinton et al., 2015).

Networks trained with other seeds or recipes disagree on the hard images; the mean of
their answers, softened by a temperature, says which other digits an image resembles
("a 4 that looks a little like a 9"). A network trained towards those answers, mixed
with the labels, learns some of what the ensemble knows while staying one network.

The teachers answer once, for the training images as stored (originals and their fixed
rotated copies); each batch's random distortion keeps its undistorted image's target.
"""
import sys
import time
from pathlib import Path

import numpy as np

from pycore.inference import Classifier
from pycore.layers import softmax


def soft_targets(paths, images, labels, weight, temperature, batch_size=1000, stream=sys.stderr):
    """(N, 10) float32: (1 - weight) * onehot(labels) + weight * the teachers' mean of
    softmax(logits / temperature) on images (N, 28, 28) in [0, 1]."""
    if not 0 <= weight <= 1 or temperature <= 0:
        raise ValueError(f"teacher_weight must be in [0, 1] and teacher_temperature > 0, "
                         f"got {weight} and {temperature}")
    mean = np.zeros((len(images), 10), np.float64)
    for path in paths:
        start = time.perf_counter()
        teacher = Classifier.from_bytes(Path(path).read_bytes())
        for i in range(0, len(images), batch_size):
            logits, _ = teacher.net.forward(teacher.normalise(images[i:i + batch_size]))
            mean[i:i + batch_size] += softmax(logits.astype(np.float64) / temperature)
        agree = float((mean.argmax(axis=1) == labels).mean())
        print(f"teacher {path}: {len(images):,} images in {time.perf_counter() - start:.0f}s "
              f"(ensemble so far right on {100 * agree:.2f}% of them)", file=stream, flush=True)
    mean /= len(paths)
    onehot = np.eye(10)[labels]
    return ((1 - weight) * onehot + weight * mean).astype(np.float32)
