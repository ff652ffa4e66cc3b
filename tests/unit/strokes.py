"""Synthetic canvases: polylines drawn anti-aliased, like the page draws strokes."""
import itertools

import numpy as np

# Digit shapes as polylines in a unit box (x right, y down), roughly how people draw them.
SHAPES = {
    "seven": [[(0.1, 0.05), (0.9, 0.05), (0.35, 0.95)]],
    "one": [[(0.5, 0.0), (0.5, 1.0)]],
    "four": [[(0.6, 0.0), (0.05, 0.65), (0.95, 0.65)], [(0.7, 0.3), (0.7, 1.0)]],
    "zero": [[(0.5 + 0.4 * np.sin(t), 0.5 - 0.5 * np.cos(t)) for t in np.linspace(0, 2 * np.pi, 40)]],
}


def draw(shape, canvas=(280, 280), box=(40, 40, 200, 200), width=None, ink=(0, 0, 0), paper=(255, 255, 255),
         transparent=False):
    """RGBA uint8 canvas with ``shape`` drawn inside box = (left, top, width, height) in pixels."""
    H, W = canvas
    left, top, bw, bh = box
    width = width if width is not None else max(bw, bh) / 10
    rows, cols = np.mgrid[0:H, 0:W] + 0.5
    distance = np.full((H, W), np.inf)
    for line in SHAPES[shape]:
        points = [(left + x * bw, top + y * bh) for x, y in line]
        for (x0, y0), (x1, y1) in itertools.pairwise(points):
            dx, dy = x1 - x0, y1 - y0
            t = np.clip(((cols - x0) * dx + (rows - y0) * dy) / max(dx * dx + dy * dy, 1e-9), 0, 1)
            distance = np.minimum(distance, np.hypot(cols - (x0 + t * dx), rows - (y0 + t * dy)))
    coverage = np.clip(width / 2 - distance + 0.5, 0, 1)           # 1 inside, a one-pixel soft edge
    rgba = np.empty((H, W, 4), np.uint8)
    if transparent:
        rgba[..., :3] = ink
        rgba[..., 3] = np.round(coverage * 255)
    else:
        for c in range(3):
            rgba[..., c] = np.round(paper[c] + (ink[c] - paper[c]) * coverage)
        rgba[..., 3] = 255
    return rgba
