"""Pictures people really open, made here: a handwritten digit (train.handwriting's plain
templates, slanted and jittered by seed) on a sticky note on a desk, on paper with a dark
band or a table edge, under a shadow, on a lined page, in chalk on a board, on transparency,
and in a 4000x3000 phone photo. NumPy only, deterministic by seed.

    SCENES                     {name: maker}; maker(digit, seed) -> Scene
    page_input(rgba)           the picture as the page paints it into its 200x200 input canvas
    png(rgba)                  an RGBA picture as PNG bytes (zlib, no imaging library)

Each Scene carries the picture and ``clean``: the same strokes drawn alone, black on
transparent, through pycore.preprocess.to_mnist, the 28x28 the preview should show.
"""
import struct
import zlib
from typing import NamedTuple

import numpy as np

from pycore.preprocess import area_resize, to_mnist
from train.drawing import PEN_WIDTH, in_box, rasterise
from train.handwriting import ORDINARY

INPUT_SIZE = 200     # web/pad.js's INPUT_SIZE: the canvas the page sends to the worker


class Scene(NamedTuple):
    rgba: np.ndarray     # (H, W, 4) uint8, the picture as a file holds it
    clean: np.ndarray    # (28, 28) float32, the digit alone as the network should see it


def strokes(digit, rng, box):
    """The digit's template slanted by U(+-12) degrees and jittered, placed in box =
    (left, top, width, height) pixels: polylines in the picture's pixels."""
    shear = np.tan(np.radians(rng.uniform(-12, 12)))
    placed = []
    for line in ORDINARY[digit]:
        points = np.asarray(line, np.float64) + rng.normal(0, 0.02, (len(line), 2))
        points[:, 0] += shear * (0.5 - points[:, 1])
        placed.append([tuple(p) for p in points])
    return in_box(placed, box)


def coverage(lines, shape, pen):
    """(H, W) float64 in [0, 1]: how much of each pixel the pen covers."""
    return rasterise(lines, shape, pen, transparent=True)[..., 3] / 255


def digit_box(shape, rng, height=(0.45, 0.6), centre=(0.5, 0.5), spread=0.08):
    """(left, top, width, height) of a digit about ``height`` of the picture's height, near ``centre``."""
    h, w = shape
    box_h = h * rng.uniform(*height)
    box_w = 0.6 * box_h
    cx = w * (centre[1] + rng.uniform(-spread, spread))
    cy = h * (centre[0] + rng.uniform(-spread, spread))
    return cx - box_w / 2, cy - box_h / 2, box_w, box_h


def clean_digit(lines, box, pen):
    """The strokes alone, black on transparent, as the network should see them (28, 28)."""
    left, top, width, height = box
    side = int(np.ceil(max(width, height) + 4 * pen))
    shifted = [[(x - left + (side - width) / 2, y - top + (side - height) / 2) for x, y in line] for line in lines]
    return to_mnist(rasterise(shifted, (side, side), pen, transparent=True))


def to_rgba(colour, alpha=None):
    """(H, W, 3) float colour in [0, 1] (and (H, W) alpha) -> (H, W, 4) uint8."""
    h, w = colour.shape[:2]
    out = np.empty((h, w, 4), np.uint8)
    out[..., :3] = np.clip(np.round(colour * 255), 0, 255)
    out[..., 3] = 255 if alpha is None else np.clip(np.round(alpha * 255), 0, 255)
    return out


def paint(background, ink_colour, cover):
    """A (H, W, 3) background with ink of ``ink_colour`` laid where ``cover`` says."""
    return background * (1 - cover[..., None]) + np.asarray(ink_colour, np.float64) * cover[..., None]


def plain(shape, colour):
    return np.broadcast_to(np.asarray(colour, np.float64), (*shape, 3)).copy()


def written(digit, seed, shape, **where):
    """rng, the strokes' coverage on a picture of ``shape``, and the clean digit."""
    rng = np.random.default_rng([digit, seed])
    box = digit_box(shape, rng, **where)
    pen = PEN_WIDTH * box[3] / 0.8
    lines = strokes(digit, rng, box)
    return rng, coverage(lines, shape, pen), clean_digit(lines, box, pen)


def sticky_note(digit, seed, shape=(300, 400)):
    """A yellow sticky note on a brown wooden desk, a dark pen's digit on the note."""
    h, w = shape
    rng = np.random.default_rng([digit, seed, 1])
    side = h * rng.uniform(0.7, 0.8)
    top, left = (h - side) / 2 + rng.uniform(-10, 10), (w - side) / 2 + rng.uniform(-30, 30)
    centre = ((top + side / 2) / h, (left + side / 2) / w)
    rng, cover, clean = written(digit, seed, shape, height=(0.4, 0.5), centre=centre, spread=0.03)
    rows, cols = np.mgrid[0:h, 0:w]
    grain = 0.06 * np.sin(cols / 7 + 3 * np.sin(rows / 40)) + rng.normal(0, 0.02, shape)
    desk = plain(shape, (0.50, 0.33, 0.20)) * (1 + grain)[..., None]
    note = (rows >= top) & (rows < top + side) & (cols >= left) & (cols < left + side)
    desk[note] = (0.98, 0.90, 0.45)
    return Scene(to_rgba(paint(desk, (0.12, 0.12, 0.2), cover)), clean)


def dark_band(digit, seed, shape=(300, 300)):
    """White paper with a dark band along its left side (the desk beside the sheet)."""
    rng, cover, clean = written(digit, seed, shape, centre=(0.5, 0.58))
    paper = plain(shape, (0.93, 0.93, 0.91))
    band = int(shape[1] * rng.uniform(0.12, 0.2))
    paper[:, :band] = (0.12, 0.1, 0.1)
    return Scene(to_rgba(paint(paper, (0.1, 0.1, 0.1), cover)), clean)


def table_edge(digit, seed, shape=(400, 300)):
    """A phone photo of paper with the table's edge along the top: dark wood above the sheet."""
    rng, cover, clean = written(digit, seed, shape, centre=(0.58, 0.5))
    paper = plain(shape, (0.88, 0.87, 0.84)) + rng.normal(0, 0.015, (*shape, 1))
    edge = int(shape[0] * rng.uniform(0.1, 0.16))
    paper[:edge] = (0.3, 0.2, 0.15)
    return Scene(to_rgba(paint(paper, (0.15, 0.15, 0.18), cover)), clean)


def shadow_corner(digit, seed, shape=(300, 300)):
    """Paper with a soft shadow across one corner (the phone's or a hand's), darkening it by half."""
    rng, cover, clean = written(digit, seed, shape, height=(0.4, 0.5))
    h, w = shape
    rows, cols = np.mgrid[0:h, 0:w]
    corner = rng.integers(4)
    u, v = (rows / h if corner & 1 else 1 - rows / h), (cols / w if corner & 2 else 1 - cols / w)
    shade = 1 - 0.5 * np.clip((0.3 - (u + v) / 2) / 0.06, 0, 1)     # the corner's triangle, a soft edge
    paper = plain(shape, (0.92, 0.92, 0.9)) * shade[..., None]
    return Scene(to_rgba(paint(paper, (0.1, 0.1, 0.12), cover * shade)), clean)


def lined_page(digit, seed, shape=(300, 300)):
    """A lined page: light blue lines across, a red margin line, the digit written over them."""
    rng, cover, clean = written(digit, seed, shape)
    h, w = shape
    page = plain(shape, (0.97, 0.97, 0.95))
    spacing = h * rng.uniform(0.07, 0.09)
    rows = np.arange(h)
    lines = np.abs((rows - rng.uniform(0, spacing)) % spacing) < 1.5
    page[lines] = (0.6, 0.72, 0.95)
    page[:, int(0.12 * w):int(0.12 * w) + 2] = (0.95, 0.45, 0.45)
    return Scene(to_rgba(paint(page, (0.12, 0.12, 0.35), cover)), clean)


def chalk(digit, seed, shape=(300, 400)):
    """Chalk on a board: light, grainy strokes on dark green."""
    rng, cover, clean = written(digit, seed, shape)
    board = plain(shape, (0.16, 0.26, 0.2)) + rng.normal(0, 0.02, (*shape, 1))
    grain = cover * (rng.uniform(size=shape) < 0.8) * rng.uniform(0.6, 1.0, shape)
    return Scene(to_rgba(paint(board, (0.9, 0.92, 0.88), grain)), clean)


def transparent(ink_colour):
    """A digit of ``ink_colour`` on a transparent picture (a PNG with alpha)."""
    def scene(digit, seed, shape=(240, 240)):
        _, cover, clean = written(digit, seed, shape)
        return Scene(to_rgba(plain(shape, ink_colour), cover), clean)
    return scene


def number_photo(digits, seed, shape=(200, 600), band=False, above=None):
    """A photo of a number: ``digits`` written in a row across grainy paper (the middle 80 %
    of its width), with a dark band along its left side (the desk) if ``band``, and with
    ``above`` (a digit) written small in the top left corner, off the number's line."""
    h, w = shape
    rng = np.random.default_rng([seed, len(digits), *digits])
    paper = plain(shape, (0.93, 0.93, 0.91)) * (1 + rng.normal(0, 0.02, shape))[..., None]
    cover = np.zeros(shape)
    written_here = [(digit, (0.5, 0.1 + 0.8 * (i + 0.5) / len(digits)), (0.5, 0.6)) for i, digit in enumerate(digits)]
    if above is not None:
        written_here.append((above, (0.14, 0.1), (0.18, 0.2)))
    for i, (digit, centre, height) in enumerate(written_here):
        digit_rng = np.random.default_rng([digit, seed, i])
        box = digit_box(shape, digit_rng, height=height, centre=centre, spread=0.01)
        cover = np.maximum(cover, coverage(strokes(digit, digit_rng, box), shape, PEN_WIDTH * box[3] / 0.8))
    if band:
        paper[:, :int(w * 0.06)] = (0.12, 0.1, 0.1)
    return to_rgba(paint(paper, (0.1, 0.1, 0.1), cover))


def phone_photo(digit, seed, shape=(3000, 4000)):
    """A 4000x3000 phone JPEG: a sheet filling the middle of the frame on a grey desk, light
    falling off towards one side, sensor noise, the softness of JPEG and of a phone's lens.
    Drawn at a quarter of the size and enlarged (that is the softness)."""
    small = (shape[0] // 4, shape[1] // 4)
    h, w = small
    rng, cover, clean = written(digit, seed, small, height=(0.35, 0.45))
    rows, cols = np.mgrid[0:h, 0:w]
    light = (1 - 0.25 * cols / w - 0.1 * rows / h)[..., None]
    scene = plain(small, (0.42, 0.4, 0.38))
    sheet = (np.abs(rows - h / 2) < 0.36 * h) & (np.abs(cols - w / 2) < 0.3 * w)
    scene[sheet] = (0.9, 0.89, 0.86)
    scene = paint(scene * light, (0.12, 0.12, 0.16), cover)
    scene = (scene + np.roll(scene, 1, 0) + np.roll(scene, 1, 1) + np.roll(scene, (1, 1), (0, 1))) / 4
    large = np.repeat(np.repeat(to_rgba(scene), 4, axis=0), 4, axis=1)                # (3000, 4000, 4)
    noise = rng.integers(-6, 7, shape, dtype=np.int16)[..., None]
    large[..., :3] = np.clip(large[..., :3] + noise, 0, 255)
    return Scene(large, clean)


SCENES = {
    "sticky note on a desk": sticky_note,
    "paper with a dark band": dark_band,
    "a table edge": table_edge,
    "a shadow across a corner": shadow_corner,
    "a lined page": lined_page,
    "chalk on a board": chalk,
    "dark digit on transparency": transparent((0, 0, 0)),
    "light digit on transparency": transparent((1, 1, 1)),
    "4000x3000 phone photo": phone_photo,
}


def page_input(rgba, size=INPUT_SIZE):
    """The picture as web/pad.js paints it into the network's input canvas: scaled to fit
    (area averaging, as the browser's high-quality smoothing), centred on whole pixels, and
    the bands beside it continuing its edge rows or columns."""
    h, w = rgba.shape[:2]
    scale = min(size / w, size / h)
    rows, cols = max(1, round(h * scale)), max(1, round(w * scale))
    channels = [area_resize(rgba[..., c].astype(np.float32), rows, cols) for c in range(4)]
    scaled = np.clip(np.round(np.stack(channels, axis=-1)), 0, 255).astype(np.uint8)
    top, left = (size - rows) // 2, (size - cols) // 2
    return np.pad(scaled, ((top, size - rows - top), (left, size - cols - left), (0, 0)), mode="edge")


def png(rgba):
    """(H, W, 4) uint8 -> the bytes of an RGBA PNG file (zlib and struct only)."""
    height, width = rgba.shape[:2]
    raw = b"".join(b"\x00" + np.ascontiguousarray(rgba[row]).tobytes() for row in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))
