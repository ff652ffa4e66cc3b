"""Digit or not? The validation data pycore.verdict's thresholds were chosen on, and the rates.

    python -m train.verdict                 the rates on fresh seeds (the table in docs/verdict.md)
    python -m train.verdict --choose        the signals' quantiles on the validation seeds,
                                            from which the thresholds were chosen

Digits: train.handwriting's plain digits and writers' styles at random slant, size and place,
and MNIST training images 45,000-49,999 (never the held-out 50,000-59,999 or the test set)
upscaled into a canvas at a random size and place, as a page drawing. Not digits: dots,
dashes, lines, scribbles, spirals, blobs and letters drawn through the same pen.
Validation uses seeds 0.. and MNIST images 45,000-47,499; the report fresh seeds and
47,500-49,999.
"""
import argparse

import numpy as np

from pycore.inference import Classifier
from pycore.verdict import REASONS

from . import handwriting
from .drawing import PEN_WIDTH, rasterise

CANVAS = handwriting.CANVAS
MODEL = "web/model/mnist-cnn.npz"
FRESH_SEED = 1_000_000      # the report's seeds start here; the validation's at 0
MNIST_CHOOSE, MNIST_FRESH = (45_000, 47_500), (47_500, 50_000)


def zigzag(turns, rng):
    """A scribble: back and forth across the box ``turns`` times, drifting down."""
    y = np.linspace(0, 1, turns + 1) + rng.normal(0, 0.02, turns + 1)
    x = np.where(np.arange(turns + 1) % 2 == 0, 0.0, 1.0) + rng.normal(0, 0.05, turns + 1)
    return [list(zip(x, y, strict=True))]


def spiral(turns, rng):
    t = np.linspace(0, 2 * np.pi * turns, 24 * turns)
    r = 0.5 * (1 - t / t[-1]) + 0.02
    return [list(zip(0.5 + r * np.cos(t), 0.5 + r * np.sin(t), strict=True))]


def random_scribble(points, rng):
    return [list(map(tuple, rng.uniform(0, 1, (points, 2))))]


def blob(rng):
    """A filled patch: lines closer together than the pen is wide."""
    rows = 14
    y = np.linspace(0, 1, rows)
    x = np.where(np.arange(rows) % 2 == 0, 0.0, 1.0)
    return [list(zip(x, y, strict=True))]


# name: (make(rng) -> polylines in a unit box, width over height, the height's range as a share of the box)
NOT_DIGITS = {
    "tiny dot": (lambda rng: [[(0.5, 0.5), (0.5, 0.5)]], 1.0, (0.0, 0.0)),
    "short dash": (lambda rng: [[(0.0, 0.5), (1.0, 0.5)]], 1.0, (0.0, 0.0)),
    "long line": (lambda rng: [[(0.0, 0.5), (1.0, 0.5)]], 1.0, (0.0, 0.0)),
    "A": (lambda rng: [[(0, 1), (0.5, 0), (1, 1)], [(0.22, 0.6), (0.78, 0.6)]], 0.8, (0.3, 0.9)),
    "X": (lambda rng: [[(0, 0), (1, 1)], [(1, 0), (0, 1)]], 0.8, (0.3, 0.9)),
    "Z": (lambda rng: [[(0, 0), (1, 0), (0, 1), (1, 1)]], 0.8, (0.3, 0.9)),
    "#": (lambda rng: [[(0.3, 0), (0.3, 1)], [(0.7, 0), (0.7, 1)], [(0, 0.3), (1, 0.3)], [(0, 0.7), (1, 0.7)]],
          1.0, (0.3, 0.9)),
    "H": (lambda rng: [[(0, 0), (0, 1)], [(1, 0), (1, 1)], [(0, 0.5), (1, 0.5)]], 0.7, (0.3, 0.9)),
    "W": (lambda rng: [[(0, 0), (0.25, 1), (0.5, 0.3), (0.75, 1), (1, 0)]], 1.2, (0.3, 0.8)),
    "M": (lambda rng: [[(0, 1), (0, 0), (0.5, 0.7), (1, 0), (1, 1)]], 1.0, (0.3, 0.8)),
    "K": (lambda rng: [[(0, 0), (0, 1)], [(0.9, 0), (0, 0.55), (1, 1)]], 0.7, (0.3, 0.9)),
    "E": (lambda rng: [[(1, 0), (0, 0), (0, 1), (1, 1)], [(0, 0.5), (0.8, 0.5)]], 0.6, (0.3, 0.9)),
    "+": (lambda rng: [[(0.5, 0), (0.5, 1)], [(0, 0.5), (1, 0.5)]], 1.0, (0.3, 0.8)),
    "zig-zag": (lambda rng: zigzag(int(rng.integers(8, 16)), rng), 1.0, (0.3, 0.9)),
    "spiral": (lambda rng: spiral(3, rng), 1.0, (0.4, 0.9)),
    "random scribble": (lambda rng: random_scribble(int(rng.integers(15, 40)), rng), 1.0, (0.3, 0.9)),
    "filled blob": (lambda rng: blob(rng), 1.0, (0.2, 0.6)),
}
# the line-like shapes' lengths, as a share of the box (their height is the pen's)
LENGTHS = {"tiny dot": (0.0, 0.02), "short dash": (0.05, 0.2), "long line": (0.5, 0.95)}


def not_digit_canvas(name, rng):
    """(CANVAS, CANVAS, 4) uint8: one drawing of NOT_DIGITS' ``name`` through the page's pen."""
    make, aspect, heights = NOT_DIGITS[name]
    margin = CANVAS * PEN_WIDTH
    room = CANVAS - 2 * margin
    if name in LENGTHS:
        width, height, shear = room * rng.uniform(*LENGTHS[name]), 0.0, 0.0
    else:
        height = room * rng.uniform(*heights)
        shear = np.tan(np.radians(rng.uniform(-15, 15)))
        width = min(room - abs(shear) * height, aspect * height)
    left = rng.uniform(margin + abs(shear) * height / 2, CANVAS - margin - width - abs(shear) * height / 2)
    top = rng.uniform(margin, CANVAS - margin - height)
    placed = []
    for line in make(rng):
        points = np.asarray(line, np.float64) + rng.normal(0, 0.02, (len(line), 2)) * (height > 0)
        x = left + points[:, 0] * width + shear * (0.5 - points[:, 1]) * height
        y = top + points[:, 1] * height
        placed.append(list(zip(x, y, strict=True)))
    return rasterise(placed, (CANVAS, CANVAS), width=CANVAS * PEN_WIDTH, transparent=True)


def bilinear(n_in, n_out):
    """(n_out, n_in) linear interpolation matrix, pixel centres aligned."""
    at = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
    lo = np.floor(at).astype(int)
    hi = np.minimum(lo + 1, n_in - 1)
    matrix = np.zeros((n_out, n_in))
    matrix[np.arange(n_out), lo] += 1 - (at - lo)
    matrix[np.arange(n_out), hi] += at - lo
    return matrix


def mnist_canvas(image, rng):
    """An MNIST image (28, 28) in [0, 1] upscaled to U(0.5, 1.1) of the canvas (its 20-px digit
    then 36-79 % of the box), placed at random, as ink on a transparent canvas."""
    side = int(CANVAS * rng.uniform(0.5, 1.1))
    big = bilinear(28, side) @ image @ bilinear(28, side).T
    field = np.zeros((CANVAS + 2 * side, CANVAS + 2 * side))
    top, left = (side + int(rng.uniform(-0.1, 1.1) * (CANVAS - side)) for _ in range(2))
    field[top:top + side, left:left + side] = big
    alpha = field[side:side + CANVAS, side:side + CANVAS]
    if alpha.max() < 0.5:        # mostly pushed out of the canvas: put it back in the middle
        return mnist_canvas(image, np.random.default_rng(rng.integers(1 << 30)))
    rgba = np.zeros((CANVAS, CANVAS, 4), np.uint8)
    rgba[..., 3] = np.round(np.clip(alpha, 0, 1) * 255)
    return rgba


def datasets(fresh, n_drawn, n_mnist):
    """Yield (group, name, rgba): digits ("digit") and not digits ("other")."""
    base = FRESH_SEED if fresh else 0
    for name, (_, polylines) in handwriting.shapes().items():
        for seed in range(base, base + n_drawn):
            rng = np.random.default_rng([handwriting.hash_name(name), seed])
            yield "digit", name, handwriting.canvas(polylines, rng, slant=20.0, size=(0.2, 1.0))
    from .data import load
    images = load()["train_images"]
    start, stop = MNIST_FRESH if fresh else MNIST_CHOOSE
    rng = np.random.default_rng(base + 7)
    for i in range(start, min(stop, start + n_mnist)):
        yield "digit", f"MNIST {start:,}-{stop - 1:,}", mnist_canvas(images[i].astype(np.float64) / 255, rng)
    for name in NOT_DIGITS:
        for seed in range(base, base + n_drawn):
            rng = np.random.default_rng([handwriting.hash_name(name), seed, 1])
            yield "other", name, not_digit_canvas(name, rng)


def run(fresh, n_drawn, n_mnist):
    """[(group, name, verdict, reason, signals)] for every drawing."""
    classifier = Classifier.from_bytes(open(MODEL, "rb").read())
    out = []
    for group, name, rgba in datasets(fresh, n_drawn, n_mnist):
        prediction = classifier.classify(rgba)
        out.append((group, name, prediction.verdict, prediction.reason, prediction.signals))
    return out


def table(rows):
    """The report: per shape, how often each verdict; per group, the rate that should be high."""
    lines = ["| group | drawing | n | said digit | said not-a-digit | reasons |", "|---|---|---|---|---|---|"]
    by_name = {}
    for group, name, verdict, reason, _ in rows:
        by_name.setdefault((group, name), []).append((verdict, reason))
    for (group, name), answers in by_name.items():
        n = len(answers)
        digit = sum(v == "digit" for v, _ in answers)
        reasons = {}
        for v, r in answers:
            if v != "digit":
                reasons[r] = reasons.get(r, 0) + 1
        words = ", ".join(f"{r} {c}" for r, c in sorted(reasons.items(), key=lambda rc: -rc[1]))
        lines.append(f"| {group} | {name} | {n} | {100 * digit / n:.1f} % | {100 * (n - digit) / n:.1f} % | {words} |")
    for group, wanted in (("digit", "digit"), ("other", "not-a-digit")):
        answers = [v for g, _, v, _, _ in rows if g == group]
        right = sum(v == wanted for v in answers)
        lines.append(f"| **{group}** | all | {len(answers)} | | | **{wanted}: {100 * right / len(answers):.2f} %** |")
    return "\n".join(lines)


def quantiles(rows):
    """Each signal's spread among digits and among the rest (validation seeds)."""
    names = list(rows[0][4])
    qs = (0.001, 0.002, 0.005, 0.01, 0.5, 0.99, 0.995, 0.998, 0.999)
    lines = ["signal group " + " ".join(f"q{q:g}" for q in qs)]
    for signal in names:
        for group in ("digit", "other"):
            values = np.array([s[signal] for g, _, _, _, s in rows if g == group])
            lines.append(f"{signal:10s} {group:5s} " + " ".join(f"{np.quantile(values, q):.3f}" for q in qs))
    lines.append("per shape, medians and [min, max]:")
    for name in dict.fromkeys(n for _, n, _, _, _ in rows):
        values = {k: np.array([s[k] for _, n, _, _, s in rows if n == name]) for k in names}
        lines.append(f"{name:20s} " + " ".join(f"{k}={np.median(v):.2f}[{v.min():.2f},{v.max():.2f}]"
                                                for k, v in values.items()))
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--choose", action="store_true", help="validation seeds and the signals' quantiles")
    parser.add_argument("--drawn", type=int, default=200, help="drawings per shape")
    parser.add_argument("--mnist", type=int, default=2500, help="MNIST images (of 2,500 in each half)")
    args = parser.parse_args(argv)
    rows = run(fresh=not args.choose, n_drawn=args.drawn, n_mnist=args.mnist)
    print(f"{'validation' if args.choose else 'fresh'} seeds; reasons: " + ", ".join(n for n, _ in REASONS if n))
    print(table(rows))
    if args.choose:
        print(quantiles(rows))


if __name__ == "__main__":
    main()
