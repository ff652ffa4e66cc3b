"""Writers' styles: digits drawn as polylines through the page's pen, at random slant, size,
place and jitter, then preprocessed as the page does (pycore.preprocess.to_mnist).

    STYLES     writers' styles: UNUSUAL ones the shipped model reads badly, and controls
    ORDINARY   one plain template per digit 0-9 that the shipped model reads right
    drawings(shape, n, seed)   (n, 28, 28) float32 images of one shape, seed by seed

Shapes are polylines in a unit box (x right, y down); a drawing places the box, slants it
about its centre, scales it and moves each point a little, as a hand does.
"""
import numpy as np

from pycore.preprocess import to_mnist

from .drawing import PEN_WIDTH, rasterise


def arc(cx, cy, rx, ry, start, stop, points=16):
    """Points on an ellipse from angle ``start`` to ``stop`` (degrees, 0 = right, 90 = up)."""
    t = np.radians(np.linspace(start, stop, points))
    return [(cx + rx * np.cos(a), cy - ry * np.sin(a)) for a in t]


# name: (digit, polylines). The styles people write outside the US classroom's print; the first
# three the shipped model reads badly, the last two it reads right (controls: teaching must keep them).
STYLES = {
    # a long, flat up-stroke flag and no base: the shipped model calls it 7
    "european 1": (1, [[(0.0, 0.35), (0.8, 0.0), (0.8, 1.0)]]),
    # a loop filling the height, its start tucked inside: read as 0
    "round 6": (6, [arc(0.55, 0.55, 0.42, 0.45, 70, -250, 28) + [(0.35, 0.55), (0.6, 0.5)]]),
    # a cursive 4, its open top a curve: read as 9 as often as 4
    "looped 4": (4, [arc(0.55, 0.35, 0.35, 0.3, 90, 200, 8) + [(0.95, 0.6)], [(0.7, 0.0), (0.7, 1.0)]]),
    # a 7 with a bar through its stem
    "crossed 7": (7, [[(0.05, 0.05), (0.95, 0.05), (0.4, 1.0)], [(0.3, 0.52), (0.85, 0.52)]]),
    # flag and base line, as taught in much of Europe
    "continental 1": (1, [[(0.2, 0.3), (0.55, 0.0), (0.55, 1.0)], [(0.2, 1.0), (0.9, 1.0)]]),
}
UNUSUAL = ("european 1", "round 6", "looped 4")   # the styles the benchmark teaches

ORDINARY = {
    0: [arc(0.5, 0.5, 0.42, 0.5, 90, 450, 32)],
    1: [[(0.5, 0.0), (0.5, 1.0)]],
    2: [arc(0.5, 0.3, 0.4, 0.3, 160, -30) + [(0.05, 1.0), (0.95, 1.0)]],
    3: [arc(0.5, 0.25, 0.4, 0.25, 150, -90) + arc(0.5, 0.73, 0.45, 0.27, 90, -150)],
    4: [[(0.65, 0.0), (0.05, 0.65), (0.95, 0.65)], [(0.7, 0.3), (0.7, 1.0)]],
    5: [[(0.85, 0.0), (0.2, 0.0), (0.15, 0.42)] + arc(0.48, 0.68, 0.42, 0.3, 130, -150)],
    6: [[(0.7, 0.0), (0.25, 0.45)] + arc(0.5, 0.7, 0.38, 0.3, 180, 540, 28)],
    7: [[(0.05, 0.05), (0.95, 0.05), (0.35, 1.0)]],
    8: [arc(0.5, 0.25, 0.32, 0.25, -90, 270, 24) + arc(0.5, 0.73, 0.4, 0.27, 90, -270, 24)],
    9: [arc(0.5, 0.27, 0.38, 0.27, 0, 360, 24) + [(0.88, 0.27), (0.75, 1.0)]],
}

CANVAS = 280


def shapes():
    """Every shape this module draws: {name: (digit, polylines)}, the styles then 'plain 0'..'plain 9'."""
    return {**STYLES, **{f"plain {digit}": (digit, lines) for digit, lines in ORDINARY.items()}}


def canvas(polylines, rng, slant=15.0, size=(0.4, 0.9), jitter=0.03):
    """(CANVAS, CANVAS, 4) uint8, black on transparent like the page: ``polylines`` (unit box,
    aspect 0.6 wide) slanted by U(+-slant) degrees, its height U(size) of the box, placed at random
    inside it (clear of the edge by a pen's width), each point moved by N(0, jitter) of the height."""
    margin = CANVAS * PEN_WIDTH
    height = (CANVAS - 2 * margin) * rng.uniform(*size)
    width = 0.6 * height
    shear = np.tan(np.radians(rng.uniform(-slant, slant)))
    left = rng.uniform(margin + shear.clip(0) * height / 2, CANVAS - margin - width - (-shear).clip(0) * height / 2)
    top = rng.uniform(margin, CANVAS - margin - height)
    placed = []
    for line in polylines:
        points = np.asarray(line, np.float64) + rng.normal(0, jitter, (len(line), 2)) * [1 / 0.6, 1]
        x = left + points[:, 0] * width + shear * (0.5 - points[:, 1]) * height   # slant about the middle
        y = top + points[:, 1] * height
        placed.append(list(zip(x, y, strict=True)))
    return rasterise(placed, (CANVAS, CANVAS), width=CANVAS * PEN_WIDTH, transparent=True)


def drawing(polylines, seed):
    """One drawing of ``polylines`` from ``seed``, as the network sees it: (28, 28) float32."""
    return to_mnist(canvas(polylines, np.random.default_rng(seed)))


def drawings(name, seeds):
    """(len(seeds), 28, 28) float32 and (len(seeds),) labels: shape ``name`` drawn once per seed."""
    digit, polylines = shapes()[name]
    images = np.stack([drawing(polylines, [hash_name(name), int(seed)]) for seed in seeds])
    return images, np.full(len(images), digit, np.int64)


def hash_name(name):
    """A stable number for a shape's name (Python's hash() changes between runs)."""
    return int.from_bytes(name.encode()[:8].ljust(8, b"\0"), "little")
