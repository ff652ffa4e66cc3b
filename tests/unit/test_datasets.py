"""Data files (pycore.datasets): round trip, the same bytes each time, and a clear error for
every bad file. The files are made here, small; nothing is downloaded."""
import io
import json

import numpy as np
import pytest

from pycore import datasets
from pycore.datasets import DatasetError

SHA = {"t10k-images-idx3-ubyte": "0" * 64, "t10k-labels-idx1-ubyte": "f" * 64}


def good_meta(indices=(3, 10, 11, 40)):
    return {"format_version": 1, "split": "test", "images_file": "t10k-images-idx3-ubyte",
            "labels_file": "t10k-labels-idx1-ubyte", "sha256": dict(SHA), "range": [0, 10_000],
            "indices": list(indices)}


def good_arrays():
    rng = np.random.default_rng(0)
    return {"images": rng.integers(0, 256, (4, 28, 28), dtype=np.uint8),
            "labels": np.array([7, 2, 1, 7], np.uint8),
            "__meta__": np.frombuffer(json.dumps(good_meta()).encode(), np.uint8)}


def npz_bytes(arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def test_round_trip_keeps_images_labels_and_meta():
    arrays = good_arrays()
    data = datasets.to_bytes(arrays["images"], arrays["labels"], {**good_meta(), "name": "check"})
    loaded = datasets.from_bytes(data)
    assert len(loaded) == 4
    assert loaded.images.dtype == np.uint8 and loaded.images.shape == (4, 28, 28)
    np.testing.assert_array_equal(loaded.images, arrays["images"])
    assert loaded.labels.dtype == np.int64 and loaded.labels.tolist() == [7, 2, 1, 7]
    assert loaded.meta == {**good_meta(), "name": "check"}
    assert loaded.class_counts() == [0, 1, 1, 0, 0, 0, 0, 2, 0, 0]
    assert all(type(count) is int for count in loaded.class_counts())
    floats = loaded.floats()
    assert floats.dtype == np.float32 and floats.shape == (4, 28, 28)
    np.testing.assert_array_equal(floats, arrays["images"] / np.float32(255))
    assert 0 <= floats.min() and floats.max() <= 1


def test_a_file_numpy_wrote_loads_too():
    loaded = datasets.from_bytes(npz_bytes(good_arrays()))
    assert loaded.labels.tolist() == [7, 2, 1, 7]


def test_same_input_gives_the_same_bytes():
    arrays = good_arrays()
    first = datasets.to_bytes(arrays["images"], arrays["labels"], good_meta())
    again = datasets.to_bytes(arrays["images"].copy(), arrays["labels"].astype(np.int64), good_meta())
    assert first == again


def test_to_bytes_refuses_what_from_bytes_would():
    arrays = good_arrays()
    with pytest.raises(DatasetError, match="out of range"):
        datasets.to_bytes(arrays["images"], [7, 2, 10, 7], good_meta())
    with pytest.raises(DatasetError, match="3 indices for 4 images"):
        datasets.to_bytes(arrays["images"], arrays["labels"], good_meta((1, 2, 3)))


def with_meta(**changes):
    meta = {**good_meta(), **changes}
    meta = {key: value for key, value in meta.items() if value is not None}
    return lambda a: a.update({"__meta__": np.frombuffer(json.dumps(meta).encode(), np.uint8)})


@pytest.mark.parametrize("mutate, message", [
    (lambda a: a.pop("images"), "lacks array.*images"),
    (lambda a: a.pop("labels"), "lacks array.*labels"),
    (lambda a: a.pop("__meta__"), "lacks array.*__meta__"),
    (lambda a: a.update({"extra": np.zeros(3, np.uint8)}), "unexpected array.*extra"),
    (lambda a: a.update({"images": np.zeros((4, 28, 27), np.uint8)}), r"images have shape \(4, 28, 27\)"),
    (lambda a: a.update({"images": np.zeros((4, 784), np.uint8)}), r"images have shape \(4, 784\)"),
    (lambda a: a.update({"images": np.zeros((4, 28, 28), np.float32)}), "images have dtype float32"),
    (lambda a: a.update({"labels": np.zeros((4, 1), np.uint8)}), r"labels have shape \(4, 1\)"),
    (lambda a: a.update({"labels": np.zeros(4, np.int64)}), "labels have dtype int64"),
    (lambda a: a.update({"labels": np.array([7, 2, 10, 7], np.uint8)}), "labels out of range: 10"),
    (lambda a: a.update({"labels": np.array([7, 2, 1], np.uint8)}), "4 images but 3 labels"),
    (lambda a: a.update({"images": np.zeros((0, 28, 28), np.uint8), "labels": np.zeros(0, np.uint8)}),
     "holds no images"),
    (lambda a: a.update({"__meta__": np.frombuffer(b"{not json", np.uint8)}), "not valid JSON"),
    (lambda a: a.update({"__meta__": np.frombuffer(b"[1, 2]", np.uint8)}), "expected a JSON object"),
    (with_meta(format_version=2), "format version 2"),
    (with_meta(format_version=None), "format version None"),
    (with_meta(split="validation"), "split 'validation'"),
    (with_meta(images_file="train-images-idx3-ubyte"), "images_file 'train-images-idx3-ubyte'"),
    (with_meta(sha256={"t10k-images-idx3-ubyte": "0" * 64}), "sha256 must give"),
    (with_meta(sha256={**SHA, "t10k-labels-idx1-ubyte": "xyz"}), "sha256 must give"),
    (with_meta(range=[0, 10_001]), r"range \[0, 10001\]"),
    (with_meta(range=None), "range None"),
    (with_meta(indices=[3, 10, 11]), "3 indices for 4 images"),
    (with_meta(indices=[3, 10, 10, 40]), "distinct and increasing"),
    (with_meta(indices=[3, 10.5, 11, 40]), "whole numbers"),
    (with_meta(range=[0, 20]), r"indices 3..40 outside the range \[0, 20\)"),
])
def test_bad_files_give_one_clear_error(mutate, message):
    arrays = good_arrays()
    mutate(arrays)
    with pytest.raises(DatasetError, match=message):
        datasets.from_bytes(npz_bytes(arrays))


@pytest.mark.parametrize("data", [b"", b"not an npz at all", b"PK\x03\x04 truncated zip"])
def test_not_an_npz_is_a_dataset_error(data):
    with pytest.raises(DatasetError, match="not a readable .npz data file"):
        datasets.from_bytes(data)


def test_an_npz_holding_a_pickle_is_refused():
    arrays = good_arrays()
    arrays["labels"] = np.array([7, 2, 1, 7], dtype=object)
    with pytest.raises(DatasetError, match="not a readable"):
        datasets.from_bytes(npz_bytes(arrays))
