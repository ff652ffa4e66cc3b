"""Evaluate a training run's chosen epoch once and write the shipped model.

    python -m train.export --run runs/main [--epoch N] [--validation-run runs/val] [--out web/model]
    python -m train.export --refresh [--out web/model]
    python -m train.export --float16 [--out web/model]

The weights file stores float16 (STORED_DTYPE: half the bytes of float32; the page and
CPython compute in float32 either way); what is evaluated and reported is the network
rounded to float16, the very numbers the file gives back. --float16 rewrites an
existing float32 weights file of --out as float16, only if the rounded network gives
the counts, confusion matrices and mistakes metrics.json records on the held-out and
test sets (it evaluates both), and updates metrics.json's "weights" entry.

The epoch defaults to the one the validation run scored best on (ties: the
later one); held-out (images 50,000-59,999) and official test accuracy are
measured here, once, after the choice is made.

metrics.json also holds what the page's About section shows of the network and its
training ("layers", "settings": see page_facts); --refresh rewrites only those two in
an existing metrics.json, from its weights file and recorded settings, without
evaluating or training anything.
"""
import argparse
import hashlib
import json
from pathlib import Path

import numpy as np

from pycore import weights
from pycore.inference import Classifier
from pycore.network import mnist_architecture

from . import data
from .__main__ import about_rows
from .evaluate import HELD_OUT, evaluate_reported_sets, format_report

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS_NAME, METRICS_NAME = "mnist-cnn.npz", "metrics.json"
STORED_DTYPE = np.float16          # on disk; pycore.weights loads it as float32


def run_state(run):
    with np.load(Path(run) / "checkpoint.npz", allow_pickle=False) as npz:
        return json.loads(npz["state"].tobytes().decode())


def best_validation_epoch(history):
    scored = [e for e in history if "val_accuracy" in e]
    if not scored:
        raise SystemExit("the validation run has no val_accuracy entries")
    return max(scored, key=lambda e: (e["val_accuracy"], e["epoch"]))["epoch"]


def validation_choice(config):
    """How the epoch was chosen, from the validation run's own settings."""
    total, held = config["train_images"], config["validation"]
    return (f"best validation accuracy (images {total - held:,}-{total - 1:,}; "
            f"that run trained on images 0-{total - held - 1:,} and their rotated copies)")


def page_facts(net, hyperparameters):
    """What the page's About section shows, as pycore and train know it (the page never
    recomputes it): "layers", the network layer by layer (pycore.network.Network.summary),
    and "settings", the recorded training settings as rows of words (train.__main__.about_rows)."""
    return {"layers": net.summary(), "settings": about_rows(hyperparameters)}


def with_page_facts(metrics, net):
    """``metrics`` with page_facts put in: "layers" after "parameters" and "settings" after
    "hyperparameters" (replaced where they are already), every other key as it was."""
    facts = page_facts(net, metrics["hyperparameters"])
    after = {"parameters": "layers", "hyperparameters": "settings"}
    out = {}
    for key, value in metrics.items():
        if key in facts:
            continue
        out[key] = value
        if key in after:
            out[after[key]] = facts[after[key]]
    return out


def write_metrics(path, metrics):
    # compact: the page downloads it
    Path(path).write_text(json.dumps(metrics, separators=(",", ":")) + "\n")


def refresh(out):
    """Rewrite the page's facts in ``out``/metrics.json from ``out``'s weights file and the
    settings metrics.json recorded; nothing else in the file changes."""
    out = Path(out)
    net, _ = weights.from_bytes((out / WEIGHTS_NAME).read_bytes())
    metrics = json.loads((out / METRICS_NAME).read_text())
    write_metrics(out / METRICS_NAME, with_page_facts(metrics, net))
    print(f"wrote the layers and settings of {out / METRICS_NAME}")


def weights_entry(blob):
    """metrics.json's "weights": the file as shipped."""
    return {"file": WEIGHTS_NAME, "bytes": len(blob), "sha256": hashlib.sha256(blob).hexdigest(),
            "dtype": np.dtype(STORED_DTYPE).name}


def stored_blob(net, metadata):
    """The weights file of ``net`` (already rounded to STORED_DTYPE's precision), checked to
    give back exactly the arrays that were evaluated."""
    blob = weights.to_bytes(net, metadata, STORED_DTYPE)
    reloaded, _ = weights.from_bytes(blob)
    if any(not np.array_equal(reloaded.params[k], v) for k, v in net.params.items()):
        raise SystemExit("the exported weights differ from the evaluated ones")
    return blob


def changed_answers(recorded, results):
    """The splits (held_out, test) whose counts, confusion or wrong answers differ."""
    keys = ("correct", "total", "confusion", "wrong")
    return [split for split in ("held_out", "test")
            if any(recorded[split].get(key) != results[split][key] for key in keys)]


def to_float16(out, data_folder=None):
    """Store ``out``'s weights file as float16 if that changes no answer metrics.json records."""
    out = Path(out)
    original = Classifier.from_bytes((out / WEIGHTS_NAME).read_bytes())
    net, meta = weights.from_bytes((out / WEIGHTS_NAME).read_bytes())
    net.set_params(weights.half_precision(net.params))
    rounded = Classifier(net, meta)
    metrics = json.loads((out / METRICS_NAME).read_text())
    dataset = data.load(data_folder)
    for name, classifier in (("as stored", original), ("rounded to float16", rounded)):
        results = evaluate_reported_sets(classifier, dataset)
        print(f"{name}: " + ", ".join(f"{split} {r['correct']:,} / {r['total']:,} correct"
                                      for split, r in results.items()))
    images = np.concatenate([dataset["train_images"][HELD_OUT], dataset["test_images"]]).astype(np.float32) / 255
    shift = max(float(np.abs(rounded.probabilities(images[i:i + 1000])
                             - original.probabilities(images[i:i + 1000])).max())
                for i in range(0, len(images), 1000))
    print(f"largest change of a held-out or test probability: {shift:.2g}")
    if changed := changed_answers(metrics, results):
        raise SystemExit(f"float16 changes the answers on {', '.join(changed)}: {out / WEIGHTS_NAME} left as it was")
    blob = stored_blob(net, meta)
    (out / WEIGHTS_NAME).write_bytes(blob)
    write_metrics(out / METRICS_NAME, {**metrics, "weights": weights_entry(blob)})
    print(f"wrote {out / WEIGHTS_NAME} ({len(blob):,} bytes, float16) and its entry in {out / METRICS_NAME}")


def misclassified_images(dataset, results, limit=40):
    """The first ``limit`` wrong test digits as 28x28 uint8 lists, for the page's strip of mistakes."""
    return [{**w, "pixels": dataset["test_images"][w["index"]].reshape(-1).tolist()}
            for w in results["test"]["wrong"][:limit]]


def export(run, epoch, out, validation_run=None, data_folder=None, weights_file=None, choice=None):
    state = run_state(run)
    validation = run_state(validation_run) if validation_run else None
    if epoch is None and not weights_file:
        if validation is None:
            raise SystemExit("give --epoch or a --validation-run to choose it")
        epoch = best_validation_epoch(validation["history"])
    source = Path(weights_file) if weights_file else Path(run) / f"epoch-{epoch:02d}.npz"
    net, meta = weights.from_bytes(source.read_bytes())
    if weights_file:
        epoch = meta.get("epoch", epoch)
    net.set_params(weights.half_precision(net.params))   # evaluate what the file will hold
    dataset = data.load(data_folder)
    results = evaluate_reported_sets(Classifier(net, meta), dataset)
    print(format_report(results))

    summary = {k: {"correct": v["correct"], "total": v["total"], "accuracy": v["accuracy"]}
               for k, v in results.items()}
    blob = stored_blob(net, {**summary, "epoch": epoch, "data": data.checksums()})

    history = [e for e in state["history"] if e["epoch"] <= epoch]
    metrics = {
        **summary,
        "held_out": {**summary["held_out"], "confusion": results["held_out"]["confusion"],
                     "wrong": results["held_out"]["wrong"]},
        "test": {**summary["test"], "confusion": results["test"]["confusion"], "wrong": results["test"]["wrong"]},
        "test_mistakes": misclassified_images(dataset, results),
        "epoch": epoch,
        "protocol": ("trained on MNIST training images 0-49,999, each also rotated +15 and -15 degrees "
                     "(150,000), with a fresh random distortion per batch; held-out: training images "
                     "50,000-59,999; test: the official 10,000 test images"),
        "architecture": mnist_architecture(),
        "parameters": int(sum(v.size for v in net.params.values())),
        "hyperparameters": state["config"],
        "history": history,
        "validation_history": validation["history"] if validation else None,
        "epoch_choice": choice or (validation_choice(validation["config"]) if validation
                                   else "given on the command line"),
        "averaged_epochs": meta.get("averaged_epochs"),
        "averaged_files": meta.get("averaged_files"),
        "finetune": meta.get("config") if meta.get("config", {}).get("init_weights") else None,
        "training_time_s": round(sum(e["seconds"] for e in history), 1),
        "data": data.checksums(),
        "weights": weights_entry(blob),
    }
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / WEIGHTS_NAME).write_bytes(blob)
    write_metrics(out / METRICS_NAME, with_page_facts(metrics, net))
    print(f"wrote {out / WEIGHTS_NAME} ({len(blob):,} bytes) and {out / METRICS_NAME} (epoch {epoch})")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m train.export", description=__doc__.split("\n")[0])
    parser.add_argument("--run", default="runs/main", help="the training run's folder")
    parser.add_argument("--epoch", type=int, help="which epoch to ship (default: best on --validation-run)")
    parser.add_argument("--validation-run", help="a run trained with --validation=N, to choose the epoch")
    parser.add_argument("--out", default=str(ROOT / "web" / "model"))
    parser.add_argument("--data", help="folder with the four MNIST idx files")
    parser.add_argument("--weights", help="ship this weights file (e.g. from train.average) instead of an epoch")
    parser.add_argument("--choice", help="how the shipped weights were chosen, for metrics.json")
    parser.add_argument("--refresh", action="store_true",
                        help="only rewrite the layers and settings of --out's metrics.json (no evaluation)")
    parser.add_argument("--float16", action="store_true",
                        help="store --out's weights as float16 if no held-out or test answer changes")
    args = parser.parse_args(argv)
    if args.refresh:
        return refresh(args.out)
    if args.float16:
        return to_float16(args.out, args.data)
    export(args.run, args.epoch, args.out, args.validation_run, args.data, args.weights, args.choice)


if __name__ == "__main__":
    main()
