"""The page's entry point: canvas pixels in, probabilities, image and activations out."""
import numpy as np
import pytest

from pycore import verdict, weights
from pycore.inference import PACKED, SHOWN_LAYERS, Classifier
from pycore.network import build_network
from pycore.preprocess import to_mnist
from tests.unit.strokes import draw


def classifier():
    return Classifier.from_bytes(weights.to_bytes(build_network(seed=1)))


def test_classify_returns_probabilities_image_and_timings():
    clf = classifier()
    rgba = draw("seven")
    result = clf.classify(rgba)
    assert result.probabilities.shape == (10,) and abs(float(result.probabilities.sum()) - 1) < 1e-5
    np.testing.assert_array_equal(result.image, to_mnist(rgba))
    np.testing.assert_allclose(result.probabilities, clf.probabilities(result.image[None])[0], rtol=1e-6)
    assert result.digit == int(np.argmax(result.probabilities))
    assert set(result.timings) == {"preprocess", "forward"} and result.activations is None


def test_blank_canvas_is_none():
    assert classifier().classify(np.full((50, 50, 4), 255, np.uint8)) is None


def test_activations_come_from_the_same_forward_pass():
    clf = classifier()
    rgba = draw("four")
    plain, detailed = clf.classify(rgba), clf.classify(rgba, activations=True)
    np.testing.assert_allclose(detailed.probabilities, plain.probabilities, rtol=1e-6, atol=1e-7)
    shapes = {k: v.shape for k, v in detailed.activations.items()}
    assert shapes == {"conv1": (24, 24, 20), "conv2": (8, 8, 40), "dense1": (256,)}
    assert all(v.min() >= 0 for v in detailed.activations.values())          # after ReLU
    # the first map is the first convolution of the normalised image, rectified
    x = clf.normalise(detailed.image[None])[0, :, :, 0]
    W, b = clf.net.params["conv1.W"][:, :, 0, 0], clf.net.params["conv1.b"][0]
    direct = max(0.0, float((x[3:8, 10:15] * W).sum() + b))
    assert abs(detailed.activations["conv1"][3, 10, 0] - direct) < 1e-4
    assert clf.kernels().shape == (20, 5, 5) and clf.kernels().flags.c_contiguous
    np.testing.assert_array_equal(clf.kernels()[0], W)


def unpack(flat, activations):
    sizes = list(PACKED.values()) + ([24 * 24 * 20, 8 * 8 * 40, 256] if activations else [])
    assert flat.dtype == np.float32 and flat.shape == (sum(sizes),)
    return np.split(flat, np.cumsum(sizes)[:-1])


def test_packed_layout_names_every_part_of_classify_pixels():
    head = [("probabilities", 10), ("image", 784), ("timings", 2), ("verdict", 2)]
    assert classifier().packed_layout() == head + [("conv1", 24 * 24 * 20), ("conv2", 8 * 8 * 40), ("dense1", 256)]
    assert classifier().packed_layout(activations=False) == head


def test_classify_pixels_packs_what_classify_gives():
    """The worker's one call: bytes in, one flat float32 array out, in PACKED's order."""
    clf = classifier()
    rgba = draw("four")
    for activations in (False, True):
        expected = clf.classify(rgba, activations=activations)
        flat = clf.classify_pixels(rgba.tobytes(), *rgba.shape[:2], activations=activations)
        probabilities, image, timings, codes, *layers = unpack(flat, activations)
        np.testing.assert_array_equal(probabilities, expected.probabilities)
        np.testing.assert_array_equal(image, expected.image.ravel())
        assert (timings >= 0).all()
        assert tuple(codes) == verdict.codes(expected.verdict, expected.reason)
        assert len(layers) == (len(SHOWN_LAYERS) if activations else 0)
        for name, values in zip(SHOWN_LAYERS, layers, strict=False):
            np.testing.assert_array_equal(values, expected.activations[name].ravel())
    photo = np.ascontiguousarray(255 - rgba)       # a light digit on dark "paper"
    photo[..., 3] = 255
    _, image, _, _ = unpack(clf.classify_pixels(memoryview(photo.tobytes()), *photo.shape[:2], photo=True), False)
    np.testing.assert_array_equal(image, clf.classify(photo, photo=True).image.ravel())
    blank = np.full((50, 50, 4), 255, np.uint8)
    assert clf.classify_pixels(blank.tobytes(), 50, 50) is None
    with pytest.raises(ValueError):
        clf.classify_pixels(blank.tobytes(), 50, 49)        # not height * width * 4 bytes


def test_map_shapes_are_the_shown_layers_and_filters_channels_last():
    clf = classifier()
    shapes = clf.map_shapes()
    assert shapes == {"conv1": [24, 24, 20], "conv2": [8, 8, 40], "dense1": [256], "kernels": [20, 5, 5]}
    prediction = clf.classify(draw("seven"), activations=True)
    for name in SHOWN_LAYERS:
        assert list(prediction.activations[name].shape) == shapes[name], name
    assert list(clf.kernels().shape) == shapes["kernels"]
