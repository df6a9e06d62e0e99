"""Projective transforms of Keras' geometric augmentation, as (N, 8) float32 arrays for
F.affine_warp: each row [a0, a1, a2, b0, b1, b2, c0, c1] maps an output pixel (x, y) to the input
point ((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k), k = c0 x + c1 y + 1 (TF's convention).
Shared by the augmentation layers and ImageDataGenerator, so both compose one warp per batch."""
import numpy as np


def identity(n):
    t = np.zeros((n, 8), np.float32)
    t[:, 0] = t[:, 4] = 1.0
    return t


def rotation(angles, h, w):
    """Rotation by `angles` (radians, counter-clockwise as Keras) about the image centre."""
    a = np.asarray(angles, np.float64)
    c, s = np.cos(a), np.sin(a)
    x_off = ((w - 1) - (c * (w - 1) - s * (h - 1))) / 2.0
    y_off = ((h - 1) - (s * (w - 1) + c * (h - 1))) / 2.0
    z = np.zeros_like(a)
    return np.stack([c, -s, x_off, s, c, y_off, z, z], 1).astype(np.float32)


def translation(dx, dy):
    """Shift the content by (dx, dy) pixels (right and down for positive values)."""
    dx, dy = np.asarray(dx, np.float64), np.asarray(dy, np.float64)
    one, z = np.ones_like(dx), np.zeros_like(dx)
    return np.stack([one, z, -dx, z, one, -dy, z, z], 1).astype(np.float32)


def zoom(zx, zy, h, w):
    """Sample a window zx (zy) times the image width (height) about the centre: > 1 zooms out."""
    zx, zy = np.asarray(zx, np.float64), np.asarray(zy, np.float64)
    z = np.zeros_like(zx)
    return np.stack([zx, z, (w - 1) / 2.0 * (1 - zx), z, zy, (h - 1) / 2.0 * (1 - zy), z, z],
                    1).astype(np.float32)


def shear(angles, h, w):
    """ImageDataGenerator's shear by `angles` (radians) about the image centre: the input point of
    output (x, y) is x_in = cx + cos(a) (x - cx), y_in = y - sin(a) (x - cx)."""
    a = np.asarray(angles, np.float64)
    s, c = np.sin(a), np.cos(a)
    cx = (w - 1) / 2.0
    one, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([c, z, cx * (1 - c), -s, one, s * cx, z, z], 1).astype(np.float32)


def flips(horizontal, vertical, h, w):
    """Per-image mirror transforms (exact with nearest sampling)."""
    hz, vt = np.asarray(horizontal, bool), np.asarray(vertical, bool)
    n = hz.shape[0]
    t = identity(n)
    t[hz, 0], t[hz, 2] = -1.0, w - 1
    t[vt, 4], t[vt, 5] = -1.0, h - 1
    return t


def compose(first, then):
    """The transform that applies `first` to the output coordinates, then `then`:
    input = then(first(output)). Row-wise 3x3 products."""
    def mat(t):
        m = np.ones((t.shape[0], 3, 3), np.float64)
        m[:, 0, :], m[:, 1, :] = t[:, 0:3], t[:, 3:6]
        m[:, 2, 0], m[:, 2, 1], m[:, 2, 2] = t[:, 6], t[:, 7], 1.0
        return m
    m = mat(then) @ mat(first)
    m /= m[:, 2:3, 2:3]
    return np.concatenate([m[:, 0, :], m[:, 1, :], m[:, 2, :2]], 1).astype(np.float32)
