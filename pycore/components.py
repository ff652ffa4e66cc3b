"""Connected pieces of ink: which inked pixels touch, and the pieces' boxes.

    label(mask)            (labels (H, W) int32, count): 0 off the mask, 1..count a piece each
    boxes(labels, count)   (count, 4) int: each piece's top, left, bottom, right (inclusive)
    sizes(labels, count)   (count,) int: each piece's pixels

Pictures use them to tell the digit from what lies around it (preprocess), number mode to
split a row of digits (pycore.number). Vectorised, so that a photo's noise (thousands of
specks) costs no more than a clean drawing: union by hooking each touching pair's roots
together (the smaller index wins), then pointer jumping until every pixel points at its
root, repeated until no pair joins two roots; O(log n) rounds in practice.
"""
import numpy as np

# The neighbours each pixel is joined with (the rest of the 8 are these seen from the other end).
_FOUR = ((0, 1), (1, 0))
_EIGHT = _FOUR + ((1, 1), (1, -1))


def _pairs(mask, offsets):
    """The flat indices (a, b) of every two inked pixels that touch along ``offsets``."""
    h, w = mask.shape
    index = np.arange(h * w, dtype=np.int64).reshape(h, w)
    firsts, seconds = [], []
    for dr, dc in offsets:
        rows = slice(0, h - dr)
        cols, shifted = (slice(0, w - dc), slice(dc, w)) if dc >= 0 else (slice(-dc, w), slice(0, w + dc))
        both = mask[rows, cols] & mask[dr:h, shifted]
        firsts.append(index[rows, cols][both])
        seconds.append(index[dr:h, shifted][both])
    return np.concatenate(firsts), np.concatenate(seconds)


def _roots(parent):
    """Pointer jumping: every entry replaced by its root (parent[root] == root)."""
    while True:
        jumped = parent[parent]
        if np.array_equal(jumped, parent):
            return parent
        parent = jumped


def label(mask, eight=True):
    """(H, W) bool -> (labels (H, W) int32, count). Pieces are numbered 1..count in the order
    of their first pixel (row by row); 0 is off the mask. ``eight``: diagonal neighbours
    touch (a thin slanted stroke stays one piece), else only the four beside."""
    mask = np.asarray(mask, bool)
    if mask.ndim != 2:
        raise ValueError(f"expected a 2-D mask, got shape {mask.shape}")
    h, w = mask.shape
    parent = np.arange(h * w, dtype=np.int64)
    a, b = _pairs(mask, _EIGHT if eight else _FOUR)
    while a.size:
        ra, rb = parent[a], parent[b]
        apart = ra != rb
        if not apart.any():
            break
        ra, rb = ra[apart], rb[apart]
        low, high = np.minimum(ra, rb), np.maximum(ra, rb)
        np.minimum.at(parent, high, low)          # each root hooked under the smallest it touches
        parent = _roots(parent)
        a, b = a[apart], b[apart]                 # pairs already joined stay joined
    flat = mask.reshape(-1)
    roots = parent[flat]
    unique, first = np.unique(roots, return_inverse=True)
    labels = np.zeros(h * w, np.int32)
    labels[flat] = first.astype(np.int32) + 1     # roots are smallest indices: row-by-row order
    return labels.reshape(h, w), int(unique.size)


def boxes(labels, count):
    """(count, 4) int64: each piece's top, left, bottom, right, inclusive."""
    h, w = labels.shape
    out = np.empty((count, 4), np.int64)
    if count == 0:
        return out
    rows, cols = np.nonzero(labels)
    which = labels[rows, cols] - 1
    out[:, 0] = h
    out[:, 1] = w
    out[:, 2] = -1
    out[:, 3] = -1
    np.minimum.at(out[:, 0], which, rows)
    np.minimum.at(out[:, 1], which, cols)
    np.maximum.at(out[:, 2], which, rows)
    np.maximum.at(out[:, 3], which, cols)
    return out


def sizes(labels, count):
    """(count,) int64: each piece's number of pixels."""
    return np.bincount(labels.reshape(-1), minlength=count + 1)[1:count + 1]
