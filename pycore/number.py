"""Number mode: a row of digits drawn side by side, split into digits and each read alone.

    split(strength)                 [(box, ink)]: each digit's box and its own ink, left to right
    read(classifier, strength)      (found, digits, reason, timings): each digit read by classifier.answer
    packed(classifier, strength)    the flat float32 array the worker sends on (NUMBER_PACKED)
    unpacked(array)                 that array read back: {"found", "reason", "timings", "digits"}

The split, on the canvas's (H, W) ink (preprocess.ink):

  1. connected pieces of ink (components.label); pieces whose box is smaller than SPECK of the
     canvas's height are dropped (a stray touch of the pen);
  2. pieces whose columns overlap by OVERLAP of the narrower one are one digit: a 4 or a 5
     drawn in separate strokes, a 7's bar drawn apart (columns left empty between pieces are
     where one digit ends and the next begins);
  3. a group wider than CUT_ASPECT times its height is two touching digits: it is cut at its
     narrowest neck, the column whose ink reaches least far up and down, searched at least
     MIN_PART of the height from either side; then each side again.

Each digit's ink (the canvas's ink on its pieces, a pixel around them included for the
pen's soft edge, cut columns left out) goes through preprocess's own recipe
(mnist_from_ink) and the classifier's ``answer``, so a taught or page-trained network reads
numbers as it reads one digit; each gets the verdict one digit gets (classifier.judge) on
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
CUT_ASPECT = 0.8     # a group wider than this times its height holds touching digits
MIN_PART = 0.25      # a cut leaves at least this times the group's height on either side

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


def _cuts(mask):
    """Where to cut an (H, w) group's mask into touching digits: column indices (each the
    first column of the part to its right), left to right; [] for one digit."""
    rows = np.flatnonzero(mask.any(axis=1))
    height = rows[-1] - rows[0] + 1
    width = mask.shape[1]
    if width <= CUT_ASPECT * height:
        return []
    margin = max(1, int(MIN_PART * height))
    if width - 2 * margin < 1:
        return []
    h = mask.shape[0]
    inked = mask[:, margin:width - margin]
    top = np.where(inked.any(axis=0), inked.argmax(axis=0), h)
    bottom = np.where(inked.any(axis=0), h - inked[::-1].argmax(axis=0), 0)
    reach = np.maximum(bottom - top, 0)                     # (w - 2 margin,) the ink's vertical extent
    narrow = np.flatnonzero(reach == reach.min())
    at = margin + int(narrow[len(narrow) // 2])             # the middle of the narrowest stretch
    return _cuts(mask[:, :at]) + [at] + [at + c for c in _cuts(mask[:, at:])]


def split(strength):
    """(H, W) ink in [0, 1] -> [(box, ink)] left to right: each digit's (top, left, bottom,
    right) in canvas pixels (inclusive) and its ink alone on the strip of columns it covers,
    (H, right - left + 1) float32. [] when nothing is inked."""
    strength = np.asarray(strength, np.float32)
    inked = strength > INK_THRESHOLD
    rows, columns = np.flatnonzero(inked.any(axis=1)), np.flatnonzero(inked.any(axis=0))
    if rows.size == 0:
        return []
    top, left = rows[0], columns[0]                         # the work is done on the ink's box
    crop = strength[top:rows[-1] + 1, left:columns[-1] + 1]
    labels, count = label(crop > INK_THRESHOLD)
    out = []
    for group in _groups(labels, count, strength.shape[0]):
        mask = np.isin(labels, group)
        spanned = np.flatnonzero(mask.any(axis=0))
        first, last = int(spanned[0]), int(spanned[-1]) + 1
        edges = [first, *(first + cut for cut in _cuts(mask[:, first:last])), last]
        for start, stop in zip(edges[:-1], edges[1:], strict=False):
            near = neighbourhood(mask[:, start:stop].astype(np.float32), np.maximum, square=True)  # the pen's edge
            ink = np.zeros((strength.shape[0], stop - start), np.float32)
            ink[top:top + crop.shape[0]] = crop[:, start:stop] * near
            drawn = np.flatnonzero((ink > INK_THRESHOLD).any(axis=1))
            out.append(((int(drawn[0]), int(left + start), int(drawn[-1]), int(left + stop - 1)), ink))
    return out


def read(classifier, strength):
    """(found, digits, reason, timings): how many digits the ink holds, each read (a Digit,
    left to right; [] when there are more than MAX_DIGITS), the REASONS name why not ("" when
    read), and the ms spent splitting and preprocessing, then in the network."""
    start = time.perf_counter()
    pieces = split(strength)
    if len(pieces) > MAX_DIGITS:
        return len(pieces), [], "too-many", [(time.perf_counter() - start) * 1e3, 0.0]
    images = [mnist_from_ink(ink) for _, ink in pieces]
    prepared = time.perf_counter()
    digits = []
    for (box, ink), image in zip(pieces, images, strict=True):
        probabilities, logits, _, features = classifier.answer(image)
        verdict, reason, _ = classifier.judge(ink, probabilities, logits, features)
        digits.append(Digit(box, image, probabilities, verdict, reason))
    done = time.perf_counter()
    return len(pieces), digits, "", [(prepared - start) * 1e3, (done - prepared) * 1e3]


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
