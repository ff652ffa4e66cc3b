"""Image augmentation in NumPy: rotation, random affine maps, elastic distortion
and stroke weight.

The geometric ones are one operation: for every output pixel, compute where in
the source image to read (``src_rows``, ``src_cols``), then read there with
bilinear interpolation (zero outside the image). Images are (N, 28, 28) float32.
"""
import numpy as np

from pycore import preprocess

# random_distortion's strengths, as `python -m train` names its settings
DISTORTION_SETTINGS = ("degrees", "scale", "shear", "shift", "elastic_alpha", "elastic_sigma", "thickness")


def bilinear_sample(images, src_rows, src_cols):
    """images (N, H, W); src_rows/src_cols (N, H, W) float source coordinates -> (N, H, W)."""
    N, H, W = images.shape
    padded = np.zeros((N, H + 2, W + 2), np.float32)           # a zero border: reads outside give 0
    padded[:, 1:-1, 1:-1] = images
    r0 = np.floor(src_rows)
    c0 = np.floor(src_cols)
    fr = (src_rows - r0).astype(np.float32)
    fc = (src_cols - c0).astype(np.float32)
    # +1 for the border; clipping sends far-away reads onto the zero border
    r0 = r0.astype(np.int64) + 1
    c0 = c0.astype(np.int64) + 1
    r1, r0 = np.clip(r0 + 1, 0, H + 1), np.clip(r0, 0, H + 1)   # neighbours before clipping
    c1, c0 = np.clip(c0 + 1, 0, W + 1), np.clip(c0, 0, W + 1)
    base = (np.arange(N) * (H + 2) * (W + 2))[:, None, None]
    flat = padded.reshape(-1)
    top = flat[base + r0 * (W + 2) + c0] * (1 - fc) + flat[base + r0 * (W + 2) + c1] * fc
    bottom = flat[base + r1 * (W + 2) + c0] * (1 - fc) + flat[base + r1 * (W + 2) + c1] * fc
    return top * (1 - fr) + bottom * fr


def grid(shape):
    """Pixel coordinates of an (H, W) image, relative to its centre: (y up, x right)."""
    H, W = shape
    rows, cols = np.mgrid[0:H, 0:W].astype(np.float32)
    return (H - 1) / 2 - rows, cols - (W - 1) / 2


def affine(images, matrices, shifts=None):
    """Apply 2x2 linear maps about the image centre, then shift.

    images (N, H, W); matrices (N, 2, 2) acting on (x, y) with y up; shifts (N, 2)
    in pixels (x right, y up). Output pixel p reads the source at M^-1 (p - shift).
    """
    N, H, W = images.shape
    y, x = grid((H, W))
    if shifts is None:
        shifts = np.zeros((N, 2), np.float32)
    inverse = np.linalg.inv(matrices).astype(np.float32)       # (N, 2, 2)
    px = x[None] - shifts[:, 0, None, None]
    py = y[None] - shifts[:, 1, None, None]
    src_x = inverse[:, 0, 0, None, None] * px + inverse[:, 0, 1, None, None] * py
    src_y = inverse[:, 1, 0, None, None] * px + inverse[:, 1, 1, None, None] * py
    return src_y, src_x


def to_pixels(src_y, src_x, shape):
    H, W = shape
    return (H - 1) / 2 - src_y, src_x + (W - 1) / 2


def rotation_matrices(degrees):
    t = np.radians(np.asarray(degrees, np.float64))
    c, s = np.cos(t), np.sin(t)
    return np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2)   # (N, 2, 2), counter-clockwise


def rotate(images, degrees):
    """Rotate every image counter-clockwise by ``degrees`` (scalar or (N,)) about its centre."""
    images = np.asarray(images, np.float32)
    degrees = np.broadcast_to(np.asarray(degrees, np.float64), (len(images),))
    src_y, src_x = affine(images, rotation_matrices(degrees))
    return bilinear_sample(images, *to_pixels(src_y, src_x, images.shape[1:]))


def smoothing_matrix(size, sigma):
    """(size, size) Gaussian blur as a matrix (zero beyond the edges)."""
    d = np.arange(size)[:, None] - np.arange(size)[None, :]
    return (np.exp(-d ** 2 / (2 * sigma ** 2)) / (np.sqrt(2 * np.pi) * sigma)).astype(np.float32)


def stroke_weight(images, amounts):
    """Thicken (amount > 0) or thin (amount < 0) each image's strokes by one pixel's
    worth times |amount|: a blend with its 3x3 grey dilation (max) or erosion (min).
    images (N, H, W), amounts (N,) in [-1, 1]."""
    images = np.asarray(images, np.float32)
    amounts = np.asarray(amounts, np.float32)
    if np.abs(amounts).max(initial=0) > 1:           # beyond 1 the blend would overshoot the dilation
        raise ValueError(f"stroke weight amounts must lie in [-1, 1], got up to {np.abs(amounts).max():g} "
                         "(for more, apply it in several passes)")
    grow = amounts > 0
    target = np.empty_like(images)                   # each image's dilation or erosion, not both
    for chosen, reduce in ((grow, np.maximum), (~grow, np.minimum)):
        # the page's preprocessing grows strokes the same way (zero border: erosion thins edge strokes too)
        target[chosen] = preprocess.neighbourhood(images[chosen], reduce, square=True)
    return images + np.abs(amounts)[:, None, None] * (target - images)


def random_distortion(images, rng, degrees=0.0, scale=0.0, shear=0.0, shift=0.0,
                      elastic_alpha=0.0, elastic_sigma=4.0, thickness=0.0):
    """A fresh random distortion of each image: rotation U(+-degrees), scale
    1 + U(+-scale), shear U(+-shear), shift U(+-shift) px, then an elastic
    displacement field (Simard et al. 2003): uniform noise in [-1, 1] blurred by
    a Gaussian of ``elastic_sigma`` px and multiplied by ``elastic_alpha``; then
    strokes thickened or thinned by U(+-thickness) (see stroke_weight)."""
    images = np.asarray(images, np.float32)
    N, H, W = images.shape
    theta = np.radians(rng.uniform(-degrees, degrees, N))
    zoom = 1 + rng.uniform(-scale, scale, N)
    k = rng.uniform(-shear, shear, N)
    c, s = np.cos(theta), np.sin(theta)
    rot = np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2)
    shear_m = np.zeros((N, 2, 2))
    shear_m[:, 0, 0] = shear_m[:, 1, 1] = 1
    shear_m[:, 0, 1] = k
    matrices = rot @ shear_m * zoom[:, None, None]
    shifts = rng.uniform(-shift, shift, (N, 2)).astype(np.float32)
    src_y, src_x = affine(images, matrices, shifts)
    rows, cols = to_pixels(src_y, src_x, (H, W))
    if elastic_alpha > 0:
        g = smoothing_matrix(H, elastic_sigma)
        for coords in (rows, cols):
            noise = rng.uniform(-1, 1, (N, H, W)).astype(np.float32)
            coords += elastic_alpha * (g @ noise @ g.T)
    out = bilinear_sample(images, rows, cols)
    if thickness > 0:
        out = stroke_weight(out, rng.uniform(-thickness, thickness, N))
    return out


def with_rotated_copies(images, labels, degrees=(15, -15)):
    """Every image plus a copy rotated by each angle in ``degrees``: the fixed expansion of the
    training images (images 0-49,999 rotated +15 and -15 degrees give 150,000)."""
    images = np.asarray(images, np.float32)
    copies = [images] + [rotate(images, d) for d in degrees]
    return np.concatenate(copies), np.concatenate([labels] * len(copies))
