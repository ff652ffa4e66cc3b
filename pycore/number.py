"""Number mode: a row of digits drawn side by side, split into digits and each read alone.

    split(strength, classifier)     [(box, ink)]: each digit's box and its own ink, left to right
    read(classifier, strength)      (found, digits, reason, timings): each digit read by classifier.answer
    packed(classifier, strength)    the flat float32 array the worker sends on (NUMBER_PACKED)
    unpacked(array)                 that array read back: {"found", "reason", "timings", "digits"}

The split, on the canvas's (H, W) ink (preprocess.ink):

  1. connected pieces of ink (components.label); pieces whose box is smaller than SPECK of the
     canvas's height are dropped (a stray touch of the pen);
  2. pieces whose columns overlap by OVERLAP of the narrower one are one digit: a 4 or a 5
     drawn in separate strokes, a 7's bar drawn apart (columns left empty between pieces are
     where one digit ends and the next begins);
  3. a group wider than MIN_ASPECT times its height may hold touching digits: its necks
     (columns whose ink reaches less far up and down, or holds less ink, than around them;
     _candidates) are candidate cuts, every part between two of them is read with the
     classifier's own answer, and the cuts kept are those whose parts score best (_score:
     their confidence, energy and width for the digit read; dynamic programming over the
     candidates, _best_cuts), no cut among the choices.

Each digit's ink (the canvas's ink on its pieces, a pixel around them included for the
pen's soft edge, cut columns left out) goes through preprocess's own recipe
(mnist_from_ink) and the classifier's ``answer``, so a taught or page-trained network reads
numbers as it reads one digit (each part read once, the digits' reads those of the parts
kept); each gets the verdict one digit gets (classifier.judge) on
the strip of columns it stands in. The settings were chosen on validation seeds of
``python -m train.numbers --choose`` (docs/numbers.md).
"""
import time

import numpy as np

from . import verdict as verdicts
from .components import boxes, label
from .preprocess import INK_THRESHOLD, mnist_from_ink, neighbourhood

MAX_DIGITS = 12      # more pieces than this are not read (a clear reason instead)
SPECK = 0.07         # a piece whose box's longer side is below this share of the canvas height is dropped
OVERLAP = 0.5        # pieces whose column spans overlap by this share of the narrower one are one digit
CUT_ASPECT = 0.8     # a part wider than this times its height likely holds touching digits (WIDE_COST)
MIN_ASPECT = 0.5     # a group narrower than this times its height is one digit, never cut
MIN_PART = 0.05      # a candidate cut leaves at least this times the group's height on either side
MAX_PART = 1.0       # a part wider than this times the height is not tried (unless the whole group)
MAX_CANDIDATES = 6   # candidate cuts tried in one group, the narrowest necks
NECK_MARGIN = 0.25   # the narrowest neck at least this times the height from either end is always a candidate
MIN_TALL = 0.6       # a part whose ink is shorter than this of its group's is a piece of a digit, not tried
CUT_COST = 0.0       # the score's cost of each cut (_score)
WIDE_COST = 4.0      # the score's cost of a part wider than CUT_ASPECT
ASPECT_COST = 5.0    # the score's cost per unit of width (in heights) outside ASPECTS' range for the digit read
ENERGY_FLOOR = 10.0  # parts whose energy is below this ...
LOW_ENERGY_COST = 1.0  # ... cost this per unit under it
# Each digit's width over its group's height, 1st and 99th percentile of the validation
# numbers' digits that touch none (python -m train.numbers --choose): a 1 is narrow.
ASPECTS = ((0.53, 0.67), (0.09, 0.39), (0.56, 0.77), (0.51, 0.70), (0.51, 0.64),
           (0.47, 0.75), (0.50, 0.65), (0.52, 0.68), (0.52, 0.68), (0.50, 0.66))

# Why a number was not read: (code name, what the page says); the first is "read".
REASONS = (
    ("", ""),
    ("too-many", f"more than {MAX_DIGITS} digits — draw a shorter number"),
)

# packed()'s answer, one flat float32 array: NUMBER_PACKED's parts in this order (sizes), then,
# when the reason is 0, DIGIT_PACKED's parts for each of the ``found`` digits, left to right.
# "reason": an index into REASONS; "timings": ms splitting and preprocessing, then in the
# network; "digit": the digit read (the top probability); "box": top, left, bottom, right
# in canvas pixels, inclusive; "verdict": the verdict's and its reason's indices in
# pycore.verdict's VERDICTS and REASONS (verdict.codes).
NUMBER_PACKED = {"found": 1, "reason": 1, "timings": 2}
DIGIT_PACKED = {"digit": 1, "probabilities": 10, "image": 28 * 28, "box": 4, "verdict": 2}


class Digit:
    """One digit of a number: box (top, left, bottom, right) in canvas pixels; image (28, 28)
    what the network saw; probabilities (10,); verdict and reason as Prediction has them."""

    def __init__(self, box, image, probabilities, verdict, reason):
        self.box, self.image, self.probabilities = box, image, probabilities
        self.verdict, self.reason = verdict, reason

    @property
    def digit(self):
        return int(np.argmax(self.probabilities))


def _groups(labels, count, height):
    """The pieces left after the specks, grouped by their column overlap: [[label, ...]], left to right."""
    box = boxes(labels, count)
    extent = np.maximum(box[:, 2] - box[:, 0], box[:, 3] - box[:, 1]) + 1
    kept = [i for i in np.argsort(box[:, 1], kind="stable") if extent[i] >= SPECK * height]
    groups, spans = [], []
    for i in kept:
        left, right = int(box[i, 1]), int(box[i, 3])
        if spans:
            g_left, g_right = spans[-1]
            shared = min(right, g_right) - max(left, g_left) + 1
            if shared >= OVERLAP * min(right - left + 1, g_right - g_left + 1):
                groups[-1].append(i + 1)
                spans[-1] = (g_left, max(g_right, right))
                continue
        groups.append([i + 1])
        spans.append((left, right))
    return groups


def _minima(profile, low, high):
    """The local minima of a (w,) profile between columns low and high (excluded): the middle
    column of each flat stretch lower than the columns either side of it."""
    found, at = [], low
    while at < high:
        stop = at
        while stop + 1 < high and profile[stop + 1] == profile[at]:
            stop += 1                                           # a flat stretch [at, stop]
        if profile[at - 1] > profile[at] and (stop + 1 >= len(profile) or profile[stop + 1] > profile[at]):
            found.append((at + stop + 1) // 2)
        at = stop + 1
    return found


def _candidates(mask):
    """Where an (H, w) group's mask may hold the boundary between two touching digits: column
    indices (each the first column of the part to its right), left to right, at most
    MAX_CANDIDATES; [] for a group narrower than MIN_ASPECT of its height (one digit). Each
    is a neck, a column whose ink reaches less far up and down, or holds less ink, than the
    columns around it, at least MIN_PART of the height from either side; first the column
    whose ink reaches least far at least NECK_MARGIN of the height from either side (where two
    digits pressed together meet), then the ones holding the least ink, spaced MIN_PART of the
    height apart."""
    rows = np.flatnonzero(mask.any(axis=1))
    height = rows[-1] - rows[0] + 1
    width = mask.shape[1]
    margin = max(1, int(MIN_PART * height))
    if width <= MIN_ASPECT * height or width - 2 * margin < 1:
        return []
    h = mask.shape[0]
    top = np.where(mask.any(axis=0), mask.argmax(axis=0), h)
    bottom = np.where(mask.any(axis=0), h - mask[::-1].argmax(axis=0), 0)
    reach = np.maximum(bottom - top, 0)                         # (w,) the ink's vertical extent
    count = mask.sum(axis=0)                                    # (w,) the ink in each column
    necks = set(_minima(reach, margin, width - margin)) | set(_minima(count, margin, width - margin))
    inner = max(margin, int(NECK_MARGIN * height))
    if width - 2 * inner >= 1:                                  # the narrowest neck away from the ends comes first
        chosen = [inner + int(np.argmin(reach[inner:width - inner]))]
    else:
        chosen = []
    for column in sorted(necks, key=lambda c: (count[c], reach[c])):
        if len(chosen) < MAX_CANDIDATES and all(abs(column - c) >= MIN_PART * height for c in chosen):
            chosen.append(column)
    return sorted(chosen)


def _score(parts, height):
    """A way to cut a group, [(width, probabilities, logits)] for its parts, scored for
    choosing (higher better): each part's log confidence, less LOW_ENERGY_COST for each unit of
    energy under ENERGY_FLOOR (a part the network never saw the like of), ASPECT_COST for each
    unit of width outside the range ASPECTS gives the digit read (a 1 wide as a 4 holds two),
    WIDE_COST for a part wider than CUT_ASPECT of the height (touching digits left together),
    CUT_COST per cut."""
    total = -CUT_COST * (len(parts) - 1)
    for width, probabilities, logits in parts:
        energy = float(logits.max() + np.log(np.exp(logits - logits.max()).sum()))
        low, high = ASPECTS[int(np.argmax(probabilities))]
        total += float(np.log(max(float(probabilities.max()), 1e-12)))
        total -= ASPECT_COST * (max(low - width / height, 0.0) + max(width / height - high, 0.0))
        total -= LOW_ENERGY_COST * max(ENERGY_FLOOR - energy, 0.0)
        total -= WIDE_COST * (width > CUT_ASPECT * height)
    return total


def _best_cuts(edges, reads, height):
    """The indices of the edges kept (first and last always) to cut a group at: dynamic
    programming over the candidate edges, each part [edges[i], edges[j]) read as reads(i, j)
    gives (probabilities, logits, its ink's height), scored by _score; parts wider than
    MAX_PART of the group's height, or shorter than MIN_TALL of it, are not tried unless they
    are the whole group."""
    best = {0: (0.0, [0], [])}                                  # edge index -> (score, path, parts)
    for j in range(1, len(edges)):
        options = []
        for i, (_, path, parts) in best.items():
            width, whole = edges[j] - edges[i], i == 0 and j == len(edges) - 1
            if width > MAX_PART * height and not whole:
                continue
            probabilities, logits, tall = reads(i, j)
            if tall < MIN_TALL * height and not whole:
                continue
            here = [*parts, (width, probabilities, logits)]
            options.append((_score(here, height), [*path, j], here))
        if options:
            best[j] = max(options, key=lambda option: option[0])
    return best[len(edges) - 1][1]


def _groups_of(strength, answer):
    """(H, W) ink -> for each group of pieces, left to right, (edges, part, height): the
    group's first column, candidate cuts and end (one past its last column) in the ink box's
    columns, part(i, j) the part between edges[i] and edges[j] read, (box, ink, image,
    ``answer``'s answer), and the group's ink height."""
    strength = np.asarray(strength, np.float32)
    inked = strength > INK_THRESHOLD
    rows, columns = np.flatnonzero(inked.any(axis=1)), np.flatnonzero(inked.any(axis=0))
    if rows.size == 0:
        return
    top, left = rows[0], columns[0]                         # the work is done on the ink's box
    crop = strength[top:rows[-1] + 1, left:columns[-1] + 1]
    labels, count = label(crop > INK_THRESHOLD)
    for group in _groups(labels, count, strength.shape[0]):
        mask = np.isin(labels, group)
        spanned = np.flatnonzero(mask.any(axis=0))
        first, last = int(spanned[0]), int(spanned[-1]) + 1
        edges = [first, *(first + cut for cut in _candidates(mask[:, first:last])), last]

        def part(i, j, mask=mask, edges=edges):
            start, stop = edges[i], edges[j]
            near = neighbourhood(mask[:, start:stop].astype(np.float32), np.maximum, square=True)  # the pen's edge
            ink = np.zeros((strength.shape[0], stop - start), np.float32)
            ink[top:top + crop.shape[0]] = crop[:, start:stop] * near
            drawn = np.flatnonzero((ink > INK_THRESHOLD).any(axis=1))
            image = mnist_from_ink(ink)
            return (int(drawn[0]), int(left + start), int(drawn[-1]), int(left + stop - 1)), ink, image, answer(image)
        yield edges, part, int(np.ptp(np.flatnonzero(mask.any(axis=1)))) + 1


def _parts(strength, answer):
    """(H, W) ink -> [(box, ink, image, (probabilities, logits, shown, features))] left to right, each
    digit read by ``answer`` (a classifier's answer): groups that may hold touching digits are
    cut where reading the parts scores best (_best_cuts), every part read once."""
    out = []
    for edges, part, height in _groups_of(strength, answer):
        done = {}

        def reads(i, j, part=part, done=done):
            if (i, j) not in done:
                done[i, j] = part(i, j)
            (top, _, bottom, _), _, _, (probabilities, logits, *_) = done[i, j]
            return probabilities, logits, bottom - top + 1

        kept = _best_cuts(edges, reads, height)
        out += [done.get((i, j)) or part(i, j) for i, j in zip(kept[:-1], kept[1:], strict=False)]
    return out


def split(strength, classifier):
    """(H, W) ink in [0, 1] -> [(box, ink)] left to right: each digit's (top, left, bottom,
    right) in canvas pixels (inclusive) and its ink alone on the strip of columns it covers,
    (H, right - left + 1) float32, as ``classifier`` reading the parts cuts them. [] when
    nothing is inked."""
    return [(box, ink) for box, ink, _, _ in _parts(strength, classifier.answer)]


def read(classifier, strength):
    """(found, digits, reason, timings): how many digits the ink holds, each read (a Digit,
    left to right; [] when there are more than MAX_DIGITS), the REASONS name why not ("" when
    read), and the ms spent splitting and preprocessing, then in the network (the candidate
    parts' reads included)."""
    start = time.perf_counter()
    network = [0.0]

    def answer(image):
        began = time.perf_counter()
        said = classifier.answer(image)
        network[0] += time.perf_counter() - began
        return said

    pieces = _parts(strength, answer)
    split_ms = (time.perf_counter() - start - network[0]) * 1e3
    if len(pieces) > MAX_DIGITS:
        return len(pieces), [], "too-many", [split_ms, network[0] * 1e3]
    digits = []
    for box, ink, image, (probabilities, logits, _, features) in pieces:
        verdict, reason, _ = classifier.judge(ink, probabilities, logits, features)
        digits.append(Digit(box, image, probabilities, verdict, reason))
    return len(pieces), digits, "", [split_ms, network[0] * 1e3]


def packed(classifier, strength):
    """read()'s answer as one flat float32 array, NUMBER_PACKED then DIGIT_PACKED per digit."""
    found, digits, reason, timings = read(classifier, strength)
    parts = [np.array([found, [name for name, _ in REASONS].index(reason), *timings])]
    for digit in digits:
        parts += [np.array([digit.digit]), digit.probabilities, digit.image.ravel(), np.array(digit.box),
                  np.array(verdicts.codes(digit.verdict, digit.reason))]
    return np.concatenate(parts, dtype=np.float32)


def unpacked(array):
    """packed()'s array -> {"found", "reason" (a REASONS name), "timings", "digits": [{part: value}]},
    as the page reads it (web/number.js): the layout's one reader on the Python side."""
    array = np.asarray(array, np.float32)
    head, at = {}, 0
    for name, size in NUMBER_PACKED.items():
        head[name], at = array[at:at + size], at + size
    digits = []
    for _ in range(int(head["found"][0]) if head["reason"][0] == 0 else 0):
        digit = {}
        for name, size in DIGIT_PACKED.items():
            digit[name], at = array[at:at + size], at + size
        digits.append(digit)
    if at != array.size:
        raise ValueError(f"a packed number of {array.size} numbers, expected {at}")
    return {"found": int(head["found"][0]), "reason": REASONS[int(head["reason"][0])][0],
            "timings": head["timings"].tolist(), "digits": digits}


def layout():
    """What the page needs to read packed()'s array: {"number": [[name, size]], "digit":
    [[name, size]], "reasons": REASONS, "verdicts": VERDICTS, "verdict_reasons": pycore.verdict's REASONS}."""
    return {"number": list(NUMBER_PACKED.items()), "digit": list(DIGIT_PACKED.items()), "reasons": REASONS,
            "verdicts": verdicts.VERDICTS, "verdict_reasons": verdicts.REASONS}
