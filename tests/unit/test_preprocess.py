"""Canvas -> MNIST-style 28x28, on synthetic strokes."""
import time

import numpy as np
import pytest

from pycore.preprocess import (
    STROKE_RANGE,
    area_resize,
    area_resize_matrix,
    box_shape,
    centre_in_field,
    centre_of_mass,
    even_strokes,
    fit_box,
    fitted,
    grow,
    ink,
    ink_box,
    quantile,
    stroke_width,
    to_mnist,
)
from tests.unit.strokes import draw
from train.drawing import PEN_WIDTH


def similar(a, b):
    """Mean absolute difference of two [0, 1] images."""
    return float(np.abs(a - b).mean())


@pytest.mark.parametrize("shape", ["seven", "one", "four", "zero"])
def test_same_digit_small_large_off_centre_or_larger_canvas(shape):
    reference = to_mnist(draw(shape, box=(40, 40, 200, 200), width=20))
    variants = [
        draw(shape, box=(100, 100, 80, 80), width=8),                      # small
        draw(shape, box=(20, 20, 240, 240), width=24),                      # large
        draw(shape, box=(150, 10, 120, 120), width=12),                     # off-centre
        draw(shape, canvas=(600, 500), box=(100, 200, 300, 300), width=30),  # larger, non-square canvas
    ]
    for rgba in variants:
        assert similar(to_mnist(rgba), reference) < 0.03


@pytest.mark.parametrize("shape", ["seven", "one", "four", "zero"])
def test_box_fits_20_and_centre_of_mass_at_centre(shape):
    image = to_mnist(draw(shape, box=(30, 60, 150, 200), width=15))
    assert image.shape == (28, 28) and image.dtype == np.float32
    assert 0 <= image.min() and image.max() <= 1
    rows = np.flatnonzero(image.max(axis=1) > 0)
    cols = np.flatnonzero(image.max(axis=0) > 0)
    # 20 px, plus at most one for the sub-pixel shift that centres the mass
    assert 20 <= max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1) <= 21
    r, c = centre_of_mass(image)
    assert abs(r - 13.5) <= 0.5 and abs(c - 13.5) <= 0.5
    assert abs(r - 13.5) < 0.05 and abs(c - 13.5) < 0.05      # in fact: centred to a small fraction


def test_fit_box_is_20_on_the_longer_side():
    assert fit_box(np.ones((100, 40), np.float32)).shape == (20, 8)
    assert fit_box(np.ones((7, 50), np.float32)).shape == (3, 20)
    assert fit_box(np.ones((1, 1), np.float32)).shape == (20, 20)


def test_centre_in_field_keeps_a_lopsided_digit_inside():
    digit = np.zeros((20, 20), np.float32)
    digit[:, 0] = 1                                   # all the mass on the left edge
    field = centre_in_field(digit)
    assert field.sum() == pytest.approx(digit.sum())  # nothing cut off


def test_aspect_ratio_is_kept():
    image = to_mnist(draw("one", box=(100, 20, 20, 240), width=10))        # a tall thin stroke
    cols = np.flatnonzero(image.max(axis=0) > 0.01)
    rows = np.flatnonzero(image.max(axis=1) > 0.01)
    assert rows[-1] - rows[0] + 1 == 20
    assert cols[-1] - cols[0] + 1 <= 4                                     # still thin, not stretched


def test_dark_on_light_light_on_dark_and_transparent_agree():
    dark_on_light = to_mnist(draw("four", ink=(0, 0, 0), paper=(255, 255, 255)))
    light_on_dark = to_mnist(draw("four", ink=(255, 255, 255), paper=(0, 0, 0)))
    transparent = to_mnist(draw("four", ink=(20, 20, 20), transparent=True))
    tinted = to_mnist(draw("four", ink=(30, 30, 120), paper=(250, 245, 230)))
    for other in (light_on_dark, transparent, tinted):     # the tinted ink is a sixth fainter
        assert similar(other, dark_on_light) < 0.2 * dark_on_light.mean()
    assert dark_on_light.max() > 0.9                                        # white digit on black


@pytest.mark.parametrize("canvas", [
    np.full((300, 300, 4), 255, np.uint8),                 # white, opaque
    np.zeros((300, 300, 4), np.uint8),                      # fully transparent
    np.concatenate([np.zeros((50, 50, 3), np.uint8), np.full((50, 50, 1), 255, np.uint8)], axis=2),  # black
])
def test_blank_canvas_is_no_digit(canvas):
    assert to_mnist(canvas) is None


def test_faint_noise_is_no_digit():
    canvas = np.full((200, 200, 4), 255, np.uint8)
    canvas[50:60, 50:60, :3] = 250                         # 2 % darker: not ink
    assert to_mnist(canvas) is None


def test_single_dot_and_thin_line_do_not_crash():
    canvas = np.full((100, 100, 4), 255, np.uint8)
    canvas[40, 40, :3] = 0
    image = to_mnist(canvas)
    assert image is not None and image.shape == (28, 28)
    canvas[10:90, 50, :3] = 0
    assert to_mnist(canvas).shape == (28, 28)


@pytest.mark.parametrize("bad", [np.zeros((10, 10, 3), np.uint8), np.zeros((10, 10, 4), np.float32),
                                 np.zeros(10, np.uint8)])
def test_bad_input_is_a_clear_error(bad):
    with pytest.raises(ValueError, match="canvas pixels"):
        to_mnist(bad)


def test_area_resize_matrix_averages():
    m = area_resize_matrix(10, 4)
    np.testing.assert_allclose(m.sum(axis=1), 1, rtol=1e-6)
    line = np.arange(10, dtype=np.float32)
    # pixel j covers [j, j + 1); output k is the mean over [2.5 k, 2.5 (k + 1)): (0 + 1 + 2 / 2) / 2.5 = 0.8, ...
    np.testing.assert_allclose(m @ line, [0.8, 3.2, 5.8, 8.2], atol=1e-5)
    np.testing.assert_allclose(area_resize_matrix(5, 5), np.eye(5), atol=1e-7)


def test_ink_of_grey_input():
    np.testing.assert_allclose(ink(np.array([[0, 255]], np.uint8)), [[0, 1]])


def test_fast_on_a_400_canvas():
    """Well under 5 ms for a 400x400 canvas (a figure, not a timing gate: printed, loosely bounded)."""
    rgba = draw("seven", canvas=(400, 400), box=(60, 60, 280, 280), width=28)
    to_mnist(rgba)
    runs = []
    for _ in range(20):
        start = time.perf_counter()
        to_mnist(rgba)
        runs.append(time.perf_counter() - start)
    median_ms = 1e3 * sorted(runs)[len(runs) // 2]
    print(f"to_mnist on 400x400: {median_ms:.2f} ms median")
    assert median_ms < 50   # an order of magnitude of slack for a busy CI machine


@pytest.mark.parametrize("width", [2, 3, 5])
def test_stroke_width_of_a_long_bar_is_its_width(width):
    bar = np.zeros((210, 20), np.float32)
    bar[5:205, 5:5 + width] = 1
    assert stroke_width(bar) == pytest.approx(width, rel=0.03)
    assert stroke_width(np.zeros((5, 5), np.float32)) == 0            # no ink, no outline


def test_grow_thickens_and_thins_by_whole_and_fractional_pixels():
    line = np.zeros((30, 30), np.float32)
    line[5:25, 15] = 1
    wider = grow(line, 1)
    assert wider[10].tolist() == [0] * 14 + [1, 1, 1] + [0] * 13        # one pixel each side
    np.testing.assert_array_equal(grow(wider, -1)[10], line[10])       # and back
    assert grow(line, -1).max() == 0                                    # a 1-px stroke thinned by 1 is gone
    half = grow(line, 0.5)[10]
    assert half[13:18].tolist() == [0, 0.5, 1, 0.5, 0]                  # a fractional step is a blend
    thick = grow(line, 3)[10]
    assert np.flatnonzero(thick).tolist() == list(range(12, 19))        # 1 + 2 * 3 px


def page_pen(shape, fill, canvas=280):
    """``shape`` drawn with the page's pen (PEN_WIDTH of the box) filling ``fill`` of the box's height."""
    side = canvas * fill
    left = (canvas - side * 0.6) / 2
    return draw(shape, canvas=(canvas, canvas), box=(left, (canvas - side) / 2, side * 0.6, side),
                width=canvas * PEN_WIDTH)


@pytest.mark.parametrize("shape", ["seven", "four", "zero"])
def test_page_pen_strokes_come_out_as_thick_as_mnist_whatever_the_size(shape):
    """The page's pen is a fixed share of its box: a digit filling the box would reach the
    network with strokes thinner than MNIST's, one drawn small with thicker ones."""
    large, small = page_pen(shape, 0.9), page_pen(shape, 0.2)
    as_drawn = [stroke_width(fitted(c, strokes=None)) for c in (large, small)]
    assert as_drawn[0] < STROKE_RANGE[0] - 0.5 and as_drawn[1] > STROKE_RANGE[1] + 0.2   # the problem is real
    evened = [stroke_width(fitted(c)) for c in (large, small)]
    assert STROKE_RANGE[0] - 0.2 < evened[0] and evened[1] < STROKE_RANGE[1] + 0.2
    assert evened[1] - evened[0] < 0.5 * (as_drawn[1] - as_drawn[0])


@pytest.mark.parametrize("target", [2.0, 2.5, 3.0])
def test_even_strokes_reaches_the_width_it_is_asked_for(target):
    for fill in (0.9, 0.5, 0.25):
        crop = ink_box(ink(page_pen("seven", fill)))
        rows, cols = box_shape(*crop.shape)
        digit = even_strokes(area_resize(crop, 2 * rows, 2 * cols), target)
        assert max(digit.shape) == 20
        assert stroke_width(digit) == pytest.approx(target, abs=0.2)


def test_strokes_already_in_range_are_left_as_drawn():
    canvas = draw("seven", box=(40, 40, 200, 200), width=28)
    assert STROKE_RANGE[0] < stroke_width(fitted(canvas, strokes=None)) < STROKE_RANGE[1]
    np.testing.assert_array_equal(to_mnist(canvas), to_mnist(canvas, strokes=None))


@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
@pytest.mark.parametrize("count", [1, 2, 5, 100, 1001])
def test_quantile_is_numpys_linear_quantile(dtype, count):
    values = (np.random.default_rng(count).random(count) * 255).astype(dtype)
    for q in (0, 0.1, 0.5, 0.75, 0.95, 1):
        assert quantile(values, q) == pytest.approx(float(np.quantile(values, q)), rel=1e-6, abs=1e-9)
    with pytest.raises(ValueError, match="no values"):
        quantile(values[:0], 0.5)
