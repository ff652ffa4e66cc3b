"""Is the drawing a digit at all? Measured signals of the ink and of the network's answer,
and the decision the page shows (#answer[data-verdict]).

    signals(strength, probabilities, logits)   {name: float}: what the decision looks at
                                       (Classifier.judge adds "novelty", pycore.novelty's score)
    decide(signals)                    (verdict, reason): names from VERDICTS and REASONS

A blank canvas never gets here (preprocess.to_mnist gives None: the page says "blank").
The thresholds were chosen on drawn validation data, never MNIST's test set or held-out
images: `python -m train.verdict` measures them again and prints the rates (docs/verdict.md).
"""
import numpy as np

from .preprocess import INK_THRESHOLD

VERDICTS = ("digit", "blank", "not-a-digit")

# Why a drawing is not a digit, in the order they are tested: (code name, what the page says).
REASONS = (
    ("", ""),
    ("small", "too small to read — draw larger"),
    ("line", "that looks like a line, not a digit"),
    ("blob", "that looks like a filled blob"),
    ("scribble", "that looks like a scribble"),
    ("unsure", "that is not one digit the network knows"),
    ("unlike", "that does not look like a digit"),
)

# The thresholds, chosen on the validation seeds (python -m train.verdict --choose): each lies
# beyond the drawn and MNIST digits' 0.1 % or 99.9 % quantile of its signal (docs/verdict.md).
MIN_EXTENT = 0.15      # the ink's longer side, as a share of the canvas's longer side (digits >= 0.21)
MIN_FLATNESS = 0.45    # the ink box's height over its width: a dash or a long line is flat (>= 0.51)
MAX_THICKNESS = 0.33   # the strokes' width over the box's longer side: a blob is thick (<= 0.35)
MAX_LENGTH = 3.6       # the strokes' length over the box's longer side: a scribble is long (<= 3.37)
MIN_ENERGY = 5.0       # log(sum(exp(logits))): low for what the network never saw (0.2 % below)
MAX_NOVELTY = 133.0    # pycore.novelty's distance to the nearest class mean of MNIST's features (0.1 % above)


def signals(strength, probabilities, logits):
    """(H, W) ink in [0, 1] (preprocess.ink), the (10,) probabilities shown and the (10,)
    logits they came from -> the signals:

    extent      the ink box's longer side over the canvas's longer side
    flatness    the ink box's height over its width
    fill        the mean ink inside the box
    thickness   the strokes' width (twice the ink over the outline, preprocess.stroke_width)
                over the box's longer side: a blob is as thick as half its box
    length      the strokes' total length over the box's longer side: a stroke of length l
                has an outline 2 l long (the summed gradient magnitude, as
                preprocess.stroke_width measures it)
    confidence  the highest probability; margin: it minus the second highest
    energy      log(sum(exp(logits))), the logits' "free energy" with its sign turned: the
                network answers what it was trained on with larger logits (lower energy)
                than what lies outside it
    """
    inked = strength > INK_THRESHOLD
    rows, cols = np.flatnonzero(inked.any(axis=1)), np.flatnonzero(inked.any(axis=0))
    crop = strength[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1].astype(np.float32)   # (h, w)
    h, w = crop.shape
    padded = np.zeros((h + 1, w + 1), np.float32)
    padded[1:, 1:] = crop
    outline = float(np.hypot(np.diff(padded, axis=0)[:, 1:], np.diff(padded, axis=1)[1:, :]).sum())
    top2 = np.sort(np.asarray(probabilities, np.float64))[-2:]
    logits = np.asarray(logits, np.float64)
    energy = float(logits.max() + np.log(np.exp(logits - logits.max()).sum()))
    side = max(h, w)
    return {"extent": side / max(strength.shape), "flatness": h / w, "fill": float(crop.mean()),
            "thickness": 2 * float(crop.sum()) / outline / side if outline > 0 else 1.0,
            "length": outline / 2 / side, "confidence": float(top2[1]),
            "margin": float(top2[1] - top2[0]), "energy": energy}


def decide(measured):
    """The signals -> (verdict, reason): ("digit", "") or ("not-a-digit", a REASONS name).
    Without "novelty" (no statistics for the network reading) that test is skipped."""
    tests = (("small", measured["extent"] < MIN_EXTENT),
             ("line", measured["flatness"] < MIN_FLATNESS),
             ("blob", measured["thickness"] > MAX_THICKNESS),
             ("scribble", measured["length"] > MAX_LENGTH),
             ("unsure", measured["energy"] < MIN_ENERGY),
             ("unlike", measured.get("novelty", 0.0) > MAX_NOVELTY))
    for reason, failed in tests:
        if failed:
            return "not-a-digit", reason
    return "digit", ""


def codes(verdict, reason):
    """(verdict, reason) -> the two numbers classify_pixels packs: indices into VERDICTS and
    REASONS (the worker reads both tables once, by name)."""
    return VERDICTS.index(verdict), [name for name, _ in REASONS].index(reason)
