"""Uploaded pictures on uneven paper: pycore.pictures.digit_ink reads the ink against each
block's paper, so light falling off across the page is not read as ink."""
import numpy as np
import pytest

from pycore.pictures import digit_ink
from pycore.preprocess import ink, mnist_from_ink, to_mnist
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
    strength = digit_ink(picture)
    assert strength.shape == picture.shape[:2] and strength.dtype == np.float32
    got, want = mnist_from_ink(strength), clean()
    assert np.abs(got - want).mean() < 0.03, np.abs(got - want).mean()
    # read against the border's one level instead, the shadowed paper counts as ink and the digit is lost
    plain = to_mnist(picture)
    assert np.abs(plain - want).mean() > 3 * np.abs(got - want).mean()


def test_paper_reads_as_no_ink_and_strokes_as_full():
    picture, coverage = photo("four", seed=3)
    strength = digit_ink(picture)
    assert (strength[coverage == 0] == 0).mean() > 0.99         # the page, no ink
    assert np.median(strength[coverage == 1]) >= 0.75           # the pen, most of full ink


def test_clean_canvas_is_nearly_unchanged():
    canvas = draw("zero", canvas=(200, 200), box=(50, 30, 100, 140))
    got, want = mnist_from_ink(digit_ink(canvas)), to_mnist(canvas)
    assert np.abs(got - want).mean() < 0.02


def test_blank_or_evenly_lit_paper_is_no_digit():
    rng = np.random.default_rng(1)
    rows, cols = np.mgrid[0:120, 0:160]
    grey = 0.5 + 0.3 * cols / 160 + rng.normal(0, 0.01, (120, 160))
    rgba = np.empty((120, 160, 4), np.uint8)
    rgba[..., :3] = np.clip(grey * 255, 0, 255).astype(np.uint8)[..., None]
    rgba[..., 3] = 255
    assert mnist_from_ink(digit_ink(rgba)) is None


def test_transparent_pictures_are_read_by_their_alpha():
    canvas = draw("one", transparent=True)
    np.testing.assert_array_equal(digit_ink(canvas), ink(canvas))


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        digit_ink(np.zeros((10, 10, 3), np.uint8))
    with pytest.raises(ValueError):
        digit_ink(np.zeros((10, 10, 4), np.float32))
