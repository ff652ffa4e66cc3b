"""pycore.components: connected pieces, checked against a plain flood fill."""
import numpy as np
import pytest

from pycore import components


def flood(mask, eight):
    """The reference: pieces by depth-first flood fill, numbered by their first pixel."""
    h, w = mask.shape
    labels, count = np.zeros((h, w), np.int32), 0
    steps = [(dr, dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1) if (dr, dc) != (0, 0) and (eight or 0 in (dr, dc))]
    for i in range(h):
        for j in range(w):
            if mask[i, j] and not labels[i, j]:
                count += 1
                labels[i, j], stack = count, [(i, j)]
                while stack:
                    r, c = stack.pop()
                    for dr, dc in steps:
                        y, x = r + dr, c + dc
                        if 0 <= y < h and 0 <= x < w and mask[y, x] and not labels[y, x]:
                            labels[y, x] = count
                            stack.append((y, x))
    return labels, count


@pytest.mark.parametrize("eight", [True, False])
@pytest.mark.parametrize("density", [0.2, 0.45, 0.6])
def test_random_masks_match_a_flood_fill(eight, density):
    mask = np.random.default_rng(int(density * 100)).random((60, 90)) < density
    labels, count = components.label(mask, eight=eight)
    expected, expected_count = flood(mask, eight)
    assert count == expected_count
    np.testing.assert_array_equal(labels, expected)


def test_a_spiral_is_one_piece_and_nested_squares_are_many():
    spiral = np.zeros((41, 41), bool)
    top, left, bottom, right = 0, 0, 40, 40
    while top <= bottom and left <= right:     # a square spiral path, one pixel wide, gaps of one
        spiral[top, left:right + 1] = True
        spiral[top:bottom + 1, right] = True
        spiral[bottom, left:right + 1] = True
        spiral[top + 2:bottom + 1, left] = True
        top, left, bottom, right = top + 2, left + 2, bottom - 2, right - 2
        if top <= bottom:
            spiral[top, left - 2:left] = True     # the turn into the next ring
    labels, count = components.label(spiral)
    expected, expected_count = flood(spiral, True)
    assert count == expected_count
    np.testing.assert_array_equal(labels, expected)


def test_diagonal_touch_joins_only_with_eight_neighbours():
    mask = np.eye(5, dtype=bool)
    assert components.label(mask)[1] == 1
    assert components.label(mask, eight=False)[1] == 5


def test_boxes_and_sizes():
    mask = np.zeros((10, 12), bool)
    mask[1:4, 2:5] = True          # 9 pixels
    mask[6, 1:11] = True           # 10 pixels
    labels, count = components.label(mask)
    assert count == 2
    np.testing.assert_array_equal(components.boxes(labels, count), [[1, 2, 3, 4], [6, 1, 6, 10]])
    np.testing.assert_array_equal(components.sizes(labels, count), [9, 10])


def test_empty_and_bad_masks():
    labels, count = components.label(np.zeros((4, 4), bool))
    assert count == 0 and not labels.any()
    assert components.boxes(labels, 0).shape == (0, 4)
    with pytest.raises(ValueError, match="2-D"):
        components.label(np.zeros(5, bool))
