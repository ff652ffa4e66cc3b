"""Weights as ``.npz`` bytes: one array per parameter plus a JSON metadata entry.

No pickle anywhere (``allow_pickle=False``), so a weights file can hold nothing
but numbers. The same bytes load under CPython and Pyodide; nothing here
touches the file system (callers read and write the bytes).

The arrays are stored as float32 or float16 (the shipped model: half the bytes to
download); either way the network holds float32 in memory.
"""
import io
import json
import zipfile
import zlib

import numpy as np

from .network import Network, mnist_architecture

FORMAT_VERSION = 1
META_KEY = "__meta__"
# The MNIST pixel statistics (of [0, 1] images); the network sees (x - mean) / std.
MNIST_NORMALISATION = {"mean": 0.1307, "std": 0.3081}
# The dtypes a file may store its arrays in (the first: what training writes, exactly).
STORED_DTYPES = (np.dtype(np.float32), np.dtype(np.float16))


class WeightsError(ValueError):
    """A weights file that cannot be used; the message says why."""


def to_bytes(net, metadata=None, dtype=np.float32):
    """Serialise ``net``'s parameters and ``metadata`` (a JSON-able dict) to .npz bytes,
    the arrays stored as ``dtype``: float32 (exact) or float16 (rounded to the nearest
    float16: see half_precision). A value float16 cannot hold raises WeightsError."""
    dtype = np.dtype(dtype)
    if dtype not in STORED_DTYPES:
        raise WeightsError(f"weights are stored as float32 or float16, not {dtype}")
    meta = {"format_version": FORMAT_VERSION, "architecture": net.architecture(),
            "normalisation": MNIST_NORMALISATION, **(metadata or {})}
    arrays = {}
    for name, value in net.params.items():
        with np.errstate(over="ignore"):                   # reported just below
            stored = np.ascontiguousarray(np.asarray(value, np.float32).astype(dtype))
        if not np.isfinite(stored).all():
            raise WeightsError(f"{name} holds values {dtype} cannot store (NaN, infinite or beyond its range)")
        arrays[name] = stored
    arrays[META_KEY] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def from_bytes(data, architecture=None):
    """Load a network from .npz bytes; returns (network, metadata).

    The file must describe ``architecture`` (default: network.mnist_architecture) and hold every
    parameter with its exact shape, stored as float32 or float16, and nothing else; the
    network gets float32 either way. Anything wrong raises WeightsError naming the problem.
    """
    expected = mnist_architecture() if architecture is None else architecture
    try:
        with np.load(io.BytesIO(bytes(data)), allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError, zlib.error) as exc:
        raise WeightsError(f"not a readable .npz weights file (corrupt or truncated?): {exc}") from exc

    if META_KEY not in arrays:
        raise WeightsError(f"weights file has no {META_KEY!r} metadata entry")
    try:
        meta = json.loads(arrays.pop(META_KEY).tobytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WeightsError(f"weights metadata is not valid JSON: {exc}") from exc
    if meta.get("format_version") != FORMAT_VERSION:
        raise WeightsError(f"weights format version {meta.get('format_version')!r}, "
                           f"this code reads version {FORMAT_VERSION}")
    if meta.get("architecture") != expected:
        raise WeightsError("weights are for a different architecture: "
                           f"{summarise(meta.get('architecture'))} != {summarise(expected)}")

    net = Network.from_architecture(expected, seed=None)   # every weight is set below
    wanted = net.params
    missing = sorted(set(wanted) - set(arrays))
    if missing:
        raise WeightsError(f"weights file lacks array(s): {', '.join(missing)}")
    extra = sorted(set(arrays) - set(wanted))
    if extra:
        raise WeightsError(f"weights file has unexpected array(s): {', '.join(extra)}")
    for name, value in arrays.items():
        if value.shape != wanted[name].shape:
            raise WeightsError(f"{name} has shape {value.shape}, expected {wanted[name].shape}")
        if value.dtype not in STORED_DTYPES:
            raise WeightsError(f"{name} has dtype {value.dtype}, expected float32 or float16")
        if not np.isfinite(value).all():
            raise WeightsError(f"{name} holds NaN or infinite values")
    net.set_params({name: value.astype(np.float32) for name, value in arrays.items()})
    return net, meta


def half_precision(params):
    """``params`` ({name: array}) rounded to float16's precision, as float32: the very
    numbers a float16 file gives back (to evaluate what will be shipped)."""
    return {name: np.asarray(value, np.float32).astype(np.float16).astype(np.float32)
            for name, value in params.items()}


def summarise(architecture):
    """'Conv2D(20) > ReLU > ...': a short human form of an architecture list."""
    if not isinstance(architecture, list):
        return repr(architecture)
    parts = []
    for layer in architecture:
        size = layer.get("out_channels", layer.get("out_features", layer.get("p")))
        parts.append(f"{layer.get('type')}({size})" if size is not None else str(layer.get("type")))
    return " > ".join(parts)
