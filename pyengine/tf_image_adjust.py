"""tf.image's dtype conversion, standardization, brightness and resize_with_pad
for `import pyengine as tf` (re-exported by tf_image.py). TensorFlow's conventions: float
images hold [0, 1), integer images [0, dtype max]; convert_image_dtype scales between them.
Float results are composed of differentiable ops."""
import numpy as np

from . import dtypes as _dt
from .tensor import Tensor
from .tf_names import _t


def _info(npd):
    return np.iinfo(npd) if npd.kind in "iu" else None


def convert_image_dtype(image, dtype, saturate=False, name=None):
    """tf.image.convert_image_dtype: integers -> float divide by the integer dtype's max;
    float -> integers multiply by (max + 0.5) and truncate (saturate clips to the dtype's range
    first); integer -> integer rescale by the ratio of the ranges; float -> float cast."""
    x = _t(image)
    want = _dt.as_dtype(dtype)
    src, dst = x._data.dtype, np.dtype(want.np)
    if src.kind not in "iuf" or dst.kind not in "iuf":
        raise TypeError(f"[tf.image.convert_image_dtype] image and dtype must be integer or "
                        f"floating, got {src} -> {dst}")
    if src == dst:
        return x
    if src.kind == "f" and dst.kind == "f":
        return x.astype(want)
    if src.kind != "f" and dst.kind == "f":
        return x.astype(want) * (1.0 / _info(src).max)
    if src.kind == "f":
        scaled = x * (_info(dst).max + 0.5)
        if saturate:
            scaled = scaled.clamp(float(_info(dst).min), float(_info(dst).max))
        return Tensor._wrap(scaled._data.astype(dst))
    a, si, di = x._data.astype(np.int64), _info(src), _info(dst)
    if si.max > di.max:  # scale down, then cast
        a = a // ((si.max + 1) // (di.max + 1))
        return Tensor._wrap((np.clip(a, di.min, di.max) if saturate else a).astype(dst))
    a = (np.clip(a, di.min, di.max) if saturate else a).astype(dst)  # cast, then scale up
    return Tensor._wrap(a * dst.type((di.max + 1) // (si.max + 1)))


def _images(op, image):
    x = _t(image)
    if x.ndim < 3:
        raise ValueError(f"[tf.image.{op}] image must be at least 3-D (height, width, "
                         f"channels), got shape {tuple(x.shape)}")
    return x


def per_image_standardization(image, name=None):
    """tf.image.per_image_standardization: (x - mean) / max(stddev, 1 / sqrt(N)) over each
    image's N = height * width * channels values, in float32 whatever the input dtype (integer
    values are not rescaled first), as TensorFlow 2."""
    from . import float32
    x = _images("per_image_standardization", image)
    return standardize(x if x.dtype == float32 else x.astype(float32))


def standardize(x):
    """per_image_standardization's formula in x's own dtype (float64 for gradcheck)."""
    n = x.shape[-1] * x.shape[-2] * x.shape[-3]
    mean = x.mean(dim=(-3, -2, -1), keepdim=True)
    std = ((x - mean) ** 2).mean(dim=(-3, -2, -1), keepdim=True).sqrt()
    return (x - mean) / std.clamp(min=float(1.0 / np.sqrt(max(n, 1))))


def adjust_brightness(image, delta):
    """tf.image.adjust_brightness: image + delta in float ([0, 1) scale); an integer image is
    converted to float, shifted and converted back with saturation."""
    x = _t(image)
    orig = x.dtype
    if x._data.dtype.kind == "f":
        return x + _t(delta).astype(orig)
    from . import float32
    flt = convert_image_dtype(x, float32)
    return convert_image_dtype(flt + float(np.asarray(getattr(delta, "_data", delta))), orig,
                               saturate=True)


def random_brightness(image, max_delta, seed=None):
    """tf.image.random_brightness: adjust_brightness by one delta drawn from
    U[-max_delta, max_delta) (pyengine's generator, or one of its own for `seed`)."""
    if max_delta < 0:
        raise ValueError(f"[tf.image.random_brightness] max_delta must be non-negative, got "
                         f"{max_delta}")
    from . import random as _random
    gen = _random._generator if seed is None else np.random.default_rng(int(seed))
    return adjust_brightness(image, float(gen.uniform(-max_delta, max_delta)))


def resize_with_pad(image, target_height, target_width, method="bilinear", antialias=False):
    """tf.image.resize_with_pad: resized to fit inside (target_height, target_width) keeping
    the aspect ratio (sizes floor(size / ratio)), then zero-padded evenly (the odd pixel
    after) to exactly that size; float32 as tf.image.resize."""
    from .tf_image import pad_to_bounding_box, resize
    x = _images("resize_with_pad", image)
    th, tw = int(target_height), int(target_width)
    if th <= 0 or tw <= 0:
        raise ValueError(f"[tf.image.resize_with_pad] target sizes must be positive, got "
                         f"{th} x {tw}")
    h, w = x.shape[-3], x.shape[-2]
    ratio = max(w / tw, h / th)
    rh, rw = int(np.floor(h / ratio)), int(np.floor(w / ratio))
    ph = max(0, int(np.floor((th - h / ratio) / 2)))
    pw = max(0, int(np.floor((tw - w / ratio) / 2)))
    resized = resize(x, (rh, rw), method=method, antialias=antialias)
    return pad_to_bounding_box(resized, ph, pw, th, tw)
