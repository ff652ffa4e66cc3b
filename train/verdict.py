"""Digit or not? The validation data pycore.verdict's thresholds were chosen on, and the rates.

    python -m train.verdict                 the rates on fresh seeds (the table in docs/verdict.md)
    python -m train.verdict --choose        the signals' quantiles on the validation seeds,
                                            from which the thresholds were chosen, and the
                                            novelty's layers and ranks compared
    python -m train.verdict --fit           write STATISTICS, pycore.novelty's file, from MNIST
                                            training images 0-44,999

Digits: train.handwriting's plain digits and writers' styles at random slant, size and place,
and MNIST training images 45,000-49,999 (never the held-out 50,000-59,999 or the test set)
upscaled into a canvas at a random size and place, as a page drawing. Not digits: dots,
dashes, lines, scribbles, spirals, blobs and letters drawn through the same pen.
Validation uses seeds 0.. and MNIST images 45,000-47,499; the report fresh seeds and
47,500-49,999. The novelty's statistics come from MNIST training images 0-44,999 alone.
"""
import argparse

import numpy as np

from pycore import novelty
from pycore.inference import Classifier
from pycore.verdict import MAX_NOVELTY, REASONS

from . import handwriting
from .drawing import PEN_WIDTH, rasterise

CANVAS = handwriting.CANVAS
MODEL = "web/model/mnist-cnn.npz"
STATISTICS = "web/model/digit-features.npz"
FIT_IMAGES = (0, 45_000)    # the MNIST training images the novelty's statistics are fitted on
RANK = 32                   # the tied covariance's principal axes kept (float16: 16 KB)
SHRINK = 0.01               # each variance plus this share of the largest: no tiny one dominates
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
LETTERS = ("A", "X", "Z", "#", "H", "W", "M", "K", "E", "+")
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
    """Yield (group, name, label, rgba): digits ("digit", the digit) and not digits ("other", None)."""
    base = FRESH_SEED if fresh else 0
    for name, (digit, polylines) in handwriting.shapes().items():
        for seed in range(base, base + n_drawn):
            rng = np.random.default_rng([handwriting.hash_name(name), seed])
            yield "digit", name, digit, handwriting.canvas(polylines, rng, slant=20.0, size=(0.2, 1.0))
    from .data import load
    data = load()
    images, labels = data["train_images"], data["train_labels"]
    start, stop = MNIST_FRESH if fresh else MNIST_CHOOSE
    rng = np.random.default_rng(base + 7)
    for i in range(start, min(stop, start + n_mnist)):
        yield "digit", f"MNIST {start:,}-{stop - 1:,}", int(labels[i]), mnist_canvas(images[i] / 255, rng)
    for name in NOT_DIGITS:
        for seed in range(base, base + n_drawn):
            rng = np.random.default_rng([handwriting.hash_name(name), seed, 1])
            yield "other", name, None, not_digit_canvas(name, rng)


def fit(features, labels, rank=RANK, shrink=SHRINK):
    """(N, D) features of digits and their (N,) labels -> pycore.novelty.Novelty: the class
    means, and the tied within-class covariance's ``rank`` leading axes and variances, the
    mean variance of the rest, each plus ``shrink`` times the largest."""
    features = np.asarray(features, np.float64)
    means = np.array([features[labels == digit].mean(axis=0) for digit in range(10)])
    offsets = features - means[labels]
    variances, axes = np.linalg.eigh(offsets.T @ offsets / len(features))   # ascending
    variances, axes = variances[::-1], axes[:, ::-1]
    floor = shrink * variances[0]
    return novelty.Novelty(means, axes[:, :rank], variances[:rank] + floor, variances[rank:].mean() + floor)


def mnist_features(classifier, layer=novelty.LAYER):
    """The features at ``layer`` of MNIST training images FIT_IMAGES, and their labels."""
    from .data import load
    data = load()
    start, stop = FIT_IMAGES
    images = data["train_images"][start:stop].astype(np.float32) / 255
    return classifier.features(images, upto=layer), data["train_labels"][start:stop].astype(np.int64)


def write_statistics(path=STATISTICS):
    """Fit the shipped network's novelty statistics and write them (float16) to ``path``."""
    weights_data = open(MODEL, "rb").read()
    features, labels = mnist_features(Classifier.from_bytes(weights_data))
    meta = {"images": "MNIST training images", "range": list(FIT_IMAGES), "rank": RANK, "shrink": SHRINK}
    blob = novelty.to_bytes(fit(features, labels), weights_data, meta)
    with open(path, "wb") as out:
        out.write(blob)
    print(f"wrote {path} ({len(blob):,} bytes): rank {RANK}, from MNIST training images {FIT_IMAGES}")


def shipped_classifier():
    """The shipped network with its novelty statistics, as the page's worker loads them."""
    weights_data = open(MODEL, "rb").read()
    classifier = Classifier.from_bytes(weights_data)
    classifier.novelty = novelty.from_bytes(open(STATISTICS, "rb").read(), weights_data)
    return classifier


def run(fresh, n_drawn, n_mnist):
    """[(group, name, verdict, reason, signals, read right: the top class is the digit, or
    None)] for every drawing, and the (N, 28, 28) images the network saw."""
    classifier = shipped_classifier()
    out, images = [], []
    for group, name, label, rgba in datasets(fresh, n_drawn, n_mnist):
        prediction = classifier.classify(rgba)
        right = None if label is None else prediction.digit == label
        out.append((group, name, prediction.verdict, prediction.reason, prediction.signals, right))
        images.append(prediction.image)
    return out, np.array(images)


def table(rows):
    """The report: per shape, how often each verdict (and for a digit, how often the network's
    top class is right, which the verdict never changes); per group, the rate that should be high."""
    lines = ["| group | drawing | n | said digit | said not-a-digit | reasons | read right |",
             "|---|---|---|---|---|---|---|"]
    by_name = {}
    for group, name, verdict, reason, _, right in rows:
        by_name.setdefault((group, name), []).append((verdict, reason, right))
    for (group, name), answers in by_name.items():
        n = len(answers)
        digit = sum(v == "digit" for v, _, _ in answers)
        reasons = {}
        for v, r, _ in answers:
            if v != "digit":
                reasons[r] = reasons.get(r, 0) + 1
        words = ", ".join(f"{r} {c}" for r, c in sorted(reasons.items(), key=lambda rc: -rc[1]))
        right = "" if group == "other" else f"{100 * sum(r for _, _, r in answers) / n:.1f} %"
        lines.append(f"| {group} | {name} | {n} | {100 * digit / n:.1f} % | {100 * (n - digit) / n:.1f} % "
                     f"| {words} | {right} |")
    groups = {"digit": [v for g, _, v, *_ in rows if g == "digit"],
              "other": [v for g, _, v, *_ in rows if g == "other"],
              "letters": [v for _, name, v, *_ in rows if name in LETTERS]}
    for group, answers in groups.items():
        wanted = "digit" if group == "digit" else "not-a-digit"
        right = sum(v == wanted for v in answers)
        lines.append(f"| **{group}** | all | {len(answers)} | | | **{wanted}: {100 * right / len(answers):.2f} %** | |")
    return "\n".join(lines)


def quantiles(rows):
    """Each signal's spread among digits and among the rest (validation seeds)."""
    names = list(rows[0][4])
    qs = (0.001, 0.002, 0.005, 0.01, 0.5, 0.99, 0.995, 0.998, 0.999)
    lines = ["signal group " + " ".join(f"q{q:g}" for q in qs)]
    for signal in names:
        for group in ("digit", "other"):
            values = np.array([s[signal] for g, _, _, _, s, _ in rows if g == group])
            lines.append(f"{signal:10s} {group:5s} " + " ".join(f"{np.quantile(values, q):.3f}" for q in qs))
    lines.append("per shape, medians and [min, max]:")
    for name in dict.fromkeys(n for _, n, *_ in rows):
        values = {k: np.array([s[k] for _, n, _, _, s, _ in rows if n == name]) for k in names}
        lines.append(f"{name:20s} " + " ".join(f"{k}={np.median(v):.2f}[{v.min():.2f},{v.max():.2f}]"
                                                for k, v in values.items()))
    return "\n".join(lines)


def compare(rows, images, layers=("relu3", "dense1"), ranks=(16, 32, 64), quantile=0.999):
    """The novelty fitted on each layer at each rank, its threshold at the validation digits'
    ``quantile``: the rates with it in place of the shipped statistics' test (validation seeds)."""
    classifier = Classifier.from_bytes(open(MODEL, "rb").read())
    groups = np.array([group for group, *_ in rows])
    names = np.array([name for _, name, *_ in rows])
    others_say_digit = np.array([v == "digit" or r == "unlike" for _, _, v, r, *_ in rows])
    letters = np.isin(names, LETTERS)
    lines = ["layer  rank threshold digits:digit letters:not " + " ".join(LETTERS) + " | other shapes:not"]
    for layer in layers:
        features, labels = mnist_features(classifier, layer)
        drawn = classifier.features(images, upto=layer)
        for rank in ranks:
            score = fit(features, labels, rank).score(drawn)
            limit = np.quantile(score[groups == "digit"], quantile)
            digit = others_say_digit & (score <= limit)
            each = " ".join(f"{100 - 100 * digit[names == letter].mean():.0f}" for letter in LETTERS)
            lines.append(f"{layer:6s} {rank:4d} {limit:9.1f} {100 * digit[groups == 'digit'].mean():11.2f} % "
                         f"{100 - 100 * digit[letters].mean():10.1f} % {each} | "
                         f"{100 - 100 * digit[(groups == 'other') & ~letters].mean():.1f} %")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--choose", action="store_true", help="validation seeds and the signals' quantiles")
    parser.add_argument("--fit", action="store_true", help=f"write {STATISTICS} from MNIST training images")
    parser.add_argument("--drawn", type=int, default=200, help="drawings per shape")
    parser.add_argument("--mnist", type=int, default=2500, help="MNIST images (of 2,500 in each half)")
    args = parser.parse_args(argv)
    if args.fit:
        write_statistics()
        return
    rows, images = run(fresh=not args.choose, n_drawn=args.drawn, n_mnist=args.mnist)
    print(f"{'validation' if args.choose else 'fresh'} seeds; reasons: " + ", ".join(n for n, _ in REASONS if n))
    print(table(rows))
    if args.choose:
        print(quantiles(rows))
        print(f"the novelty's layer and rank (the shipped: {novelty.LAYER}, rank {RANK}, "
              f"MAX_NOVELTY {MAX_NOVELTY:g}):")
        print(compare(rows, images))


if __name__ == "__main__":
    main()
