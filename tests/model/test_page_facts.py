"""The committed metrics.json holds the page's facts as the code derives them now, from
the committed weights and the settings the run recorded (python -m train.export --refresh)."""
import json
from pathlib import Path

from pycore import weights
from train.export import METRICS_NAME, WEIGHTS_NAME, page_facts

MODEL = Path(__file__).resolve().parents[2] / "web" / "model"


def test_committed_layers_and_settings_are_what_the_code_derives():
    metrics = json.loads((MODEL / METRICS_NAME).read_text())
    net, _ = weights.from_bytes((MODEL / WEIGHTS_NAME).read_bytes())
    facts = page_facts(net, metrics["hyperparameters"])
    assert metrics["layers"] == facts["layers"]
    assert metrics["settings"] == facts["settings"]
    assert sum(row["parameters"] for row in metrics["layers"]) == metrics["parameters"]
    assert [row["name"] for row in metrics["layers"][1:]] == [entry["name"] for entry in metrics["architecture"]]
