"""Every layer's backward pass against numerical gradients, in float64."""
import numpy as np
import pytest

from pycore import layers, products
from pycore.layers import Conv2D, Dense, Dropout, Flatten, MaxPool2D, ReLU, softmax, softmax_cross_entropy
from pycore.network import build_network
from tests.unit.gradcheck import numerical_gradient, rel_error


def as64(layer):
    layer.params = {k: v.astype(np.float64) for k, v in layer.params.items()}
    return layer


def check_layer(layer, x, training=False, seed=0, tol=1e-6):
    """Compare backward's dx and parameter gradients with centred differences."""
    rng = np.random.default_rng(seed)

    def run():
        # the same dropout mask on every call
        return layer.forward(x, training=training, rng=np.random.default_rng(seed))[0]

    out, cache = layer.forward(x, training=training, rng=np.random.default_rng(seed))
    dout = rng.standard_normal(out.shape)
    dx, grads = layer.backward(dout, cache)
    if dx is not None:
        assert dx.shape == x.shape
        assert rel_error(dx, numerical_gradient(run, x, dout)) < tol
    for name, p in layer.params.items():
        assert grads[name].shape == p.shape
        assert rel_error(grads[name], numerical_gradient(run, p, dout)) < tol, name


def test_conv2d_gradients():
    rng = np.random.default_rng(1)
    layer = as64(Conv2D(3, 4, 3, rng=rng))
    layer.params["b"] = rng.standard_normal(4)
    check_layer(layer, rng.standard_normal((2, 7, 6, 3)))


def test_conv2d_single_channel_gradients():
    rng = np.random.default_rng(2)
    layer = as64(Conv2D(1, 3, 5, rng=rng))
    check_layer(layer, rng.standard_normal((2, 8, 9, 1)))


def test_conv2d_matches_direct_convolution():
    rng = np.random.default_rng(3)
    layer = as64(Conv2D(2, 3, 3, rng=rng))
    x = rng.standard_normal((2, 5, 6, 2))
    out, _ = layer.forward(x)
    W, b = layer.params["W"], layer.params["b"]
    expected = np.zeros((2, 3, 4, 3))
    for n in range(2):
        for r in range(3):
            for c in range(4):
                patch = x[n, r:r + 3, c:c + 3, :]                      # (3, 3, C)
                expected[n, r, c] = np.tensordot(patch, W, axes=3) + b
    assert out.shape == (2, 3, 4, 3)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


def test_first_layer_skips_input_gradient():
    layer = Conv2D(1, 2, 3, input_grad=False)
    out, cache = layer.forward(np.ones((1, 5, 5, 1), np.float32))
    dx, grads = layer.backward(np.ones_like(out), cache)
    assert dx is None and set(grads) == {"W", "b"}


def test_maxpool_gradients_and_routing():
    rng = np.random.default_rng(4)
    x = rng.permutation(2 * 4 * 6 * 3).reshape(2, 4, 6, 3).astype(np.float64)  # distinct values: no ties
    check_layer(MaxPool2D(), x)
    out, cache = MaxPool2D().forward(x)
    assert out.shape == (2, 2, 3, 3)
    dx, _ = MaxPool2D().backward(np.ones_like(out), cache)
    # exactly one pixel per window gets the gradient, and it is the window's maximum
    assert dx.sum() == out.size
    windows = x.reshape(2, 2, 2, 3, 2, 3)
    dwin = dx.reshape(2, 2, 2, 3, 2, 3)
    assert np.all((dwin == 1) == (windows == windows.max(axis=(2, 4), keepdims=True)))


def test_maxpool_rejects_odd_sizes():
    with pytest.raises(ValueError, match="even"):
        MaxPool2D().forward(np.zeros((1, 5, 4, 1)))


def test_relu_gradients():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 4, 5, 2))
    x[np.abs(x) < 1e-3] = 0.5                                          # keep away from the kink
    check_layer(ReLU(), x)


def test_dense_gradients():
    rng = np.random.default_rng(6)
    layer = as64(Dense(7, 5, rng=rng))
    layer.params["b"] = rng.standard_normal(5)
    check_layer(layer, rng.standard_normal((4, 7)))


def test_flatten_gradients_and_order():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 3, 4, 5))
    check_layer(Flatten(), x)
    out, _ = Flatten().forward(x)
    np.testing.assert_array_equal(out[1], x[1].reshape(-1))


def test_dropout_gradients_in_training():
    rng = np.random.default_rng(8)
    check_layer(Dropout(0.3), rng.standard_normal((4, 6, 6, 2)), training=True)


def test_dropout_is_identity_at_inference_and_inverted_in_training():
    x = np.ones((200, 50), np.float32)
    out, _ = Dropout(0.2).forward(x, training=False)
    assert out is x
    out, _ = Dropout(0.2).forward(x, training=True, rng=np.random.default_rng(0))
    kept = out != 0
    assert abs(kept.mean() - 0.8) < 0.01                              # drops about p of the units
    np.testing.assert_allclose(out[kept], 1 / 0.8, rtol=1e-6)         # survivors scaled by 1/(1-p)
    again, _ = Dropout(0.2).forward(x, training=True, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(out, again)                         # deterministic under a seed


def test_softmax_cross_entropy_gradient_and_stability():
    rng = np.random.default_rng(9)
    logits = rng.standard_normal((5, 10))
    labels = rng.integers(0, 10, 5)
    loss, dlogits = softmax_cross_entropy(logits, labels)
    numeric = numerical_gradient(lambda: np.array(softmax_cross_entropy(logits, labels)[0]), logits, np.array(1.0))
    assert rel_error(dlogits, numeric) < 1e-6
    probs = softmax(logits)
    assert loss == pytest.approx(-np.log(probs[np.arange(5), labels]).mean())
    # label smoothing: the loss against q = 0.9 onehot + 0.01, and its gradient
    smooth, dsmooth = softmax_cross_entropy(logits, labels, smoothing=0.1)
    q = np.full((5, 10), 0.01)
    q[np.arange(5), labels] += 0.9
    assert smooth == pytest.approx(-(q * np.log(probs)).sum(axis=1).mean())
    numeric = numerical_gradient(lambda: np.array(softmax_cross_entropy(logits, labels, 0.1)[0]), logits, np.array(1.0))
    assert rel_error(dsmooth, numeric) < 1e-6
    # target distributions (a teacher's soft answers): one-hot rows give the same as labels
    onehot_loss, donehot = softmax_cross_entropy(logits, np.eye(10)[labels])
    assert onehot_loss == pytest.approx(loss)
    np.testing.assert_allclose(donehot, dlogits)
    soft = softmax(rng.standard_normal((5, 10)))
    value, dsoft = softmax_cross_entropy(logits, soft, smoothing=0.1)
    q = 0.9 * soft + 0.01
    assert value == pytest.approx(-(q * np.log(probs)).sum(axis=1).mean()) and value != pytest.approx(loss)
    numeric = numerical_gradient(lambda: np.array(softmax_cross_entropy(logits, soft, 0.1)[0]), logits, np.array(1.0))
    assert rel_error(dsoft, numeric) < 1e-6
    # huge logits: no overflow, no NaN
    big = np.array([[1000.0, 0.0, -1000.0]])
    loss, d = softmax_cross_entropy(big, np.array([0]))
    assert np.isfinite(loss) and loss == pytest.approx(0.0) and np.all(np.isfinite(d))
    np.testing.assert_allclose(softmax(big).sum(axis=1), 1.0)


@pytest.mark.parametrize("shape", [(1, 640, 256), (64, 500, 40), (576, 25, 20), (3, 7, 1)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_einsum_matmul_is_a_matrix_product(shape, dtype):
    m, k, n = shape
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((k, n)).astype(dtype)
    got = products.einsum_matmul(a, b)
    assert got.dtype == dtype and got.shape == (m, n)
    exact = a.astype(np.float64) @ b.astype(np.float64)
    assert np.abs(got - exact).max() <= (1e-4 if dtype == np.float32 else 1e-10) * np.sqrt(k)


def test_network_gives_the_same_with_the_browsers_matrix_product(monkeypatch):
    """The worker's forward pass uses einsum_matmul (no BLAS there): same outputs."""
    net = build_network(seed=0)
    x = np.random.default_rng(1).standard_normal((2, 28, 28, 1)).astype(np.float32)
    expected = net.activations(x)
    monkeypatch.setattr(layers, "matmul", products.einsum_matmul)
    got = net.activations(x)
    for name, output in expected.items():
        assert np.abs(got[name] - output).max() <= 1e-4 * max(1.0, float(np.abs(output).max())), name
