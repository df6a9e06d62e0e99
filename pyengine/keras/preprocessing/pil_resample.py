"""Pillow's `Image.resize` for 8-bit images, in NumPy: keras.utils.load_img and
ImageDataGenerator.flow_from_directory hand their `interpolation` to Pillow, so 'bilinear',
'bicubic', 'lanczos', 'hamming' and 'box' must resample as Pillow does, with or without Pillow
installed ('nearest' is the half-pixel pick the C++ resize already does).

Pillow resizes in two separable passes, horizontal first. Output pixel i of an axis of n_in ->
n_out samples is centred at c = in0 + (i + 0.5) * s, s = (in1 - in0) / n_out ([in0, in1) is the
source box); the filter is widened by f = max(s, 1) (antialiasing when shrinking), covers the
input pixels round(c -/+ support * f), and weighs pixel j by filter((j - c + 0.5) / f),
normalised to sum 1. The weights are then fixed point with 22 fraction bits, and each pass
rounds and clips to 0..255 (libImaging/Resample.c: precompute_coeffs, normalize_coeffs_8bpc,
ImagingResampleHorizontal_8bpc / Vertical_8bpc).

    >>> small = pil_resize(rgb_uint8, (24, 32), "lanczos")   # (24, 32, 3) uint8
"""
import functools
import math

import numpy as np

_PRECISION_BITS = 32 - 8 - 2
_HAMMING_A, _HAMMING_B = float(np.float32(0.54)), float(np.float32(0.46))  # C float literals


def _box(x):
    return np.where((x > -0.5) & (x <= 0.5), 1.0, 0.0)


def _bilinear(x):
    return np.clip(1.0 - np.abs(x), 0.0, None)


def _hamming(x):
    x = np.abs(x)
    px = np.where(x == 0.0, 1.0, x * math.pi)
    v = np.sin(px) / px * (_HAMMING_A + _HAMMING_B * np.cos(px))
    return np.where(x == 0.0, 1.0, np.where(x >= 1.0, 0.0, v))


def _bicubic(x, a=-0.5):
    x = np.abs(x)
    near = ((a + 2.0) * x - (a + 3.0)) * x * x + 1
    far = (((x - 5) * x + 8) * x - 4) * a
    return np.where(x < 1.0, near, np.where(x < 2.0, far, 0.0))


def _sinc(x):
    px = np.where(x == 0.0, 1.0, x * math.pi)
    return np.where(x == 0.0, 1.0, np.sin(px) / px)


def _lanczos(x):
    return np.where((x >= -3.0) & (x < 3.0), _sinc(x) * _sinc(x / 3), 0.0)


FILTERS = {"box": (_box, 0.5), "bilinear": (_bilinear, 1.0), "hamming": (_hamming, 1.0),
           "bicubic": (_bicubic, 2.0), "lanczos": (_lanczos, 3.0)}


@functools.lru_cache(maxsize=64)  # a folder of same-sized images reuses its two matrices
def _weights(n_in, in0, in1, n_out, method):
    """(n_out, n_in) fixed-point weights of one axis (Pillow's precompute_coeffs), as
    integer-valued float64."""
    fn, support = FILTERS[method]
    scale = (in1 - in0) / n_out
    filterscale = max(scale, 1.0)
    support *= filterscale
    w = np.zeros((n_out, n_in))
    for i in range(n_out):
        center = in0 + (i + 0.5) * scale
        lo = max(int(center - support + 0.5), 0)  # C's (int) truncates toward zero
        hi = min(int(center + support + 0.5), n_in)
        k = fn((np.arange(lo, hi) - center + 0.5) * (1.0 / filterscale))  # C's product
        total = k.sum()
        w[i, lo:hi] = k / total if total != 0.0 else k
    scaled = w * (1 << _PRECISION_BITS)
    fixed = np.where(scaled < 0, np.trunc(scaled - 0.5), np.trunc(scaled + 0.5))
    fixed.flags.writeable = False  # shared through the cache
    return fixed


def _pass(img, weights, axis):
    # integer sums below 2^31 are exact in float64, so BLAS does Pillow's integer arithmetic
    acc = np.tensordot(weights, img.astype(np.float64), axes=([1], [axis]))
    acc = np.moveaxis(acc, 0, axis) + (1 << (_PRECISION_BITS - 1))
    return np.clip(np.floor(acc / (1 << _PRECISION_BITS)), 0, 255).astype(np.uint8)


def pil_resize(img, size, method, box=None, op="load_img"):
    """uint8 (h, w, c) -> (size[0], size[1], c) as Pillow's resize(resample=method, box)
    gives it for an 'L' / 'RGB' image; box = (left, top, right, bottom) source region."""
    if method not in FILTERS:
        raise ValueError(f"[{op}] interpolation must be one of "
                         f"{['nearest'] + sorted(FILTERS)}. Received: interpolation={method!r}")
    if img.dtype != np.uint8 or img.ndim != 3:
        raise TypeError(f"[{op}] Pillow's resampling takes a uint8 (height, width, channels) "
                        f"image, got {img.dtype} of shape {img.shape}")
    if img.shape[2] in (2, 4):
        raise NotImplementedError(f"[{op}] interpolation={method!r} on an image with alpha: "
                                  f"Pillow resamples it with premultiplied alpha, which pyengine "
                                  f"does not reproduce; load it with color_mode='rgb' or "
                                  f"'grayscale'")
    h, w = img.shape[:2]
    left, top, right, bottom = (0, 0, w, h) if box is None else box
    out_h, out_w = size
    if (out_w, left, right) != (w, 0, w):
        img = _pass(img, _weights(w, left, right, out_w, method), 1)
    if (out_h, top, bottom) != (h, 0, h):
        img = _pass(img, _weights(h, top, bottom, out_h, method), 0)
    return img
