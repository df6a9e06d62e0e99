"""tf.image's colour adjustments for `import pyengine as tf`: adjust_contrast / saturation /
hue, their random_* forms (the SimCLR / SimSiam colour jitter) and rgb_to_hsv / hsv_to_rgb.
TensorFlow's rules: float images are adjusted as they are; integer images are converted to
float ([0, 1]), adjusted and converted back with saturation. Contrast is
(x - mean) * factor + mean per image and channel (differentiable); saturation and hue go
through HSV in NumPy (TensorFlow registers no gradient for them either). A random_* call draws
one factor for the whole call from pyengine's generator (or from `seed`)."""
import numpy as np

from . import random as _random
from .tensor import Tensor
from .tf_image_adjust import convert_image_dtype
from .tf_names import _t


def rgb_to_hsv_np(x):
    """[0, 1] RGB -> HSV along the last axis (NumPy); hue in [0, 1)."""
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    value, minimum = x.max(-1), x.min(-1)
    span = value - minimum
    safe_value = np.where(value > 0, value, 1.0)
    safe_span = np.where(span > 0, span, 1.0)
    saturation = np.where(value > 0, span / safe_value, 0.0)
    norm = 1.0 / (6.0 * safe_span)
    hue = np.where(value == g, norm * (b - r) + 2.0 / 6.0, norm * (r - g) + 4.0 / 6.0)
    hue = np.where(value == r, norm * (g - b), hue)
    hue = np.where(span > 0, hue, 0.0) + (hue < 0.0)
    return np.stack([hue, saturation, value], -1)


def hsv_to_rgb_np(x):
    """HSV -> RGB along the last axis (NumPy), the inverse of rgb_to_hsv_np."""
    h, s, v = x[..., 0], x[..., 1], x[..., 2]
    dh = np.mod(h, 1.0) * 6.0
    dr = np.clip(np.abs(dh - 3.0) - 1.0, 0.0, 1.0)
    dg = np.clip(2.0 - np.abs(dh - 2.0), 0.0, 1.0)
    db = np.clip(2.0 - np.abs(dh - 4.0), 0.0, 1.0)
    return np.stack([v * (1.0 - s + s * d) for d in (dr, dg, db)], -1)


def _rgb(op, images, float_only=False):
    x = _t(images)
    if x.ndim < 3 or x.shape[-1] != 3:
        raise ValueError(f"[tf.image.{op}] images must be (..., height, width, 3) RGB, got "
                         f"shape {tuple(x.shape)}")
    if float_only and x._data.dtype.kind != "f":
        raise TypeError(f"[tf.image.{op}] images must be floating point, got {x.dtype}")
    return x


def rgb_to_hsv(images, name=None):
    """tf.image.rgb_to_hsv: float RGB in [0, 1] to HSV (hue in [0, 1))."""
    x = _rgb("rgb_to_hsv", images, float_only=True)
    return Tensor._wrap(rgb_to_hsv_np(x._data).astype(x._data.dtype))


def hsv_to_rgb(images, name=None):
    """tf.image.hsv_to_rgb: float HSV to RGB in [0, 1]."""
    x = _rgb("hsv_to_rgb", images, float_only=True)
    return Tensor._wrap(hsv_to_rgb_np(x._data).astype(x._data.dtype))


def _in_float(x, fn):
    """fn on the image in float (integer images converted to [0, 1] and back, saturating)."""
    if x._data.dtype.kind == "f":
        return fn(x)
    from . import float32
    return convert_image_dtype(fn(convert_image_dtype(x, float32)), x.dtype, saturate=True)


def _number(v):
    return float(np.asarray(getattr(v, "_data", v)))


def adjust_contrast(images, contrast_factor):
    """tf.image.adjust_contrast: (x - mean) * contrast_factor + mean, the mean taken over the
    height and width of each image and channel. A contrast_factor variable (or a tensor in a
    graph) stays differentiable."""
    x = _t(images)
    if x.ndim < 3:
        raise ValueError(f"[tf.image.adjust_contrast] images must be at least 3-D (height, "
                         f"width, channels), got shape {tuple(x.shape)}")
    if isinstance(contrast_factor, Tensor) and contrast_factor.requires_grad:
        if contrast_factor.numel() != 1:
            raise ValueError(f"[tf.image.adjust_contrast] contrast_factor must be a scalar, "
                             f"got shape {tuple(contrast_factor.shape)}")
        f = contrast_factor.reshape(())
    else:
        f = _number(contrast_factor)

    def fn(t):
        mean = t.mean(dim=(-3, -2), keepdim=True)
        return (t - mean) * f + mean
    return _in_float(x, fn)


def _hsv_adjust(op, images, fn):
    x = _rgb(op, images)

    def in_hsv(t):
        hsv = rgb_to_hsv_np(t._data.astype(np.float64))
        return Tensor._wrap(hsv_to_rgb_np(fn(hsv)).astype(t._data.dtype))
    return _in_float(x, in_hsv)


def adjust_saturation(image, saturation_factor, name=None):
    """tf.image.adjust_saturation: HSV saturation times saturation_factor, clipped to [0, 1]."""
    f = _number(saturation_factor)
    if f < 0:
        raise ValueError(f"[tf.image.adjust_saturation] saturation_factor must be "
                         f"non-negative, got {f}")

    def fn(hsv):
        hsv[..., 1] = np.clip(hsv[..., 1] * f, 0.0, 1.0)
        return hsv
    return _hsv_adjust("adjust_saturation", image, fn)


def adjust_hue(image, delta, name=None):
    """tf.image.adjust_hue: the HSV hue rotated by delta (in [-1, 1]), modulo 1."""
    d = _number(delta)
    if not -1.0 <= d <= 1.0:
        raise ValueError(f"[tf.image.adjust_hue] delta must be in [-1, 1], got {d}")

    def fn(hsv):
        hsv[..., 0] = np.mod(hsv[..., 0] + d, 1.0)
        return hsv
    return _hsv_adjust("adjust_hue", image, fn)


def _gen(seed):
    return _random.get_generator() if seed is None else np.random.default_rng(int(seed))


def _factor_range(op, lower, upper, seed, gen=None):
    """A factor drawn uniformly from [lower, upper), checked, from `gen` (default: the
    generator of `seed`, or pyengine's when None)."""
    if upper <= lower:
        raise ValueError(f"[tf.image.{op}] upper must be > lower, got lower={lower}, "
                         f"upper={upper}")
    if lower < 0:
        raise ValueError(f"[tf.image.{op}] lower must be non-negative, got {lower}")
    return float((gen if gen is not None else _gen(seed)).uniform(lower, upper))


def random_contrast(image, lower, upper, seed=None):
    """tf.image.random_contrast: adjust_contrast by a factor drawn from U[lower, upper)."""
    return adjust_contrast(image, _factor_range("random_contrast", lower, upper, seed))


def random_saturation(image, lower, upper, seed=None):
    """tf.image.random_saturation: adjust_saturation by a factor from U[lower, upper)."""
    return adjust_saturation(image, _factor_range("random_saturation", lower, upper, seed))


def random_hue(image, max_delta, seed=None):
    """tf.image.random_hue: adjust_hue by a delta from U[-max_delta, max_delta), max_delta in
    [0, 0.5]."""
    if not 0.0 <= max_delta <= 0.5:
        raise ValueError(f"[tf.image.random_hue] max_delta must be in [0, 0.5], got "
                         f"{max_delta}")
    return adjust_hue(image, float(_gen(seed).uniform(-max_delta, max_delta)))


_RGB_TO_YUV = np.array([[0.299, -0.14714119, 0.61497538], [0.587, -0.28886916, -0.51496512],
                        [0.114, 0.43601035, -0.10001026]])
_YUV_TO_RGB = np.array([[1.0, 1.0, 1.0], [0.0, -0.394642334, 2.03206185],
                        [1.13988303, -0.58062185, 0.0]])


def _linear_colour(op, images, kernel):
    x = _rgb(op, images, float_only=True)
    return x @ Tensor._wrap(kernel.astype(x._data.dtype))


def rgb_to_yuv(images):
    """tf.image.rgb_to_yuv: float RGB in [0, 1] to YUV (TensorFlow's kernel: Y = 0.299 R +
    0.587 G + 0.114 B); a linear map, differentiable (keras-io ESPCN trains on the Y channel)."""
    return _linear_colour("rgb_to_yuv", images, _RGB_TO_YUV)


def yuv_to_rgb(images):
    """tf.image.yuv_to_rgb: the inverse of rgb_to_yuv."""
    return _linear_colour("yuv_to_rgb", images, _YUV_TO_RGB)
