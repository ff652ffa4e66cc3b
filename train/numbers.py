"""Number mode measured: numbers of 2-5 drawn digits, read through the page's one call.

    python -m train.numbers            the rates on fresh seeds (the table in docs/numbers.md)
    python -m train.numbers --choose   the split's settings tried on the validation seeds

Each number is train.handwriting's plain digits, each drawn as the page's pen draws it (random
slant, size, place up and down and jitter: handwriting.canvas), brought to the page's box
height and set side by side on the number box's input canvas (NUMBER_SIZE) with random gaps:
most apart, some close enough that the digits' columns overlap, some pushed until their ink
touches. They are read by pycore.inference.Classifier.classify_number_pixels, the worker's
call, and counted: numbers read exactly, digits right (in numbers split into the right
count), and split errors (a wrong count) apart, by length and by how the digits met.
Validation uses seeds 0..; the report seeds from FRESH_SEED on.
"""
import argparse

import numpy as np

from pycore import number
from pycore.inference import Classifier
from pycore.preprocess import INK_THRESHOLD, area_resize, ink, neighbourhood

from . import handwriting

NUMBER_SIZE = (200, 600)     # the number box's input canvas (web/pad.js NUMBER_INPUT), rows x columns
MODEL = "web/model/mnist-cnn.npz"
FRESH_SEED = 1_000_000
KINDS = ("apart", "overlapping", "touching")   # how two neighbours meet: a gap, columns shared, ink joined
LENGTHS = (2, 3, 4, 5)


def digit_ink(digit, size, rng):
    """(h, w) float32 ink of one plain digit drawn as handwriting.canvas draws it (its height
    ``size`` of that box, give or take a tenth), scaled to the number box's height (so the pen
    is the page's), cut to its ink's box."""
    drawn = handwriting.canvas(handwriting.ORDINARY[digit], rng, size=(0.9 * size, 1.1 * size))
    height = NUMBER_SIZE[0]
    ink = area_resize(drawn[..., 3] / np.float32(255), height, height)
    rows, columns = (np.flatnonzero((ink > INK_THRESHOLD).any(axis=axis)) for axis in (1, 0))
    return ink[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1]


def _touches(a, b):
    """Whether two (H, W) inks join into one piece (a pixel apart counts: label's eight neighbours)."""
    return bool(((a > INK_THRESHOLD) & (neighbourhood((b > INK_THRESHOLD).astype(np.float32), np.maximum,
                                                       square=True) > 0)).any())


def compose(digits, kinds, rng):
    """(H, W, 4) uint8, black on transparent like the page's input canvas: ``digits`` side by
    side along a line (each a little up or down), each neighbour pair meeting as its entry of
    ``kinds`` says; None when they do not fit the box (the caller draws again)."""
    height, width = NUMBER_SIZE
    inks = [digit_ink(d, rng.uniform(0.45, 0.8), rng) for d in digits]
    middle = rng.uniform(0.4, 0.6) * height
    canvas = np.zeros((height, width + 4 * height), np.float32)     # room to spill over: checked below
    at = right = int(rng.uniform(0.02, 0.1) * width)
    for i, piece in enumerate(inks):
        top = int(np.clip(middle - piece.shape[0] / 2 + rng.normal(0, 0.04) * height, 0, height - piece.shape[0]))
        digit = np.zeros_like(canvas)
        digit[top:top + piece.shape[0], :piece.shape[1]] = piece
        if i:
            at = _next_place(canvas, digit, right, kinds[i - 1], rng)
            if at is None:
                return None
        canvas = np.maximum(canvas, np.roll(digit, at, axis=1))
        right = at + piece.shape[1]                                 # one past this digit's right edge
    if canvas[:, width:].any():
        return None
    rgba = np.zeros((height, width, 4), np.uint8)
    rgba[..., 3] = np.round(canvas[:, :width] * 255)
    return rgba


def _next_place(canvas, digit, right, kind, rng):
    """The column where ``digit`` (drawn at column 0) starts, the digits so far ending before
    ``right``, for its meeting ``kind``; None when that cannot be (the inks never join)."""
    height = canvas.shape[0]
    if kind == "apart":
        return right + int(rng.uniform(0.08, 0.3) * height)
    width = int((digit > INK_THRESHOLD).any(axis=0).sum())
    at = right - int(rng.uniform(0.0, 0.12) * height) if kind == "overlapping" else right + 2
    step = 1 if kind == "overlapping" else -1                       # apart while overlapping; until joined
    while right - width < at <= right + 2:
        joined = _touches(canvas, np.roll(digit, at, axis=1))
        if joined == (kind == "touching"):
            return at - int(rng.integers(0, 4)) if joined else at   # touching: a little into each other
        at += step
    return None


def numbers(seeds, kinds_weights=(0.6, 0.2, 0.2)):
    """Yield (digits, kinds, rgba) for each seed: a number of 2-5 random digits whose
    neighbours meet as ``kinds_weights`` (apart, overlapping, touching) draw."""
    for seed in seeds:
        rng = np.random.default_rng([7, int(seed)])
        length = int(rng.choice(LENGTHS))
        while True:
            digits = [int(d) for d in rng.integers(0, 10, length)]
            kinds = [str(k) for k in rng.choice(KINDS, length - 1, p=kinds_weights)]
            rgba = compose(digits, kinds, rng)
            if rgba is not None:
                yield digits, kinds, rgba
                break


def measure(classifier, seeds):
    """({row name: [numbers, exactly right, split errors, digits right, digits in right-count
    numbers]} by length, by the kinds a number's neighbours meet in, and over all; each number's
    packed timings, ms splitting and preprocessing, then in the network)."""
    rows, timings = {}, []
    for digits, kinds, rgba in numbers(seeds):
        height, width = rgba.shape[:2]
        answer = number.unpacked(classifier.classify_number_pixels(rgba.tobytes(), height, width))
        timings.append(answer["timings"])
        said = [int(d["digit"][0]) for d in answer["digits"]]
        names = ["all", f"{len(digits)} digits", *{f"with {k}" for k in kinds},
                 *(["none touching"] if "touching" not in kinds else [])]
        for name in names:
            row = rows.setdefault(name, [0, 0, 0, 0, 0])
            row[0] += 1
            row[1] += said == digits
            if len(said) != len(digits):
                row[2] += 1
            else:
                row[3] += sum(a == b for a, b in zip(said, digits, strict=True))
                row[4] += len(digits)
    return rows, timings


def table(rows):
    order = ["all", *(f"{n} digits" for n in LENGTHS), *(f"with {k}" for k in KINDS), "none touching"]
    lines = ["| numbers | count | read exactly | split errors (wrong count) | digits right (right count) |",
             "|---|---:|---:|---:|---:|"]
    for name in order:
        if name in rows:
            n, exact, split_errors, right, total = rows[name]
            lines.append(f"| {name} | {n} | {100 * exact / n:.1f} % | {100 * split_errors / n:.1f} % | "
                         f"{100 * right / max(total, 1):.1f} % |")
    return "\n".join(lines)


# The scoring settings --choose tries (pycore.number's names), each alone about the shipped
# ones, on the candidate parts read once.
SCORED = {"CUT_COST": (0.0, 0.25, 0.5, 1.0), "WIDE_COST": (0.0, 1.0, 2.0, 4.0, 8.0),
          "ASPECT_COST": (0.0, 2.0, 5.0, 10.0), "ENERGY_FLOOR": (6.0, 8.0, 10.0, 12.0),
          "LOW_ENERGY_COST": (0.0, 0.5, 1.0, 2.0), "MAX_PART": (0.8, 0.9, 1.0, 1.2)}


def read_groups(classifier, strength):
    """[(edges, {(i, j): (probabilities, logits, ink height)}, height)] for each group of
    ``strength``'s pieces (pycore.number's candidates as set now), every part between two edges read."""
    groups = []
    for edges, part, height in number._groups_of(strength, classifier.answer):
        reads = {}
        for i in range(len(edges)):
            for j in range(i + 1, len(edges)):
                (top, _, bottom, _), _, _, (probabilities, logits, _) = part(i, j)
                reads[i, j] = probabilities, logits, bottom - top + 1
        groups.append((edges, reads, height))
    return groups


def said(groups):
    """The digits pycore.number reads in read_groups' groups with its scoring as set now."""
    digits = []
    for edges, reads, height in groups:
        kept = number._best_cuts(edges, lambda i, j, reads=reads: reads[i, j], height)
        digits += [int(np.argmax(reads[pair][0])) for pair in zip(kept[:-1], kept[1:], strict=False)]
    return digits


def tally(drawn, groups):
    """'exact N, split errors N (kind exact/errors, ...)' for the numbers ``drawn`` read as ``groups``."""
    exact, wrong = {kind: 0 for kind in ("all", *KINDS)}, {kind: 0 for kind in ("all", *KINDS)}
    for (digits, kinds, _), number_groups in zip(drawn, groups, strict=True):
        read = said(number_groups)
        for kind in ("all", *set(kinds)):
            exact[kind] += read == digits
            wrong[kind] += len(read) != len(digits)
    return (f"exact {exact['all']}, split errors {wrong['all']} ("
            + ", ".join(f"{k} {exact[k]}/{wrong[k]}" for k in KINDS) + ")")


def aspects(drawn, groups):
    """Each digit's width over its group's height, 1st and 99th percentile, over the numbers
    ``drawn`` with no touching pair whose groups are one per digit: pycore.number.ASPECTS."""
    widths = {digit: [] for digit in range(10)}
    for (digits, kinds, _), number_groups in zip(drawn, groups, strict=True):
        if "touching" not in kinds and len(number_groups) == len(digits):
            for digit, (edges, _, height) in zip(digits, number_groups, strict=True):
                widths[digit].append((edges[-1] - edges[0]) / height)
    return tuple(tuple(round(float(q), 2) for q in np.percentile(widths[d], [1, 99])) for d in range(10))


def choose(classifier, seeds):
    """The digits' widths (ASPECTS), then numbers read exactly and split errors (a wrong count)
    on ``seeds``, overall and by how the digits met, for each value of SCORED, the other
    settings as shipped: lines to print."""
    drawn = [(digits, kinds, ink(rgba)) for digits, kinds, rgba in numbers(seeds)]
    groups = [read_groups(classifier, strength) for _, _, strength in drawn]
    lines = [f"ASPECTS: {aspects(drawn, groups)}", f"as shipped, of {len(drawn)}: {tally(drawn, groups)}"]
    for name, values in SCORED.items():
        shipped = getattr(number, name)
        counts = []
        for value in values:
            setattr(number, name, value)
            counts.append(f"{value}: {tally(drawn, groups)}")
        setattr(number, name, shipped)
        lines.append(f"{name} (shipped {shipped}):\n  " + "\n  ".join(counts))
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--choose", action="store_true", help="the validation seeds and the settings tried")
    parser.add_argument("--count", type=int, default=1000, help="numbers drawn (default 1000)")
    parser.add_argument("--weights", default=MODEL, help=f"the network (default {MODEL})")
    args = parser.parse_args(argv)
    with open(args.weights, "rb") as file:
        classifier = Classifier.from_bytes(file.read())
    seeds = range(args.count) if args.choose else range(FRESH_SEED, FRESH_SEED + args.count)
    print(f"{args.count} numbers, seeds {seeds.start}-{seeds.stop - 1} ({'validation' if args.choose else 'fresh'})")
    if args.choose:
        print("\n".join(choose(classifier, seeds)))
        return
    rows, timings = measure(classifier, seeds)
    print(table(rows))
    split_ms, network_ms = np.median(timings, axis=0)
    print(f"median per number (CPython): {split_ms:.1f} ms splitting and preprocessing, "
          f"{network_ms:.1f} ms in the network")


if __name__ == "__main__":
    main()
