"""Weights files: bit-exact round trip, and a clear error for every bad file."""
import io
import json

import numpy as np
import pytest

from pycore import weights
from pycore.network import build_network, mnist_architecture
from pycore.weights import WeightsError


def npz_bytes(arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def good_arrays():
    with np.load(io.BytesIO(weights.to_bytes(build_network(seed=0))), allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


def meta_array(meta):
    return np.frombuffer(json.dumps(meta).encode(), np.uint8)


def test_round_trip_is_bit_exact_and_keeps_metadata():
    net = build_network(seed=4)
    data = weights.to_bytes(net, {"held_out": {"correct": 9999}})
    loaded, meta = weights.from_bytes(data)
    for name, value in net.params.items():
        assert loaded.params[name].dtype == np.float32
        np.testing.assert_array_equal(loaded.params[name], value)
    assert meta["held_out"] == {"correct": 9999}
    assert meta["architecture"] == mnist_architecture()
    assert meta["normalisation"] == weights.MNIST_NORMALISATION
    x = np.random.default_rng(0).standard_normal((2, 28, 28, 1)).astype(np.float32)
    np.testing.assert_array_equal(loaded.predict(x), net.predict(x))


def test_float16_files_load_as_float32_and_give_back_the_rounded_network():
    net = build_network(seed=4)
    data = weights.to_bytes(net, {"epoch": 3}, np.float16)
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        assert {npz[name].dtype for name in net.params} == {np.dtype(np.float16)}
    assert len(data) < 0.6 * len(weights.to_bytes(net))
    loaded, meta = weights.from_bytes(data)
    rounded = weights.half_precision(net.params)
    for name, value in loaded.params.items():
        assert value.dtype == np.float32
        np.testing.assert_array_equal(value, rounded[name])
        np.testing.assert_allclose(value, net.params[name], rtol=1e-3, atol=1e-4)
    assert meta["epoch"] == 3
    again, _ = weights.from_bytes(weights.to_bytes(loaded, {}, np.float16))   # rounding twice changes nothing
    for name, value in again.params.items():
        np.testing.assert_array_equal(value, loaded.params[name])


def test_to_bytes_refuses_other_dtypes_and_values_float16_cannot_hold():
    net = build_network(seed=0)
    with pytest.raises(WeightsError, match="float32 or float16, not float64"):
        weights.to_bytes(net, {}, np.float64)
    net.set_params({**net.params, "dense2.b": np.full(10, 1e6, np.float32)})
    with pytest.raises(WeightsError, match="dense2.b holds values float16 cannot store"):
        weights.to_bytes(net, {}, np.float16)


@pytest.mark.parametrize("mutate, message", [
    (lambda a: a.pop("dense1.b"), "lacks array.*dense1.b"),
    (lambda a: a.update({"extra": np.zeros(3, np.float32)}), "unexpected array.*extra"),
    (lambda a: a.update({"conv2.W": np.zeros((5, 5, 20, 41), np.float32)}), r"conv2.W has shape \(5, 5, 20, 41\)"),
    (lambda a: a.update({"conv1.b": np.zeros(20, np.float64)}), "conv1.b has dtype float64, expected float32 or"),
    (lambda a: a.update({"conv1.W": np.zeros((5, 5, 1, 20), np.int8)}), "conv1.W has dtype int8"),
    (lambda a: a.update({"dense1.W": np.zeros((640, 256), np.float64)}), "dense1.W has dtype float64"),
    (lambda a: a.update({"dense2.b": np.full(10, np.inf, np.float16)}), "dense2.b holds NaN or infinite"),
    (lambda a: a.update({"dense2.b": np.full(10, np.nan, np.float32)}), "dense2.b holds NaN"),
    (lambda a: a.pop("__meta__"), "no '__meta__'"),
    (lambda a: a.update({"__meta__": np.frombuffer(b"{not json", np.uint8)}), "not valid JSON"),
    (lambda a: a.update({"__meta__": meta_array({"format_version": 99, "architecture": mnist_architecture()})}),
     "format version 99"),
    (lambda a: a.update({"__meta__": meta_array({"format_version": 1,
                                                 "architecture": mnist_architecture()[:4]})}),
     "different architecture"),
])
def test_bad_files_give_one_clear_error(mutate, message):
    arrays = good_arrays()
    mutate(arrays)
    with pytest.raises(WeightsError, match=message):
        weights.from_bytes(npz_bytes(arrays))


@pytest.mark.parametrize("data", [b"", b"hello, not a zip", None])
def test_corrupt_bytes(data):
    good = weights.to_bytes(build_network(seed=0))
    if data is None:                      # truncated in the middle
        data = good[: len(good) // 2]
    with pytest.raises(WeightsError, match="not a readable .npz"):
        weights.from_bytes(data)


def test_flipped_byte_in_compressed_data_is_caught():
    good = bytearray(weights.to_bytes(build_network(seed=0)))
    good[len(good) // 3] ^= 0xFF          # inside some array's compressed stream
    with pytest.raises(WeightsError):
        weights.from_bytes(bytes(good))


def test_pickled_objects_are_refused():
    buffer = io.BytesIO()
    np.savez(buffer, **{**good_arrays(), "conv1.b": np.array([object()], dtype=object)})
    with pytest.raises(WeightsError):
        weights.from_bytes(buffer.getvalue())
