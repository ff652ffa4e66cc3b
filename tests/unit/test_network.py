"""The whole network: shapes, an end-to-end gradient check, and behaviour."""
import subprocess
import sys

import numpy as np
import pytest

from pycore import weights
from pycore.layers import softmax_cross_entropy
from pycore.network import Network, build_network, mnist_architecture
from tests.unit.gradcheck import rel_error


def small_images(n, seed=0):
    return np.random.default_rng(seed).standard_normal((n, 28, 28, 1))


def test_mnist_architecture_shapes_and_parameter_names():
    net = build_network(seed=0)
    shapes = {k: v.shape for k, v in net.params.items()}
    assert shapes == {"conv1.W": (5, 5, 1, 20), "conv1.b": (20,), "conv2.W": (5, 5, 20, 40), "conv2.b": (40,),
                      "dense1.W": (640, 256), "dense1.b": (256,), "dense2.W": (256, 10), "dense2.b": (10,)}
    assert all(v.dtype == np.float32 for v in net.params.values())
    logits, _ = net.forward(small_images(3).astype(np.float32))
    assert logits.shape == (3, 10) and logits.dtype == np.float32
    assert [layer["type"] for layer in net.architecture()] == [layer["type"] for layer in mnist_architecture()]


def test_he_initialisation_is_seeded():
    a, b, c = build_network(seed=1), build_network(seed=1), build_network(seed=2)
    for name in a.params:
        np.testing.assert_array_equal(a.params[name], b.params[name])
    assert not np.array_equal(a.params["conv1.W"], c.params["conv1.W"])
    W = build_network(seed=3).params["dense1.W"]
    assert np.std(W) == pytest.approx(np.sqrt(2 / 640), rel=0.05)


def test_whole_network_gradient_check_float64():
    """Every parameter's gradient through all twelve layers, dropout on with a fixed mask."""
    net = build_network(seed=0).astype(np.float64)
    x = 0.3 * small_images(2, seed=1)          # moderate logits: no vanishing class probabilities
    labels = np.array([3, 7])

    def loss():
        logits, _ = net.forward(x, training=True, rng=np.random.default_rng(5))
        return softmax_cross_entropy(logits, labels)[0]

    _, grads = net.loss(x, labels, training=True, rng=np.random.default_rng(5))
    check = np.random.default_rng(2)
    for name, p in net.params.items():
        flat, g = p.reshape(-1), grads[name].reshape(-1)
        picks = check.choice(flat.size, size=min(12, flat.size), replace=False)
        numeric, analytic = [], []
        for i in picks:
            old = flat[i]
            flat[i] = old + 1e-5
            plus = loss()
            flat[i] = old - 1e-5
            minus = loss()
            flat[i] = old
            numeric.append((plus - minus) / 2e-5)
            analytic.append(g[i])
        assert rel_error(np.array(analytic), np.array(numeric)) < 1e-6, name


def test_predict_is_deterministic_and_sums_to_one():
    net = build_network(seed=0)
    x = small_images(7).astype(np.float32)
    p1, p2 = net.predict(x, batch_size=3), net.predict(x)
    np.testing.assert_allclose(p1, p2, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(p1.sum(axis=1), 1, rtol=1e-5)
    assert net.predict(x[:0]).shape == (0, 10)


def test_one_sgd_step_raises_the_true_class_probability():
    net = build_network(seed=0)
    x = small_images(8).astype(np.float32)
    labels = np.arange(8)
    before = net.predict(x)[np.arange(8), labels]
    _, grads = net.loss(x, labels, training=False)
    for name, p in net.params.items():
        p -= 0.01 * grads[name]
    after = net.predict(x)[np.arange(8), labels]
    assert np.mean(after) > np.mean(before)


def test_can_overfit_a_few_examples():
    net = build_network(seed=0)
    rng = np.random.default_rng(0)
    x = small_images(10, seed=4).astype(np.float32)
    labels = np.arange(10)
    first = None
    for _ in range(30):
        loss, grads = net.loss(x, labels, training=True, rng=rng)
        first = loss if first is None else first
        for name, p in net.params.items():
            p -= 0.02 * grads[name]
    assert first > 1.0
    assert (net.predict(x).argmax(axis=1) == labels).all()


def test_network_rejects_duplicate_names_and_unknown_layers():
    with pytest.raises(ValueError, match="unique"):
        Network([("a", None), ("a", None)])
    with pytest.raises(ValueError, match="unknown layer"):
        Network.from_architecture([{"name": "x", "type": "Attention"}])


def test_seed_none_builds_zero_weights_of_the_same_shapes():
    zero, he = Network.from_architecture(mnist_architecture(), seed=None), build_network(seed=0)
    assert {k: v.shape for k, v in zero.params.items()} == {k: v.shape for k, v in he.params.items()}
    assert all(v.dtype == np.float32 and not v.any() for v in zero.params.values())
    assert all(he.params[k].any() for k in he.params if k.endswith(".W"))


def test_loading_weights_needs_no_random_numbers(tmp_path):
    """The page loads the weights right after importing numpy; numpy.random (a tenth of a
    second under Pyodide) must not be imported on that path."""
    path = tmp_path / "weights.npz"
    path.write_bytes(weights.to_bytes(build_network(seed=0)))
    code = ("import sys, pathlib\n"
            "from pycore import inference\n"
            f"inference.Classifier.from_bytes(pathlib.Path({str(path)!r}).read_bytes())\n"
            "assert 'numpy.random' not in sys.modules, 'numpy.random was imported'\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_summary_gives_each_layers_real_output_shape_and_parameter_count():
    """Network.summary, which the page's layer table shows, against a real forward pass."""
    net = build_network(seed=0)
    rows = net.summary()
    assert rows[0] == {"name": "input", "type": "", "does": "28×28 grey image, normalised", "output": [28, 28, 1],
                       "parameters": 0}
    assert [row["name"] for row in rows[1:]] == [name for name, _ in net.layers]
    x = small_images(2)                                             # (2, 28, 28, 1)
    for row, (name, layer) in zip(rows[1:], net.layers, strict=True):
        x, _ = layer.forward(x)
        assert row["output"] == list(x.shape[1:]), name
        assert row["parameters"] == sum(v.size for k, v in net.params.items() if k.startswith(f"{name}.")), name
        assert row["type"] == type(layer).__name__
        assert set(row) == {"name", "type", "does", "output", "parameters"}
    assert sum(row["parameters"] for row in rows) == sum(v.size for v in net.params.values()) == 187226
    does = {row["name"]: row["does"] for row in rows}
    assert does["conv1"] == "20 filters 5×5 over 1 channel(s), stride 1"
    assert does["conv2"] == "40 filters 5×5 over 20 channel(s), stride 1"
    assert does["pool1"] == "max over 2×2, stride 2"
    assert does["drop1"] == "drops 20 % while training only"
    assert does["relu1"] == "max(0, x)" and does["flatten"] == "to one vector"
    assert does["dense1"] == "fully connected 640 → 256"
    assert does["dense2"] == "fully connected 256 → 10, then softmax"
