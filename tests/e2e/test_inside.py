"""Inside the network and the training story (issue 5): the layers' outputs after each
prediction, the first layer's filters, and the About section's charts drawn from
model/metrics.json."""
import json

import numpy as np
import pytest

from pycore.inference import Classifier
from tests.e2e import harness

SHAPES = {"conv1": (24, 24, 20), "conv2": (8, 8, 40), "dense1": (256,)}


def shown_maxima(page, layer):
    values = page.eval_on_selector_all(f'#maps-{layer} .map', "ms => ms.map(m => m.dataset.max)")
    return np.array([float(v) for v in values])


@pytest.fixture(scope="module")
def classifier(site):
    return Classifier.from_bytes((site.dist / "model" / "mnist-cnn.npz").read_bytes())


def test_feature_maps_appear_match_cpython_and_change_with_the_drawing(ready_page, classifier):
    page = ready_page
    assert page.locator("#maps-conv1 .map").count() == 20
    assert page.locator("#maps-conv2 .map").count() == 40
    assert page.locator("#maps-dense1 .map").count() == 1
    seen = {}
    for digit in ("1", "0"):
        page.click("#clear")
        assert page.get_attribute("#inside", "data-shown") == "false"
        updates = int(page.get_attribute("#inside", "data-updates"))
        harness.draw_strokes(page, harness.shape_points(digit))
        assert int(page.get_attribute("#inside", "data-updates")) > updates
        assert page.get_attribute("#inside", "data-shown") == "true"
        expected = classifier.classify(harness.canvas_rgba(page, "#network-input"), activations=True)
        for layer, shape in SHAPES.items():
            assert expected.activations[layer].shape == shape
        channels = {"conv1": 20, "conv2": 40}
        for layer, count in channels.items():
            maxima = shown_maxima(page, layer)
            want = expected.activations[layer].reshape(-1, count).max(axis=0)
            np.testing.assert_allclose(maxima, want, atol=2e-4, rtol=1e-4)
        np.testing.assert_allclose(shown_maxima(page, "dense1"),
                                   [expected.activations["dense1"].max()], atol=2e-4, rtol=1e-4)
        # the pixels drawn are the activations scaled by the layer's maximum
        conv1 = harness.map_rgba(page, "conv1", 3)[..., 0] / 255
        top = expected.activations["conv1"].max()
        assert np.abs(conv1 - expected.activations["conv1"][..., 3] / top).max() <= 1 / 255 + 1e-6
        seen[digit] = shown_maxima(page, "conv2")
    assert not np.allclose(seen["1"], seen["0"])


def test_kernels_are_the_first_layers_filters(ready_page, classifier):
    page = ready_page
    page.wait_for_selector("#kernels .map[data-max]")
    kernels = classifier.kernels()
    extent = np.abs(kernels).max()
    for index in (0, 7, 19):
        shown = harness.map_rgba(page, "kernels", index)[..., 0] / 255
        assert np.abs(shown - (0.5 + 0.5 * kernels[index] / extent)).max() <= 1 / 255 + 1e-6


def test_pointing_at_or_focusing_a_map_enlarges_it(ready_page):
    page = ready_page
    harness.draw_strokes(page, harness.shape_points("7"))
    page.hover('#maps-conv2 .map[data-index="5"]')
    assert page.get_attribute("#zoom", "data-layer") == "conv2"
    assert page.get_attribute("#zoom", "data-index") == "5"
    small = harness.map_rgba(page, "conv2", 5)
    assert small.shape == (8, 8, 4) and (small[..., 3] == 255).all() and small[..., 0].max() > 0
    assert (harness.canvas_rgba(page, "#zoom") == small).all()
    assert "map 6 of 40" in page.inner_text(".zoom figcaption")
    # the button pointed at covers its map on the layer's canvas
    button = page.locator('#maps-conv2 .map[data-index="5"]').bounding_box()
    sheet = page.locator("#maps-conv2 canvas.sheet").bounding_box()
    unit = sheet["width"] / int(page.get_attribute("#maps-conv2 canvas.sheet", "width"))
    assert abs(button["x"] - (sheet["x"] + 5 * 9 * unit)) < 1 and abs(button["width"] - 8 * unit) < 1
    assert page.locator("#zoom").bounding_box()["width"] > 4 * button["width"]
    page.focus('#maps-conv1 .map[data-index="0"]')
    page.keyboard.press("ArrowRight")    # keyboard users reach the next map (one tab stop a grid)
    assert page.get_attribute("#zoom", "data-layer") == "conv1"
    assert page.get_attribute("#zoom", "data-index") == "1"


def test_training_charts_and_confusion_matrix_match_the_metrics_file(ready_page, site):
    metrics = json.loads((site.dist / "model" / "metrics.json").read_text())
    page = ready_page
    page.wait_for_selector("body[data-story=ready]")
    for key in ("train_loss", "train_accuracy"):
        points = page.eval_on_selector_all(
            f'svg circle[data-series="{key}"]', "cs => cs.map(c => [c.dataset.epoch, c.dataset.value])")
        assert [(int(e), float(v)) for e, v in points] == [(row["epoch"], row[key]) for row in metrics["history"]]
    validation = metrics.get("validation_history") or []
    points = page.eval_on_selector_all('svg circle[data-series="val_accuracy"]',
                                       "cs => cs.map(c => [c.dataset.epoch, c.dataset.value])")
    assert [(int(e), float(v)) for e, v in points] == [
        (row["epoch"], row["val_accuracy"]) for row in validation if "val_accuracy" in row]
    cells = page.eval_on_selector_all(
        "#confusion td", "cs => cs.map(c => [c.dataset.true, c.dataset.predicted, c.dataset.count, c.textContent])")
    matrix = np.zeros((10, 10), int)
    for true, predicted, count, text in cells:
        assert count == text
        matrix[int(true), int(predicted)] = int(count)
    assert len(cells) == 100
    assert (matrix == np.array(metrics["test"]["confusion"])).all()
    assert np.trace(matrix) == metrics["test"]["correct"]
    shown = page.eval_on_selector_all(
        "#mistakes li", "ls => ls.map(l => [Number(l.dataset.index), Number(l.dataset.label), "
                        "Number(l.dataset.predicted), l.innerText])")
    assert [tuple(s[:3]) for s in shown] == [
        (m["index"], m["label"], m["predicted"]) for m in metrics["test_mistakes"]]
    assert all(f"read as {s[2]}" in s[3] for s in shown)
    first = harness.canvas_rgba(page, "#mistakes li:first-child img")[..., 0]
    assert (first.reshape(-1) == np.array(metrics["test_mistakes"][0]["pixels"])).all()
