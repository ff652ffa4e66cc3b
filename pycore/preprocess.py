"""Canvas pixels -> the 28x28 image the network expects, following MNIST's recipe.

MNIST digits are white on black, their bounding box fitted into 20x20 pixels
(aspect ratio kept, grey levels from area averaging), pasted into a 28x28 field
so that their centre of mass sits at the field's centre. The network has only
ever seen such images, so a drawing must be made to look like one:

    rgba (H, W, 4) uint8 --ink--> (H, W) in [0, 1] --crop to the ink's box-->
    --area-average the longer side to 20 px--> --strokes into MNIST's range of widths-->
    --paste, centre of mass at the centre--> (28, 28) float32 in [0, 1]

Stroke width: the page's pen is a fixed fraction of its box, so once a drawing is
scaled to 20 px its strokes are thin if it filled the box and thick if it was drawn
small; MNIST's pens were neither (see ``even_strokes``).

Background handling: a canvas with transparent pixels is read by its alpha
(ink = opacity); an opaque one by its brightness, against the background level
read from its border, so dark-on-light and light-on-dark both work. An opened
picture's ink is read by pycore.pictures instead (the digit, not its surroundings).
"""
from functools import lru_cache

import numpy as np

from .products import matmul

FIELD = 28          # output side
BOX = 20            # the digit's longer side inside the field
INK_THRESHOLD = 0.1  # fraction of full contrast that counts as ink for the bounding box
# MNIST's usual stroke widths, px at the 20-px scale: the median and the 90th percentile of
# stroke_width over training images 0-39,999 (python -m train.strokes measures them again).
# Narrower or wider strokes are brought to the nearer end.
STROKE_RANGE = (2.38, 3.30)


def ink(rgba):
    """(H, W, 4) uint8 canvas pixels -> (H, W) float32 ink in [0, 1] (1 = full stroke)."""
    rgba = np.asarray(rgba)
    if rgba.ndim == 2:                       # already a grey image: bright ink assumed
        grey = rgba.astype(np.float32)
        return grey / 255 if rgba.dtype == np.uint8 else grey
    if rgba.ndim != 3 or rgba.shape[2] != 4 or rgba.dtype != np.uint8:
        raise ValueError(f"expected canvas pixels as (H, W, 4) uint8, got {rgba.shape} {rgba.dtype}")
    alpha = rgba[..., 3]
    if alpha.min() < 255:                    # transparent background: the stroke is what is opaque
        return alpha.astype(np.float32) / 255
    r, g, b = (rgba[..., i].astype(np.float32) for i in range(3))
    luminance = (0.299 / 255) * r + (0.587 / 255) * g + (0.114 / 255) * b
    border = np.concatenate([luminance[0], luminance[-1], luminance[:, 0], luminance[:, -1]])
    background = quantile(border, 0.5)
    if background >= 0.5:                    # dark ink on a light page
        strength = (background - luminance) / background
    else:                                    # light ink on a dark page
        strength = (luminance - background) / (1 - background)
    return np.clip(strength, 0, 1)


def quantile(values, q):
    """The q-quantile (q in [0, 1]) of an array's values, as np.quantile's default (linear)
    method gives it, by np.partition: np.median and np.quantile reach numpy.ma, whose files
    the page would otherwise download on a first visit (0.13 MB). A float; ValueError for
    no values."""
    flat = np.asarray(values).ravel()
    if flat.size == 0:
        raise ValueError("the quantile of no values")
    position = q * (flat.size - 1)
    low = int(np.floor(position))
    high = min(low + 1, flat.size - 1)
    part = np.partition(flat, [low, high]) if high > low else np.partition(flat, low)
    a, b = float(part[low]), float(part[high])
    return a + (b - a) * (position - low)


@lru_cache(maxsize=512)
def area_resize_matrix(n_in, n_out):
    """(n_out, n_in) matrix that area-averages a line of n_in pixels into n_out.

    Output pixel k covers input span [k*s, (k+1)*s) with s = n_in / n_out; its
    value is the mean of the input over that span, each input pixel weighted by
    how much of it lies inside. Rows sum to 1. Cached (live drawing asks for the
    same sizes again and again), so the array is read-only.
    """
    scale = n_in / n_out
    edges = np.arange(n_out + 1) * scale
    j = np.arange(n_in)
    lo = np.maximum(j[None, :], edges[:-1, None])
    hi = np.minimum(j[None, :] + 1, edges[1:, None])
    matrix = (np.clip(hi - lo, 0, None) / scale).astype(np.float32)
    matrix.setflags(write=False)
    return matrix


def centre_of_mass(image):
    """(row, col) centre of mass of a 2-D non-negative image, in pixel-index coordinates."""
    total = image.sum()
    rows = np.arange(image.shape[0], dtype=np.float64)
    cols = np.arange(image.shape[1], dtype=np.float64)
    return (float(image.sum(axis=1) @ rows / total), float(image.sum(axis=0) @ cols / total))


def area_resize(image, rows, cols):
    """(H, W) float32 -> (rows, cols) by area averaging along each axis."""
    return matmul(area_resize_matrix(image.shape[0], rows),
                  matmul(image, area_resize_matrix(image.shape[1], cols).T))


def box_shape(h, w):
    """The (rows, cols) of an h x w crop with its longer side fitted to 20 px, aspect kept."""
    scale = BOX / max(h, w)
    return max(1, round(h * scale)), max(1, round(w * scale))


def fit_box(crop):
    """(h, w) ink crop -> the digit with its longer side area-averaged to 20 px, aspect kept."""
    return area_resize(crop, *box_shape(*crop.shape))


def centre_in_field(digit):
    """Paste a digit (h, w <= 20) into 28x28 so its centre of mass lands on the centre.

    The shift is fractional: the digit is spread over the two nearest integer
    positions on each axis (bilinear), which moves the centre of mass exactly
    where it should go, instead of up to half a pixel off.
    """
    h, w = digit.shape
    com_row, com_col = centre_of_mass(digit)
    centre = (FIELD - 1) / 2                          # 13.5: between pixels 13 and 14
    top = min(max(centre - com_row, 0.0), FIELD - h)  # keep the whole digit inside the field
    left = min(max(centre - com_col, 0.0), FIELD - w)
    row, col = int(np.floor(top)), int(np.floor(left))
    ft, fl = top - row, left - col
    field = np.zeros((FIELD + 1, FIELD + 1), np.float32)
    for dr, wr in ((0, 1 - ft), (1, ft)):
        for dc, wc in ((0, 1 - fl), (1, fl)):
            field[row + dr:row + dr + h, col + dc:col + dc + w] += (wr * wc) * digit
    return field[:FIELD, :FIELD]                      # the extra row/column only ever gets weight 0


def ink_box(strength):
    """The part of an (H, W) ink image inside the box of its inked pixels; None if none are."""
    inked = strength > INK_THRESHOLD
    rows, cols = np.flatnonzero(inked.any(axis=1)), np.flatnonzero(inked.any(axis=0))
    if rows.size == 0:
        return None
    return strength[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def stroke_width(image):
    """Mean stroke width of a grey (h, w) digit, in its pixels: twice its ink over its outline.

    A stroke of width w and length l holds w*l of ink and has an outline 2*l long. The
    outline is the summed gradient magnitude (grey edges count by their contrast).
    """
    padded = _padded(image, 1)
    outline = np.hypot(np.diff(padded, axis=0)[:, :-1], np.diff(padded, axis=1)[:-1, :]).sum()
    return float(2 * padded.sum() / outline) if outline > 0 else 0.0


def _padded(image, margin):
    """A float32 image (or stack of images, (..., h, w)) with a margin of zeros around each
    (cheaper than np.pad, which is general)."""
    *batch, h, w = image.shape
    out = np.zeros((*batch, h + 2 * margin, w + 2 * margin), np.float32)
    out[..., margin:margin + h, margin:margin + w] = image
    return out


def neighbourhood(image, reduce, square):
    """Each pixel's max (or min: ``reduce``, np.maximum or np.minimum) over itself and its 4
    neighbours, or its 8 if ``square``; outside the image counts as 0. Works on the last two
    axes, so on a stack of images too (train.augment.stroke_weight)."""
    h, w = image.shape[-2:]
    padded = _padded(image, 1)
    out = image
    for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1)) + (((-1, -1), (-1, 1), (1, -1), (1, 1)) if square else ()):
        out = reduce(out, padded[..., 1 + dr:1 + dr + h, 1 + dc:1 + dc + w])
    return out


def grow(image, pixels):
    """Strokes thickened (pixels > 0) or thinned (< 0) by |pixels| on each side.

    Grey dilation or erosion, one pixel per step, alternating the 4- and the 8-neighbourhood
    so that slanted strokes grow about as fast as upright ones; a fractional last step is a
    blend. The image should have a margin of zeros at least ``pixels`` wide.
    """
    reduce = np.maximum if pixels > 0 else np.minimum
    whole, part = divmod(abs(pixels), 1.0)
    for step in range(int(whole)):
        image = neighbourhood(image, reduce, square=step % 2 == 1)
    if part > 0:
        image = image + np.float32(part) * (neighbourhood(image, reduce, square=int(whole) % 2 == 1) - image)
    return image


def even_strokes(large, width):
    """A digit at twice the 20-px scale (``large``, longer side 40 px) fitted to 20 px with its
    strokes ``width`` px wide there.

    At twice the scale a pixel of grow is half a pixel of the result. Thickened by r px
    on each side, a stroke w2 px wide in an L-px digit becomes 20 (w2 + 2r) / (L + 2r) px
    wide once the grown digit is fitted to 20 px; r solves that for ``width``. Grey edges
    do not grow or shrink quite like that, so if the first try misses by more than a
    tenth of a pixel, a second one corrects r by the miss (a pixel of r is about a pixel
    of width).
    """
    side, current = max(large.shape), stroke_width(large)
    r = (side * width - BOX * current) / (2 * BOX - 2 * width)
    digit = _grown_and_fitted(large, r)
    miss = width - stroke_width(digit)
    return digit if abs(miss) <= 0.1 else _grown_and_fitted(large, r + miss)


def _grown_and_fitted(large, r):
    """``large`` grown by r px on each side (thinned if r < 0), cropped to its ink, fitted to 20 px."""
    margin = int(np.ceil(abs(r))) + 1
    grown = ink_box(grow(_padded(large, margin), r))
    return fit_box(grown if grown is not None else large)


def to_mnist(rgba, strokes=STROKE_RANGE):
    """Canvas pixels (H, W, 4) uint8 -> (28, 28) float32 in [0, 1], white digit on black.

    Strokes narrower or wider than the (low, high) range ``strokes`` (px at the 20-px
    scale) are brought to its nearer end; None leaves them as drawn.
    Returns None when the canvas holds no ink: a blank canvas is not a digit.
    """
    return mnist_from_ink(ink(rgba), strokes)


def mnist_from_ink(strength, strokes=STROKE_RANGE):
    """to_mnist from the canvas's (H, W) ink (``ink(rgba)``), for a caller that also reads the ink."""
    digit = fitted_from_ink(strength, strokes)
    return None if digit is None else np.clip(centre_in_field(digit), 0, 1)


def fitted(rgba, strokes=STROKE_RANGE):
    """Canvas pixels -> the digit (h, w <= 20) to_mnist centres: the ink's box fitted to 20 px,
    its strokes brought into the range ``strokes`` (None: as drawn). None for a blank canvas."""
    return fitted_from_ink(ink(rgba), strokes)


def fitted_from_ink(strength, strokes=STROKE_RANGE):
    """fitted from the canvas's (H, W) ink."""
    crop = ink_box(strength)                                         # (h, w), the ink's box
    if crop is None:
        return None
    rows, cols = box_shape(*crop.shape)
    large = area_resize(crop, 2 * rows, 2 * cols)                    # twice fit_box's size
    digit = large.reshape(rows, 2, cols, 2).mean(axis=(1, 3))        # = fit_box(crop): area averages compose
    if strokes is not None:
        width = stroke_width(digit)
        wanted = min(max(width, strokes[0]), strokes[1])
        if abs(wanted - width) > 0.05:                               # outside the range, not just at its edge
            digit = even_strokes(large, wanted)
    return digit
