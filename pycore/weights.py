"""Weights as ``.npz`` bytes: one array per parameter plus a JSON metadata entry.

No pickle anywhere (``allow_pickle=False``), so a weights file can hold nothing
but numbers. The same bytes load under CPython and Pyodide; nothing here
touches the file system (callers read and write the bytes).
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


class WeightsError(ValueError):
    """A weights file that cannot be used; the message says why."""


def to_bytes(net, metadata=None):
    """Serialise ``net``'s parameters and ``metadata`` (a JSON-able dict) to .npz bytes."""
    meta = {"format_version": FORMAT_VERSION, "architecture": net.architecture(),
            "normalisation": MNIST_NORMALISATION, **(metadata or {})}
    arrays = {name: np.ascontiguousarray(value, np.float32) for name, value in net.params.items()}
    arrays[META_KEY] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def from_bytes(data, architecture=None):
    """Load a network from .npz bytes; returns (network, metadata).

    The file must describe ``architecture`` (default: network.mnist_architecture) and hold every
    parameter with its exact shape and float32 dtype, and nothing else.
    Anything wrong raises WeightsError naming the problem.
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
        if value.dtype != np.float32:
            raise WeightsError(f"{name} has dtype {value.dtype}, expected float32")
        if not np.isfinite(value).all():
            raise WeightsError(f"{name} holds NaN or infinite values")
    net.set_params(arrays)
    return net, meta


def summarise(architecture):
    """'Conv2D(20) > ReLU > ...': a short human form of an architecture list."""
    if not isinstance(architecture, list):
        return repr(architecture)
    parts = []
    for layer in architecture:
        size = layer.get("out_channels", layer.get("out_features", layer.get("p")))
        parts.append(f"{layer.get('type')}({size})" if size is not None else str(layer.get("type")))
    return " > ".join(parts)
