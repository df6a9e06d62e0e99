"""tf.image colour adjustments for `import pyengine as tf` (keras-io Barlow Twins' colour
jitter): rgb_to_hsv / hsv_to_rgb, adjust_contrast / saturation / hue and their random_*
forms. TensorFlow's rules: channels last, RGB; contrast moves each channel of each image away
from its mean over height and width, (x - mean) * factor + mean (differentiable, as
TensorFlow's); saturation scales S (clipped to [0, 1]) and hue shifts H (mod 1) in HSV, with
no gradient (TensorFlow registers none for AdjustSaturation / AdjustHue). Integer images are
read as [0, MAX] and converted back with rounding and saturation; float images keep their
dtype. Draws come from pyengine's generator, or from `seed`."""
import numpy as np

from .tensor import Tensor
from .tf_names import _t


def _gen(seed):
    from . import random as _random
    return _random._generator if seed is None else np.random.default_rng(int(seed))


def _rgb(op, image):
    x = _t(image)
    if x.ndim < 3 or x.shape[-1] != 3:
        raise ValueError(f"[tf.image.{op}] images must have 3 (RGB) channels last. Received: "
                         f"shape {tuple(x.shape)}")
    return x


def _as_float(a):
    if a.dtype.kind == "f":
        return a.astype(np.float32, copy=False) if a.dtype == np.float16 else a, None
    top = np.iinfo(a.dtype).max
    return a.astype(np.float32) / top, (a.dtype, top)


def _back(a, info):
    if info is None:
        return a
    dtype, top = info
    return np.clip(np.rint(a * top), 0, top).astype(dtype)


def _to_hsv(rgb):
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    v = rgb.max(-1)
    delta = v - rgb.min(-1)
    safe = np.where(delta > 0, delta, 1)
    s = np.where(v > 0, delta / np.where(v > 0, v, 1), 0)
    h = np.where(v == r, (g - b) / safe, np.where(v == g, 2 + (b - r) / safe, 4 + (r - g) / safe))
    h = np.where(delta > 0, (h / 6.0) % 1.0, 0)
    return np.stack([h, s, v], -1).astype(rgb.dtype)


def _to_rgb(hsv):
    h, s, v = hsv[..., 0] % 1.0, hsv[..., 1], hsv[..., 2]
    i = np.floor(h * 6.0)
    f = h * 6.0 - i
    p, q, t = v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f))
    i = i.astype(np.int64) % 6
    r = np.choose(i, [v, q, p, p, t, v])
    g = np.choose(i, [t, v, v, q, p, p])
    b = np.choose(i, [p, p, t, v, v, q])
    return np.stack([r, g, b], -1).astype(hsv.dtype)


def rgb_to_hsv(images, name=None):
    """RGB in [0, 1] -> HSV, H in [0, 1) (0 where the pixel is grey)."""
    x = _rgb("rgb_to_hsv", images)
    return Tensor._wrap(_to_hsv(np.asarray(x._data, np.float32 if x._data.dtype.kind != "f"
                                           else x._data.dtype)))


def hsv_to_rgb(images, name=None):
    x = _rgb("hsv_to_rgb", images)
    return Tensor._wrap(_to_rgb(np.asarray(x._data, np.float32 if x._data.dtype.kind != "f"
                                           else x._data.dtype)))


def _hsv_adjust(op, image, fn):
    x = _rgb(op, image)
    a, info = _as_float(np.asarray(x._data))
    return Tensor._wrap(_back(_to_rgb(fn(_to_hsv(a))), info))


def adjust_saturation(image, saturation_factor, name=None):
    f = float(saturation_factor)
    if f < 0:
        raise ValueError(f"[tf.image.adjust_saturation] saturation_factor must be >= 0. "
                         f"Received: {f}")

    def scale(hsv):
        hsv[..., 1] = np.clip(hsv[..., 1] * f, 0.0, 1.0)
        return hsv
    return _hsv_adjust("adjust_saturation", image, scale)


def adjust_hue(image, delta, name=None):
    d = float(delta)
    if not -1.0 <= d <= 1.0:
        raise ValueError(f"[tf.image.adjust_hue] delta must be in [-1, 1]. Received: {d}")

    def shift(hsv):
        hsv[..., 0] = (hsv[..., 0] + d) % 1.0
        return hsv
    return _hsv_adjust("adjust_hue", image, shift)


def adjust_contrast(images, contrast_factor):
    """(x - mean) * factor + mean per channel of each image (means over height and width)."""
    x = _t(images)
    if x.ndim < 3:
        raise ValueError(f"[tf.image.adjust_contrast] images must be at least 3-D (height, "
                         f"width, channels). Received: shape {tuple(x.shape)}")
    if x._data.dtype.kind == "f":
        mean = x.mean((-3, -2), keepdim=True)
        return (x - mean) * float(contrast_factor) + mean
    a, info = _as_float(np.asarray(x._data))
    mean = a.mean((-3, -2), keepdims=True)
    return Tensor._wrap(_back((a - mean) * float(contrast_factor) + mean, info))


def _range(op, lower, upper):
    lower, upper = float(lower), float(upper)
    if upper <= lower or lower < 0:
        raise ValueError(f"[tf.image.{op}] needs 0 <= lower < upper. Received: lower={lower}, "
                         f"upper={upper}")
    return lower, upper


def random_contrast(image, lower, upper, seed=None):
    lower, upper = _range("random_contrast", lower, upper)
    return adjust_contrast(image, _gen(seed).uniform(lower, upper))


def random_saturation(image, lower, upper, seed=None):
    lower, upper = _range("random_saturation", lower, upper)
    return adjust_saturation(image, _gen(seed).uniform(lower, upper))


def random_hue(image, max_delta, seed=None):
    m = float(max_delta)
    if not 0.0 <= m <= 0.5:
        raise ValueError(f"[tf.image.random_hue] max_delta must be in [0, 0.5]. Received: {m}")
    return adjust_hue(image, _gen(seed).uniform(-m, m))
