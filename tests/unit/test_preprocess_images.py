"""Uploaded pictures: preprocess.flatten_background evens uneven paper before to_mnist."""
import numpy as np
import pytest

from pycore.preprocess import flatten_background, to_mnist
from tests.unit.strokes import draw


def photo(shape="seven", light_ink=False, seed=0, size=(300, 240)):
    """A phone-photo-like picture of a drawn digit: grey paper lit from one corner
    (brightness 0.45 to 0.95), a dark-grey pen, sensor noise."""
    rng = np.random.default_rng(seed)
    H, W = size
    coverage = 1 - draw(shape, canvas=size, box=(60, 50, 140, 180))[..., 0] / 255   # (H, W)
    rows, cols = np.mgrid[0:H, 0:W]
    paper = 0.45 + 0.5 * (rows / H + cols / W) / 2 - 0.08 * ((cols / W - 0.5) ** 2)
    pen = 0.18
    grey = paper * (1 - coverage) + pen * coverage + rng.normal(0, 0.015, (H, W))
    if light_ink:
        grey = 1 - grey
    rgba = np.empty((H, W, 4), np.uint8)
    rgba[..., :3] = np.clip(np.round(grey * 255), 0, 255).astype(np.uint8)[..., None]
    rgba[..., 3] = 255
    return rgba, coverage


def clean(shape="seven", size=(300, 240)):
    return to_mnist(draw(shape, canvas=size, box=(60, 50, 140, 180)))


@pytest.mark.parametrize("light_ink", [False, True], ids=["dark on light", "light on dark"])
def test_uneven_paper_photo_gives_the_clean_digit(light_ink):
    picture, _ = photo(light_ink=light_ink)
    flattened = flatten_background(picture)
    assert flattened.shape == picture.shape and flattened.dtype == np.uint8
    assert (flattened[..., 3] == 255).all()
    got, want = to_mnist(flattened), clean()
    assert np.abs(got - want).mean() < 0.03, np.abs(got - want).mean()
    # without flattening, the shadowed paper counts as ink and the digit is lost
    plain = to_mnist(picture)
    assert np.abs(plain - want).mean() > 3 * np.abs(got - want).mean()


def test_paper_becomes_white_and_strokes_black():
    picture, coverage = photo("four", seed=3)
    flattened = flatten_background(picture)[..., 0]
    assert (flattened[coverage == 0] >= 250).mean() > 0.99     # the page, evenly white
    assert np.median(flattened[coverage == 1]) <= 40           # the pen, near black


def test_clean_canvas_is_nearly_unchanged_by_flattening():
    canvas = draw("zero", canvas=(200, 200), box=(50, 30, 100, 140))
    got, want = to_mnist(flatten_background(canvas)), to_mnist(canvas)
    assert np.abs(got - want).mean() < 0.01


def test_blank_or_evenly_lit_paper_is_no_digit():
    rng = np.random.default_rng(1)
    rows, cols = np.mgrid[0:120, 0:160]
    grey = 0.5 + 0.3 * cols / 160 + rng.normal(0, 0.01, (120, 160))
    rgba = np.empty((120, 160, 4), np.uint8)
    rgba[..., :3] = np.clip(grey * 255, 0, 255).astype(np.uint8)[..., None]
    rgba[..., 3] = 255
    flattened = flatten_background(rgba)
    assert (flattened[..., :3] == 255).all()
    assert to_mnist(flattened) is None


def test_transparent_pictures_are_left_to_their_alpha():
    canvas = draw("one", transparent=True)
    assert flatten_background(canvas) is canvas or (flatten_background(canvas) == canvas).all()


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        flatten_background(np.zeros((10, 10, 3), np.uint8))
    with pytest.raises(ValueError):
        flatten_background(np.zeros((10, 10, 4), np.float32))
