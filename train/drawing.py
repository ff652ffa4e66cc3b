"""Digits drawn as polylines, anti-aliased like the page's pen: the one rasteriser the
tests and the benchmarks draw their canvases with.

    rasterise(polylines, (H, W), width)      an RGBA canvas, as the page's drawing box gives
    distance_to(polylines, (H, W))           each pixel's distance to the nearest stroke

Points are (x, y) pixel coordinates, x to the right and y down.
"""
import itertools

import numpy as np

# The page's pen, as a share of its drawing box's side. The owner of this figure:
# web/pad.js's STROKE_WIDTH is held to it by tests/unit/test_web_layout.py.
PEN_WIDTH = 1 / 18


def distance_to(polylines, shape, centre=0.5):
    """(H, W) float64: each pixel's distance to the nearest segment of ``polylines`` (each a
    list of (x, y) points). A pixel's position is its index plus ``centre``: 0.5 is the
    middle of the pixel (as a canvas draws), 0 its corner (as an image's grid is indexed)."""
    rows, cols = np.mgrid[0:shape[0], 0:shape[1]] + centre
    distance = np.full(shape, np.inf)
    for line in polylines:
        for (x0, y0), (x1, y1) in itertools.pairwise(line):
            dx, dy = x1 - x0, y1 - y0
            t = np.clip(((cols - x0) * dx + (rows - y0) * dy) / max(dx * dx + dy * dy, 1e-9), 0, 1)
            distance = np.minimum(distance, np.hypot(cols - (x0 + t * dx), rows - (y0 + t * dy)))
    return distance


def rasterise(polylines, canvas=(280, 280), width=20.0, ink=(0, 0, 0), paper=(255, 255, 255),
              transparent=False):
    """(H, W, 4) uint8: ``polylines`` drawn with a round pen ``width`` pixels wide, its edge
    one pixel soft, on opaque ``paper`` (or, transparent, as ``ink`` whose alpha is the pen's
    coverage, as the page's network input canvas holds a drawing)."""
    height, width_px = canvas
    coverage = np.clip(width / 2 - distance_to(polylines, (height, width_px)) + 0.5, 0, 1)   # 1 inside
    rgba = np.empty((height, width_px, 4), np.uint8)
    if transparent:
        rgba[..., :3] = ink
        rgba[..., 3] = np.round(coverage * 255)
    else:
        for c in range(3):
            rgba[..., c] = np.round(paper[c] + (ink[c] - paper[c]) * coverage)
        rgba[..., 3] = 255
    return rgba


def in_box(polylines, box):
    """Polylines given in a unit box (fractions of it) placed in box = (left, top, width,
    height) pixels."""
    left, top, box_width, box_height = box
    return [[(left + x * box_width, top + y * box_height) for x, y in line] for line in polylines]
