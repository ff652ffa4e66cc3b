"""An opened picture's pixels -> the ink of the digit alone, not of what lies around it.

A photo is not a canvas: the paper (a sheet, a sticky note, a board) fills only part of
it, with a desk, a band of shadow or a table's edge beside it, its light uneven, ruled
lines across it. ``preprocess.ink`` would read all of that against one level taken from
the border; this reads the digit alone:

    brightness (each pixel's brightest channel: blue rules and red margins vanish)
    --> the paper's level block by block (a bright quantile of each block)
    --> the paper: the blocks near the centre's level, joined to the centre, holes filled
    --> ink = how much darker than its block's paper each pixel is
    --> pieces of ink (pycore.components) that reach outside the paper or the border dropped
    --> the piece nearest the centre, and the pieces close to it (a 4 or 5 in two strokes);
        for a number (``number_ink``), every piece on that piece's line, however far along it

The picture is read both ways round (chalk on a board is light on dark), and the way whose
paper covers more of the picture and of its middle is taken.

Transparency is background whatever colour the digit is: a picture transparent around
its digit is read by its alpha, then its pieces chosen the same way.
"""
import numpy as np

from .components import boxes, label, sizes
from .preprocess import neighbourhood, quantile

BLOCK = 10            # px of the 200x200 input canvas a block of paper spans
PAPER_QUANTILE = 0.9  # of a block's brightness: its paper (ink is the darker minority)
PAPER_SIDE = 0.75     # the quantile of the middle's block levels taken as the paper's level
PAPER_MATCH = 0.25    # a block is paper if its level is within this share of the paper's
INK = 0.3             # darkness against the paper (share of its level) that counts as ink
NEAR = 0.3            # pieces within this share of the chosen piece's longer side join it
OUTSIDE = 0.5         # a piece with more than this share of its pixels off the paper is not on it
SPECK = 0.02          # pieces under this share of the chosen piece's size are specks


def digit_ink(rgba):
    """(H, W, 4) uint8 picture pixels -> (H, W) float32 ink in [0, 1] of the digit alone
    (all zeros when none is found)."""
    return _ink(rgba, row=False)


def number_ink(rgba):
    """(H, W, 4) uint8 picture pixels -> (H, W) float32 ink in [0, 1] of the number alone: the
    digits in a row across the picture (number mode; pycore.number splits them), chosen as
    ``digit_ink`` chooses one, then the pieces on its line joined, however far apart."""
    return _ink(rgba, row=True)


def _ink(rgba, row):
    rgba = np.asarray(rgba)
    if rgba.ndim != 3 or rgba.shape[2] != 4 or rgba.dtype != np.uint8:
        raise ValueError(f"expected pixels as (H, W, 4) uint8, got {rgba.shape} {rgba.dtype}")
    if quantile(_edge(rgba[..., 3]), 0.5) < 128:   # transparent around the digit: its alpha is its ink
        strength = rgba[..., 3].astype(np.float32) / 255
        return _within(strength, _digit_mask(strength > INK, np.ones(strength.shape, bool), row))
    brightness = rgba[..., :3].max(axis=2).astype(np.float32) / 255         # (H, W)
    brightness, levels, near, _ = max(_as_paper(brightness), _as_paper(1 - brightness), key=lambda seen: seen[3])
    paper = _paper_blocks(near)
    if not paper.any():
        return np.zeros(brightness.shape, np.float32)
    level = quantile(levels[paper], 0.5)
    levels = np.where(paper, np.maximum(levels, level * (1 - PAPER_MATCH)), levels)  # holes: thick ink
    local = _blocks_to_pixels(levels, brightness.shape)
    darkness = np.clip((local - brightness) / np.maximum(local, 0.05), 0, 1)
    inside = _blocks_to_pixels(_eroded(paper), brightness.shape) > 0
    smooth = _mean3(darkness)                  # chalk's grain and a photo's noise do not split strokes
    mask = _digit_mask(smooth > INK, inside, row)
    full = quantile(smooth[mask], 0.95) if mask.any() else 1.0
    strength = np.clip((smooth - INK / 2) / max(full - INK / 2, 0.05), 0, 1)
    return _within(strength, mask)


def _within(strength, mask):
    """The ink of the pieces kept, with their soft edges (one pixel beyond ``mask``)."""
    return strength * neighbourhood(mask.astype(np.float32), np.maximum, square=True)


def _as_paper(brightness):
    """(brightness, its block levels (h, w), the blocks at the paper's level, their share):
    the picture seen as dark ink on bright paper. The paper's level is the bright side of
    the middle's levels (ink, a desk, a shadow are darker); a block near it is at it. The
    share is how much of the picture and of its middle those blocks cover (the two shares
    added): seen the wrong way round, they are the strokes of a thick digit, the ink's
    blocks or the desk around a sticky note, and cover less of the whole or of the middle."""
    levels = _block_levels(brightness)
    level = quantile(_middle(levels), PAPER_SIDE)
    near = np.abs(levels - level) <= PAPER_MATCH * level
    return brightness, levels, near, float(near.mean() + _middle(near).mean())


def _edge(image):
    """The values along an image's four edges, (2 * (H + W),)."""
    return np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])


def _middle(image):
    """The middle half of an image along each side."""
    h, w = image.shape
    return image[h // 4:h - h // 4, w // 4:w - w // 4]


def _blocks(image, side):
    """(H, W) -> (ceil(H/side), ceil(W/side), side * side): each square block's pixels (the
    last blocks run past the edge by repeating it)."""
    h, w = image.shape
    rows, cols = -(-h // side), -(-w // side)
    padded = image[np.minimum(np.arange(rows * side), h - 1)][:, np.minimum(np.arange(cols * side), w - 1)]
    return padded.reshape(rows, side, cols, side).transpose(0, 2, 1, 3).reshape(rows, cols, side * side)


def _block_levels(brightness):
    """(H, W) -> (ceil(H/BLOCK), ceil(W/BLOCK)): each block's PAPER_QUANTILE of brightness."""
    return np.sort(_blocks(brightness, BLOCK), axis=2)[..., int(PAPER_QUANTILE * (BLOCK * BLOCK - 1))]


def _blocks_to_pixels(blocks, shape, side=BLOCK):
    """A value per block spread over its pixels, (H, W)."""
    return np.repeat(np.repeat(blocks, side, axis=0), side, axis=1)[:shape[0], :shape[1]]


def _paper_blocks(near):
    """(h, w) bool: the paper, from the blocks at its level (``_as_paper``): their largest
    piece (the inside of a thick 0 is a smaller one), with the holes its ink makes filled."""
    pieces, count = label(near, eight=False)
    if count == 0:
        return near
    paper = pieces == 1 + int(np.argmax(sizes(pieces, count)))
    others, count = label(~paper, eight=False)       # what is not paper and touches no edge is a hole
    edge = np.unique(_edge(others))
    return paper | ((others > 0) & ~np.isin(others, edge))


def _eroded(paper):
    """The paper without its outer ring of blocks (where blocks straddle paper and desk)."""
    return neighbourhood(paper.astype(np.float32), np.minimum, square=True) > 0


def _mean3(image):
    """Each pixel's mean over its 3x3 neighbourhood (the image's edge repeated)."""
    padded = np.pad(image, 1, mode="edge")
    h, w = image.shape
    return sum(padded[r:r + h, c:c + w] for r in range(3) for c in range(3)) / 9


def _digit_mask(inked, inside, row=False):
    """(H, W) bool: the pieces of ``inked`` that make the digit. Pieces mostly outside
    ``inside`` (OUTSIDE) are the surroundings, and so are those reaching the picture's edge
    unless nothing else is inked (a digit cropped tightly);
    of the rest, the piece nearest the centre for its size is the digit's, and pieces close
    to it (NEAR) join it; with ``row`` (a number), so do the pieces on their line, however far
    along it (their middle between the kept pieces' top and bottom). The pieces are found on
    2x2 blocks (a quarter of the pixels to label; strokes a pixel apart join)."""
    kept = _kept_pieces(_blocks(inked, 2).any(axis=2), _blocks(inside, 2).all(axis=2), row)
    return _blocks_to_pixels(kept, inked.shape, side=2) & inked


def _kept_pieces(inked, inside, row=False):
    """_digit_mask on the 2x2 blocks."""
    pieces, count = label(inked)
    if count == 0:
        return inked
    h, w = inked.shape
    box = boxes(pieces, count).astype(np.float64)                          # (n, 4) top, left, bottom, right
    size = sizes(pieces, count).astype(np.float64)
    on_paper = np.bincount(pieces[~inside], minlength=count + 1)[1:] <= OUTSIDE * size
    edge = _edge(pieces)
    at_edge = np.zeros(count, bool)
    at_edge[edge[edge > 0] - 1] = True
    candidate = on_paper & ~at_edge
    if not candidate.any():                  # a digit cropped tightly reaches the edge
        candidate = on_paper
    if not candidate.any():
        return np.zeros(inked.shape, bool)
    middle = np.stack([(box[:, 0] + box[:, 2]) / 2 - (h - 1) / 2, (box[:, 1] + box[:, 3]) / 2 - (w - 1) / 2], 1)
    distance = np.hypot(*middle.T) / (0.25 * max(h, w))
    score = np.where(candidate, size / (1 + distance ** 2), -1)
    kept = np.zeros(count, bool)
    kept[int(np.argmax(score))] = True
    for _ in range(3):                                                     # pieces near the kept ones join
        top, left = box[kept, 0].min(), box[kept, 1].min()
        bottom, right = box[kept, 2].max(), box[kept, 3].max()
        gap = NEAR * max(bottom - top, right - left)
        near = (candidate & (size >= SPECK * size[kept].max())
                & (box[:, 0] <= bottom + gap) & (box[:, 2] >= top - gap)
                & (box[:, 1] <= right + gap) & (box[:, 3] >= left - gap))
        if (near <= kept).all():
            break
        kept |= near
    centre = (box[:, 0] + box[:, 2]) / 2                                   # each piece's middle row
    for _ in range(3 if row else 0):                                       # a number: its line joins
        top, bottom = box[kept, 0].min(), box[kept, 2].max()
        along = candidate & (size >= SPECK * size[kept].max()) & (centre >= top) & (centre <= bottom)
        if (along <= kept).all():
            break
        kept |= along
    return np.concatenate([[False], kept])[pieces]
