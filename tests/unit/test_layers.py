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


def test_einsum_matmul_of_a_transposed_view_is_c_contiguous():
    """conv1's columns are a transposed view: the product still comes out row-major (einsum
    would lay it out channel-major), with the same numbers as from a contiguous copy."""
    rng = np.random.default_rng(1)
    cols = rng.standard_normal((25, 576)).astype(np.float32).T          # (576, 25), a view
    w = rng.standard_normal((25, 20)).astype(np.float32)
    got = products.einsum_matmul(cols, w)
    assert got.flags.c_contiguous
    np.testing.assert_array_equal(got, np.einsum("ij,kj->ik", cols, np.ascontiguousarray(w.T)))


def test_network_gives_the_same_with_the_browsers_matrix_product(monkeypatch):
    """The worker's forward pass uses einsum_matmul (no BLAS there): same outputs."""
    net = build_network(seed=0)
    x = np.random.default_rng(1).standard_normal((2, 28, 28, 1)).astype(np.float32)
    expected = net.activations(x)
    monkeypatch.setattr(layers, "matmul", products.einsum_matmul)
    got = net.activations(x)
    for name, output in expected.items():
        assert np.abs(got[name] - output).max() <= 1e-4 * max(1.0, float(np.abs(output).max())), name


def browser_products(monkeypatch):
    """Make the layers compute as they do in the browser (einsum products, FFT convolution)."""
    monkeypatch.setattr(products, "BROWSER", True)
    monkeypatch.setattr(layers, "matmul", products.einsum_matmul)
    monkeypatch.setattr(layers, "matmul_tn", products.einsum_matmul_tn)
    monkeypatch.setattr(layers, "matmul_nt", products.einsum_matmul_nt)
    monkeypatch.setattr(products, "filter_gradient", products.einsum_matmul_tn)
    monkeypatch.setattr(products, "offset_gradients", products.einsum_offset_gradients)
    monkeypatch.setattr(products, "relu", products.where_relu)
    monkeypatch.setattr(products, "masked", products.where_masked)
    monkeypatch.setattr(products, "larger", products.where_larger)


@pytest.mark.parametrize("layout", ["contiguous", "transposed", "wide", "narrow"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_einsum_gradient_products_are_matrix_products(layout, dtype):
    """matmul_tn (a.T @ b) and matmul_nt (a @ b.T) by einsum, for each layout they take."""
    rng = np.random.default_rng(0)
    r, m, n = {"contiguous": (64, 640, 256), "transposed": (576, 25, 20), "wide": (300, 50, 7),
               "narrow": (300, 7, 50)}[layout]
    a = rng.standard_normal((r, m)).astype(dtype)
    if layout == "transposed":                      # conv1's columns: the transpose of (M, R)
        a = np.ascontiguousarray(a.T).T
    b = rng.standard_normal((r, n)).astype(dtype)
    tol = (1e-4 if dtype == np.float32 else 1e-10) * np.sqrt(r)
    got = products.einsum_matmul_tn(a, b)
    assert got.dtype == dtype and np.abs(got - a.astype(np.float64).T @ b.astype(np.float64)).max() <= tol
    w = rng.standard_normal((m, n)).astype(dtype)
    got = products.einsum_matmul_nt(b, w)
    assert got.dtype == dtype and np.abs(got - b.astype(np.float64) @ w.astype(np.float64).T).max() <= tol
    # the forward product of a transposed layout (conv1's columns against its filters)
    got = products.einsum_matmul(a, w)
    assert np.abs(got - a.astype(np.float64) @ w.astype(np.float64)).max() <= tol


@pytest.mark.parametrize("shape", [(3, 12, 20, 40), (2, 28, 1, 20), (2, 9, 3, 4)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fft_convolution_is_the_direct_one(shape, dtype):
    """The FFT convolution (the browser's conv2 for training batches): the same output and
    gradients as im2col, for even and odd sizes."""
    n, size, c, f = shape
    rng = np.random.default_rng(1)
    conv = Conv2D(c, f, 5, rng=rng)
    conv.params = {k: v.astype(dtype) for k, v in conv.params.items()}
    x = rng.standard_normal((n, size, size, c)).astype(dtype)
    out, cache = conv.forward(x)
    fft_out, fft_cache = products.fft_convolution(x, conv.params["W"])
    dout = rng.standard_normal(out.shape).astype(dtype)
    dx, grads = conv.backward(dout, cache)
    fft_dx, fft_dw = products.fft_convolution_backward(dout, fft_cache)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for got, want in ((fft_out, out - conv.params["b"]), (fft_dx, dx), (fft_dw, grads["W"])):
        assert got.dtype == dtype and got.shape == want.shape
        assert np.abs(got - want).max() <= tol * max(1.0, float(np.abs(want).max()))
    assert products.fft_convolution_backward(dout, fft_cache, input_grad=False)[0] is None


def test_conv_gradients_in_the_browsers_way(monkeypatch):
    """Conv2D's backward as the browser computes it (FFT for a batch, einsum and col2im
    below FFT_MIN_BATCH) against numerical gradients."""
    browser_products(monkeypatch)
    monkeypatch.setattr(products, "FFT_MIN_BATCH", 2)
    rng = np.random.default_rng(2)
    for n in (2, 1):        # FFT, then the direct product
        check_layer(as64(Conv2D(3, 4, 3, rng=rng)), rng.standard_normal((n, 6, 6, 3)))
    check_layer(as64(Dense(5, 4, rng=rng)), rng.standard_normal((3, 5)))


def test_a_training_step_is_the_same_in_the_browsers_way(monkeypatch):
    """One SGD step computed with the browser's products gives the same weights as with
    BLAS (tests/parity runs the same step in Pyodide itself)."""
    from pycore.optim import SGD

    def step():
        net = build_network(seed=3)
        rng = np.random.default_rng(4)
        x = rng.standard_normal((32, 28, 28, 1)).astype(np.float32)
        loss, grads = net.loss(x, rng.integers(0, 10, 32), rng=np.random.default_rng(5))
        SGD(net.params, momentum=0.9).step(net.params, grads, 0.01)
        return loss, net.params

    loss, expected = step()
    browser_products(monkeypatch)
    got_loss, got = step()
    assert got_loss == pytest.approx(loss, rel=1e-5)
    for name, value in expected.items():
        assert np.abs(got[name] - value).max() <= 1e-5 * max(1.0, float(np.abs(value).max())), name
