"""pycore inside Pyodide (the page's worker) gives what it gives under CPython.

The worker runs the pycore wheel from dist/; CPython runs the repository's pycore. Both
classify the same fixed canvases with the same weights file from dist/.
"""
import importlib.util
import json
import marshal
import zipfile

import numpy as np
import pytest

import build
from pycore import novelty, verdict
from pycore.inference import Classifier
from pycore.preprocess import to_mnist
from tests.e2e import harness
from train.drawing import rasterise

TOLERANCE = 1e-5


def stroke_canvas(size, ink, paper, transparent=False, thickness=0.06, seed=0):
    """A size x size canvas with three thick random strokes (train/drawing.py), on opaque
    paper or transparent; thickness: the pen's half-width as a share of the side."""
    rng = np.random.default_rng(seed)
    strokes = [[tuple(point) for point in rng.uniform(0.2, 0.8, (2, 2)) * size] for _ in range(3)]
    return rasterise(strokes, (size, size), 2 * thickness * size, ink, paper, transparent)


CANVASES = {
    "black on white 280": stroke_canvas(280, (0, 0, 0), (255, 255, 255), seed=1),
    "black on white 400": stroke_canvas(400, (0, 0, 0), (255, 255, 255), seed=2),
    "white on black 200": stroke_canvas(200, (255, 255, 255), (0, 0, 0), seed=3),
    "ink on transparent 300": stroke_canvas(300, (20, 20, 20), (0, 0, 0), transparent=True, seed=4),
    "grey noise 64": np.random.default_rng(5).integers(0, 256, (64, 64, 4), dtype=np.uint8),
    "tall 120x360": stroke_canvas(360, (0, 0, 0), (255, 255, 255), seed=6)[:, 120:240],
    "thin pen 280": stroke_canvas(280, (0, 0, 0), (255, 255, 255), thickness=0.012, seed=7),  # strokes thickened
}


@pytest.fixture(scope="module")
def cpython_classifier(site):
    """The shipped network with the verdict's statistics, as the page's worker loads them."""
    weights = (site.dist / "model" / "mnist-cnn.npz").read_bytes()
    classifier = Classifier.from_bytes(weights)
    classifier.novelty = novelty.from_bytes((site.dist / "model" / "digit-features.npz").read_bytes(), weights)
    return classifier


def test_runtime_versions(app_session):
    info = app_session.evaluate("window.mnistDraw.info")
    assert info["python"].startswith("3.12.")
    assert info["numpy"] == "2.0.2"
    assert info["pyodide"] == "0.27.7"


@pytest.mark.parametrize("name", list(CANVASES))
def test_same_probabilities_and_image(app_session, cpython_classifier, name):
    canvas = CANVASES[name]
    expected = cpython_classifier.classify(canvas)
    got = harness.classify_in_browser(app_session, canvas)
    assert expected is not None and not got["blank"]
    assert np.abs(got["image"] - expected.image).max() <= TOLERANCE
    assert np.abs(got["probabilities"] - expected.probabilities).max() <= TOLERANCE
    assert abs(got["probabilities"].sum() - 1) < 1e-5
    assert got["verdict"] == expected.verdict
    assert got["reason"] == dict(verdict.REASONS)[expected.reason]


def test_same_activations(app_session, cpython_classifier):
    canvas = CANVASES["black on white 280"]
    expected = cpython_classifier.classify(canvas, activations=True)
    got = harness.classify_in_browser(app_session, canvas, activations=True)
    assert set(got["activations"]) == set(expected.activations)
    for name, values in expected.activations.items():
        scale = max(1.0, float(np.abs(values).max()))
        assert np.abs(got["activations"][name] - values.reshape(-1)).max() <= TOLERANCE * scale, name
    assert np.abs(got["probabilities"] - expected.probabilities).max() <= TOLERANCE


@pytest.mark.parametrize("name", ["black on white 280", "white on black 200"])
def test_same_result_for_an_opened_picture(app_session, cpython_classifier, name):
    """Pictures go through pycore.pictures first, in Pyodide as in CPython."""
    rng = np.random.default_rng(7)
    canvas = CANVASES[name].copy()
    shade = np.linspace(0.7, 1.0, canvas.shape[1])[None, :, None]               # uneven light
    canvas[..., :3] = np.clip(canvas[..., :3] * shade + rng.normal(0, 4, canvas[..., :3].shape), 0, 255)
    expected = cpython_classifier.classify(canvas, photo=True)
    got = harness.classify_in_browser(app_session, canvas, photo=True)
    assert expected is not None and not got["blank"]
    assert np.abs(got["image"] - expected.image).max() <= TOLERANCE
    assert np.abs(got["probabilities"] - expected.probabilities).max() <= TOLERANCE


def test_blank_canvas_is_no_digit_in_both(app_session, cpython_classifier):
    blank = np.full((280, 280, 4), 255, np.uint8)
    assert cpython_classifier.classify(blank) is None
    assert to_mnist(blank) is None
    assert harness.classify_in_browser(app_session, blank) == {"blank": True}


def test_wheel_holds_repository_pycore_byte_for_byte(site):
    wheel_path = site.dist / site.manifest["pycore_wheel"]
    repo_files = {f"pycore/{rel.as_posix()}": (harness.ROOT / "pycore" / rel).read_bytes()
                  for rel in build.tree_files(harness.ROOT / "pycore")}
    assert "pycore/__init__.py" in repo_files
    with zipfile.ZipFile(wheel_path) as wheel:
        names = wheel.namelist()
        packaged = {name: wheel.read(name) for name in names if not name.split("/")[0].endswith(".dist-info")}
        info_dirs = {name.split("/")[0] for name in names if name.split("/")[0].endswith(".dist-info")}
        assert len(info_dirs) == 1
        wheel_meta = wheel.read(f"{info_dirs.pop()}/WHEEL").decode()
    compiled = {name: packaged.pop(name) for name in list(packaged) if "/__pycache__/" in name}
    assert packaged == repo_files
    # each module's .pyc where Python looks first: unchecked (used without reading the
    # source), made from the very source beside it, and the same bytecode as compiling it
    sources = {name: data for name, data in repo_files.items() if name.endswith(".py")}
    assert {name.replace("__pycache__/", "").replace(".cpython-312.pyc", ".py") for name in compiled} == set(sources)
    for name, data in compiled.items():
        source = sources[name.replace("__pycache__/", "").replace(".cpython-312.pyc", ".py")]
        assert data[:4] == importlib.util.MAGIC_NUMBER and int.from_bytes(data[4:8], "little") == 0b01, name
        assert data[8:16] == importlib.util.source_hash(source), name
        assert marshal.loads(data[16:]).co_code == compile(source, name, "exec", dont_inherit=True).co_code, name
    assert "Tag: py3-none-any" in wheel_meta and "Root-Is-Purelib: true" in wheel_meta


def test_lockfile_lists_numpy_and_pycore(site):
    lock = json.loads((site.dist / "pyodide" / "pyodide-lock.json").read_text())
    assert set(lock["packages"]) == {"numpy", "pycore"}
    assert lock["packages"]["pycore"]["depends"] == ["numpy"]
    assert lock["info"]["version"] == "0.27.7"
    for entry in lock["packages"].values():
        path = site.dist / "pyodide" / entry["file_name"]
        assert build.sha256_file(path) == entry["sha256"]

