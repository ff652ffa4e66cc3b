"""train/export.py's facts for the page: put into metrics.json beside what was there."""
import io
import json

import numpy as np

from pycore import weights
from pycore.network import build_network
from train import export
from train.__main__ import DEFAULTS, about_rows


def test_with_page_facts_adds_layers_and_settings_and_keeps_every_other_key():
    net = build_network(seed=0)
    metrics = {"test": {"correct": 1}, "architecture": net.architecture(), "parameters": 187226,
               "hyperparameters": dict(DEFAULTS), "history": [], "weights": {"file": "x.npz"}}
    out = export.with_page_facts(metrics, net)
    assert list(out) == ["test", "architecture", "parameters", "layers", "hyperparameters", "settings", "history",
                         "weights"]
    assert {k: v for k, v in out.items() if k not in ("layers", "settings")} == metrics
    assert out["layers"] == net.summary() and out["settings"] == about_rows(DEFAULTS)
    assert list(export.with_page_facts(out, net)) == list(out)       # a second refresh replaces, in place


def test_refresh_rewrites_only_the_page_facts(tmp_path):
    net = build_network(seed=0)
    (tmp_path / export.WEIGHTS_NAME).write_bytes(export.weights.to_bytes(net, {}))
    metrics = {"parameters": 1, "hyperparameters": {"batch_size": 64, "teachers": ""}, "history": [{"epoch": 1}]}
    (tmp_path / export.METRICS_NAME).write_text(json.dumps(metrics))
    export.refresh(tmp_path)
    text = (tmp_path / export.METRICS_NAME).read_text()
    written = json.loads(text)
    assert text == json.dumps(written, separators=(",", ":")) + "\n"          # compact, as export writes it
    assert written["settings"] == [{"flag": "--batch_size", "words": "batch size", "value": "64 images"},
                                   {"flag": "--teachers", "words": "distilled from", "value": "none"}]
    assert {k: v for k, v in written.items() if k not in ("layers", "settings")} == metrics


def test_the_stored_file_gives_back_the_evaluated_float16_network():
    net = build_network(seed=2)
    net.set_params(weights.half_precision(net.params))
    blob = export.stored_blob(net, {"epoch": 1})
    with np.load(io.BytesIO(blob), allow_pickle=False) as npz:
        assert npz["conv2.W"].dtype == np.float16
    assert export.weights_entry(blob)["dtype"] == "float16" and export.weights_entry(blob)["bytes"] == len(blob)


def test_changed_answers_names_the_split_whose_answers_moved():
    results = {split: {"correct": 9, "total": 10, "confusion": [[1]], "wrong": [{"index": 3}]}
               for split in ("held_out", "test")}
    recorded = json.loads(json.dumps(results))
    assert export.changed_answers(recorded, results) == []
    recorded["test"]["wrong"] = [{"index": 4}]
    assert export.changed_answers(recorded, results) == ["test"]
