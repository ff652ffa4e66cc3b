"""Canvas pixels -> the 28x28 image the network expects, following MNIST's recipe.

MNIST digits are white on black, their bounding box fitted into 20x20 pixels
(aspect ratio kept, grey levels from area averaging), pasted into a 28x28 field
so that their centre of mass sits at the field's centre. The network has only
ever seen such images, so a drawing must be made to look like one:

    rgba (H, W, 4) uint8 --ink--> (H, W) in [0, 1] --crop to the ink's box-->
    --area-average the longer side to 20 px--> --paste, centre of mass at the centre-->
    (28, 28) float32 in [0, 1]

Background handling: a canvas with transparent pixels is read by its alpha
(ink = opacity); an opaque one by its brightness, against the background level
read from its border, so dark-on-light and light-on-dark both work.
"""
from functools import lru_cache

import numpy as np

from .products import matmul

FIELD = 28          # output side
BOX = 20            # the digit's longer side inside the field
INK_THRESHOLD = 0.1  # fraction of full contrast that counts as ink for the bounding box


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
    background = float(np.median(border))
    if background >= 0.5:                    # dark ink on a light page
        strength = (background - luminance) / background
    else:                                    # light ink on a dark page
        strength = (luminance - background) / (1 - background)
    return np.clip(strength, 0, 1)


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


def fit_box(crop):
    """(h, w) ink crop -> the digit with its longer side area-averaged to 20 px, aspect kept."""
    h, w = crop.shape
    scale = BOX / max(h, w)
    new_h, new_w = max(1, round(h * scale)), max(1, round(w * scale))
    return area_resize(crop, new_h, new_w)


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
    t, l = int(np.floor(top)), int(np.floor(left))
    ft, fl = top - t, left - l
    field = np.zeros((FIELD + 1, FIELD + 1), np.float32)
    for dr, wr in ((0, 1 - ft), (1, ft)):
        for dc, wc in ((0, 1 - fl), (1, fl)):
            field[t + dr:t + dr + h, l + dc:l + dc + w] += (wr * wc) * digit
    return field[:FIELD, :FIELD]                      # the extra row/column only ever gets weight 0


def to_mnist(rgba):
    """Canvas pixels (H, W, 4) uint8 -> (28, 28) float32 in [0, 1], white digit on black.

    Returns None when the canvas holds no ink: a blank canvas is not a digit.
    """
    strength = ink(rgba)
    inked = strength > INK_THRESHOLD
    rows, cols = np.flatnonzero(inked.any(axis=1)), np.flatnonzero(inked.any(axis=0))
    if rows.size == 0:
        return None
    crop = strength[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]     # (h, w), the ink's box
    return np.clip(centre_in_field(fit_box(crop)), 0, 1)


def _paper_surface(small, rounds=4):
    """Fit a smooth quadratic surface to the paper of a small (h, w) image, paper bright.

    Ink is a minority of dark pixels: start from the brighter half, fit
    a + b*u + c*v + d*u^2 + e*u*v + f*v^2 (u, v in [-1, 1]) by least squares, then keep
    as paper whatever is not clearly darker than the fit, and refit. Returns the six
    coefficients and the paper's noise level (a robust standard deviation).
    """
    h, w = small.shape
    u, v = np.meshgrid(np.linspace(-1, 1, w), np.linspace(-1, 1, h))
    design = np.stack([np.ones_like(u), u, v, u * u, u * v, v * v], axis=-1).reshape(-1, 6)
    values = small.reshape(-1).astype(np.float64)
    paper = values >= np.median(values)
    noise = 0.0
    for _ in range(rounds):
        coefficients, *_ = np.linalg.lstsq(design[paper], values[paper], rcond=None)
        residual = values - design @ coefficients
        noise = 1.4826 * float(np.median(np.abs(residual[paper] - np.median(residual[paper]))))
        paper = residual > -max(3 * noise, 0.03)
    return coefficients, noise


def flatten_background(rgba):
    """An uploaded picture (H, W, 4) uint8 -> (H, W, 4) uint8: dark ink on an even white page.

    Photos and scans are not canvases: the paper is grey, lit unevenly (brighter on one
    side, darker in a corner), slightly noisy, and the pen is rarely black. ``ink`` reads
    strokes against one background level taken from the border, so on such a picture it
    would count the shadowed paper as ink and the bounding box would be the whole page.
    This step, for uploaded pictures only, evens the paper first:

        luminance (paper made the bright side, whichever way round the picture is)
        --> the paper's brightness everywhere, as a quadratic surface fitted to the paper
        --> ink = how much darker than the paper each pixel is, relative to the paper
        --> noise floor removed, strongest strokes stretched to full black

    The result feeds ``to_mnist`` like a drawing (it keeps the size; fully opaque).
    A picture with transparent pixels is returned unchanged (its alpha is the ink).
    A picture with no ink left after flattening comes back blank white.
    """
    rgba = np.asarray(rgba)
    if rgba.ndim != 3 or rgba.shape[2] != 4 or rgba.dtype != np.uint8:
        raise ValueError(f"expected pixels as (H, W, 4) uint8, got {rgba.shape} {rgba.dtype}")
    if rgba[..., 3].min() < 255:
        return rgba
    height, width = rgba.shape[:2]
    r, g, b = (rgba[..., i].astype(np.float32) for i in range(3))
    luminance = (0.299 / 255) * r + (0.587 / 255) * g + (0.114 / 255) * b       # (H, W)
    border = np.concatenate([luminance[0], luminance[-1], luminance[:, 0], luminance[:, -1]])
    if np.median(border) < 0.5:              # light ink on a dark page: make the paper bright
        luminance = 1 - luminance

    scale = min(1.0, 64 / max(height, width))    # fit the surface on at most 64x64 pixels
    small = area_resize(luminance, max(1, round(height * scale)), max(1, round(width * scale)))
    coefficients, noise = _paper_surface(small)
    u = np.linspace(-1, 1, width, dtype=np.float32)[None, :]     # (1, W)
    v = np.linspace(-1, 1, height, dtype=np.float32)[:, None]    # (H, 1)
    a, bu, bv, cuu, cuv, cvv = (np.float32(c) for c in coefficients)
    paper = a + bu * u + bv * v + cuu * u * u + cuv * u * v + cvv * v * v  # (H, W)
    paper = np.maximum(paper, np.float32(0.05))
    darkness = np.clip((paper - luminance) / paper, 0, 1)                  # (H, W) in [0, 1]

    floor = max(0.08, 4 * noise / float(np.median(paper)))
    inked = darkness[darkness > floor]
    out = np.empty_like(rgba)
    out[..., 3] = 255
    if inked.size == 0:
        out[..., :3] = 255
        return out
    full = max(float(np.percentile(inked, 95)), floor + 0.05)
    strength = np.clip((darkness - floor) / (full - floor), 0, 1)
    out[..., :3] = np.round(255 * (1 - strength)).astype(np.uint8)[..., None]
    return out
