"""How unlike the digits the network was trained on a drawing is, in the network's own
features: the verdict's out-of-distribution signal (pycore.verdict, docs/verdict.md).

    Novelty.score(features)        (N,) squared Mahalanobis distance to the nearest class mean
    from_bytes(data, weights_data) Novelty from a statistics file, checked against the weights
    to_bytes(novelty, metadata)    the file's bytes (float16, made by python -m train.verdict --fit)

The statistics are the class means of the shipped network's dense1 outputs (before its ReLU,
256 numbers) for MNIST training images 0-44,999, and their shared (tied) within-class
covariance kept as its leading principal axes and variances plus one variance for the rest:
a drawing whose features lie far from every class mean, in units of how digits vary, is
unlike any digit, even where the network answers it confidently (a letter).
"""
import hashlib
import io
import json
import zipfile
import zlib

import numpy as np

FORMAT_VERSION = 1
META_KEY = "__meta__"
LAYER = "dense1"         # the layer whose output is scored: dense1 before its ReLU
ARRAYS = ("means", "axes", "variances", "rest")


class NoveltyError(ValueError):
    """A statistics file that cannot be used; the message says why."""


class Novelty:
    """means (10, D): each class's mean features; axes (D, r): the tied covariance's leading
    principal axes; variances (r,): the variance along each; rest: the mean variance of the
    D - r other directions. All float32."""

    def __init__(self, means, axes, variances, rest, metadata=None):
        self.means, self.axes = np.asarray(means, np.float32), np.asarray(axes, np.float32)
        self.variances, self.rest = np.asarray(variances, np.float32), np.float32(rest)
        self.metadata = metadata or {}

    def score(self, features):
        """(N, D) features -> (N,) the smallest over classes of the squared Mahalanobis
        distance, the leading axes each by its own variance and the rest by ``rest``."""
        offsets = np.asarray(features, np.float32)[:, None, :] - self.means[None]    # (N, 10, D)
        along = offsets @ self.axes                                                 # (N, 10, r)
        beside = np.maximum((offsets ** 2).sum(-1) - (along ** 2).sum(-1), 0)       # (N, 10)
        return ((along ** 2 / self.variances).sum(-1) + beside / self.rest).min(axis=1)


def weights_digest(weights_data):
    """The sha256 (hex) of a weights file's bytes: which network a statistics file fits."""
    return hashlib.sha256(bytes(weights_data)).hexdigest()


def to_bytes(novelty, weights_data, metadata=None):
    """A Novelty -> .npz bytes, its arrays as float16, its metadata naming the weights file
    (``weights_data``, its bytes) the features came from."""
    meta = {"format_version": FORMAT_VERSION, "layer": LAYER, "weights_sha256": weights_digest(weights_data),
            **(metadata or {})}
    arrays = {name: np.asarray(getattr(novelty, name), np.float32).astype(np.float16) for name in ARRAYS}
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays, **{META_KEY: np.frombuffer(json.dumps(meta).encode(), np.uint8)})
    return buffer.getvalue()


def from_bytes(data, weights_data):
    """A statistics file's bytes -> Novelty, for the network of ``weights_data`` (its weights
    file's bytes). Anything wrong (unreadable, another format, other weights, a missing or
    extra array, shapes that do not fit, values not finite or variances not positive)
    raises NoveltyError naming the problem."""
    try:
        with np.load(io.BytesIO(bytes(data)), allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
        meta = json.loads(arrays.pop(META_KEY).tobytes().decode())
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError, zlib.error, UnicodeDecodeError) as exc:
        raise NoveltyError(f"not a readable statistics file (corrupt or truncated?): {exc}") from exc
    version = meta.get("format_version") if isinstance(meta, dict) else None
    if version != FORMAT_VERSION:
        raise NoveltyError(f"statistics format version {version!r}, this code reads version {FORMAT_VERSION}")
    if meta.get("weights_sha256") != weights_digest(weights_data):
        raise NoveltyError("these statistics were made for another network's weights")
    if sorted(arrays) != sorted(ARRAYS):
        raise NoveltyError(f"statistics file holds {', '.join(sorted(arrays))}, expected {', '.join(ARRAYS)}")
    means, axes, variances, rest = (arrays[name] for name in ARRAYS)
    if means.ndim != 2 or means.shape[0] != 10 or axes.ndim != 2 or axes.shape[0] != means.shape[1] \
            or variances.shape != axes.shape[1:] or rest.shape != ():
        raise NoveltyError(f"statistics of shapes means {means.shape}, axes {axes.shape}, variances "
                           f"{variances.shape}, rest {rest.shape} do not fit together")
    if not all(np.isfinite(a).all() for a in (means, axes, variances, rest)):
        raise NoveltyError("statistics hold NaN or infinite values")
    if not ((variances > 0).all() and rest > 0):
        raise NoveltyError("statistics' variances must be positive")
    return Novelty(means, axes, variances, rest, meta)
