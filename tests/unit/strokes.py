"""Synthetic canvases: digit shapes drawn anti-aliased, like the page draws strokes
(train/drawing.py's rasteriser)."""
import numpy as np

from train.drawing import in_box, rasterise

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
    width = width if width is not None else max(box[2], box[3]) / 10
    return rasterise(in_box(SHAPES[shape], box), canvas, width, ink, paper, transparent)
