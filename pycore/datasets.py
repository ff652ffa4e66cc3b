"""MNIST samples as ``.npz`` bytes: images, labels and a JSON entry saying where they came from.

The page's data files (``data/mnist-replay.npz``, ``data/mnist-check.npz``, made by
build.py) are read here, in the browser as under CPython. No pickle anywhere
(``allow_pickle=False``), so a data file can hold nothing but numbers; nothing here
touches the file system (callers read and write the bytes).

A file holds exactly three arrays:

    images     (N, 28, 28) uint8     MNIST's grey levels, 0 background .. 255 ink
    labels     (N,) uint8            the digit, 0-9
    __meta__   JSON as uint8 bytes   format_version, split, the MNIST files and their
                                     sha256, the index range and the indices taken

``meta["indices"][i]`` is the index of image i in the MNIST file it was taken from;
the indices are distinct, increasing and inside ``meta["range"]`` ([start, stop)).
"""
import io
import json
import re
import zipfile
import zlib
from dataclasses import dataclass

import numpy as np

FORMAT_VERSION = 1
META_KEY = "__meta__"
IMAGE_SHAPE = (28, 28)
CLASSES = 10
# split: (images file, labels file, images in the file)
MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", 60_000),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 10_000),
}
SHA256 = re.compile(r"^[0-9a-f]{64}$")
# Fixed zip timestamps: the same arrays and meta give the same bytes (np.savez stamps the
# time of writing).
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


class DatasetError(ValueError):
    """A data file that cannot be used; the message says why."""


@dataclass(frozen=True, eq=False)
class Dataset:
    """images (N, 28, 28) uint8, labels (N,) int64 in 0-9, meta: the file's JSON entry."""

    images: np.ndarray
    labels: np.ndarray
    meta: dict

    def __len__(self):
        return len(self.labels)

    def floats(self):
        """(N, 28, 28) float32 in [0, 1]: the images as the network's input before normalising."""
        return self.images.astype(np.float32) / 255

    def class_counts(self):
        """How many images of each digit: a list of 10 plain ints (they cross into JS as numbers)."""
        # bincount takes intp, which is int32 in Pyodide (wasm32): int64 will not cast 'safe'ly
        return [int(count) for count in np.bincount(self.labels.astype(np.intp), minlength=CLASSES)]


def to_bytes(images, labels, meta):
    """images (N, 28, 28) uint8, labels (N,) in 0-9, meta (a JSON-able dict, checked as
    from_bytes checks it) -> .npz bytes, deflated, the same bytes for the same input."""
    images = np.ascontiguousarray(images)
    labels = np.asarray(labels)
    if labels.dtype.kind in "iu" and labels.size:
        if labels.min() < 0 or labels.max() >= CLASSES:
            raise DatasetError(f"labels out of range: {int(labels.min())}..{int(labels.max())} (digits are 0-9)")
        labels = labels.astype(np.uint8)
    meta = {"format_version": FORMAT_VERSION, **meta}
    check(images, labels, meta)
    arrays = {"images": images, "labels": labels,
              META_KEY: np.frombuffer(json.dumps(meta, sort_keys=True).encode(), np.uint8)}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as npz:
        for name, array in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, array, allow_pickle=False)
            item = zipfile.ZipInfo(f"{name}.npy", ZIP_EPOCH)
            item.external_attr = 0o644 << 16
            npz.writestr(item, member.getvalue(), zipfile.ZIP_DEFLATED, 9)
    return buffer.getvalue()


def from_bytes(data):
    """.npz bytes -> Dataset. Anything wrong raises DatasetError naming the problem."""
    try:
        with np.load(io.BytesIO(bytes(data)), allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError, zlib.error) as exc:
        raise DatasetError(f"not a readable .npz data file (corrupt or truncated?): {exc}") from exc

    missing = [name for name in ("images", "labels", META_KEY) if name not in arrays]
    if missing:
        raise DatasetError(f"data file lacks array(s): {', '.join(missing)}")
    extra = sorted(set(arrays) - {"images", "labels", META_KEY})
    if extra:
        raise DatasetError(f"data file has unexpected array(s): {', '.join(extra)}")
    try:
        meta = json.loads(arrays[META_KEY].tobytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DatasetError(f"data file metadata is not valid JSON: {exc}") from exc
    check(arrays["images"], arrays["labels"], meta)
    return Dataset(images=arrays["images"], labels=arrays["labels"].astype(np.int64), meta=meta)


def check(images, labels, meta):
    """Raise DatasetError unless the arrays and meta make a data file of this format."""
    if not isinstance(meta, dict):
        raise DatasetError(f"data file metadata is {type(meta).__name__}, expected a JSON object")
    if meta.get("format_version") != FORMAT_VERSION:
        raise DatasetError(f"data format version {meta.get('format_version')!r}, "
                           f"this code reads version {FORMAT_VERSION}")
    if images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE:
        raise DatasetError(f"images have shape {images.shape}, expected (N, 28, 28)")
    if images.dtype != np.uint8:
        raise DatasetError(f"images have dtype {images.dtype}, expected uint8")
    if labels.ndim != 1:
        raise DatasetError(f"labels have shape {labels.shape}, expected (N,)")
    if labels.dtype != np.uint8:
        raise DatasetError(f"labels have dtype {labels.dtype}, expected uint8")
    if len(images) != len(labels):
        raise DatasetError(f"{len(images)} images but {len(labels)} labels")
    if len(labels) == 0:
        raise DatasetError("data file holds no images")
    if labels.max() >= CLASSES:
        raise DatasetError(f"labels out of range: {int(labels.max())} (digits are 0-9)")
    check_meta(meta, len(labels))


def check_meta(meta, count):
    """The metadata names a split, its MNIST files with their sha256, and `count` indices
    into them, distinct and increasing, inside meta["range"]."""
    split = meta.get("split")
    if split not in MNIST_FILES:
        raise DatasetError(f"data file metadata: split {split!r}, expected one of {sorted(MNIST_FILES)}")
    images_file, labels_file, size = MNIST_FILES[split]
    for key, name in (("images_file", images_file), ("labels_file", labels_file)):
        if meta.get(key) != name:
            raise DatasetError(f"data file metadata: {key} {meta.get(key)!r}, expected {name!r} for split {split!r}")
    digests = meta.get("sha256")
    if not isinstance(digests, dict) or sorted(digests) != sorted((images_file, labels_file)) \
            or not all(isinstance(d, str) and SHA256.match(d) for d in digests.values()):
        raise DatasetError(f"data file metadata: sha256 must give the 64-hex-digit sha256 of "
                           f"{images_file} and {labels_file}, got {digests!r}")
    span = meta.get("range")
    if not (isinstance(span, list) and len(span) == 2 and all(type(v) is int for v in span)
            and 0 <= span[0] < span[1] <= size):
        raise DatasetError(f"data file metadata: range {span!r}, expected [start, stop] within 0-{size}")
    indices = meta.get("indices")
    if not isinstance(indices, list) or not all(type(i) is int for i in indices):
        raise DatasetError("data file metadata: indices must be a list of whole numbers")
    if len(indices) != count:
        raise DatasetError(f"data file metadata lists {len(indices)} indices for {count} images")
    if any(b <= a for a, b in zip(indices, indices[1:], strict=False)):
        raise DatasetError("data file metadata: indices must be distinct and increasing")
    if indices[0] < span[0] or indices[-1] >= span[1]:
        raise DatasetError(f"data file metadata: indices {indices[0]}..{indices[-1]} "
                           f"outside the range [{span[0]}, {span[1]})")
