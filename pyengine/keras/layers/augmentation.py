"""Keras' random augmentation layers (channels_last images), active only when training=True:
RandomFlip, RandomRotation, RandomTranslation, RandomZoom, RandomCrop, RandomContrast,
RandomBrightness. Factors, fill modes and interpolation follow Keras 3.

The geometric layers draw one transform per image and run one batched C++ warp
(F.affine_warp, csrc/image, OpenMP over images). Randomness: `seed=` gives the layer its own
generator; without it the layer draws from pyengine's generator, so pe.manual_seed (or
keras.utils.set_random_seed) makes a run reproducible."""
import math

import numpy as np

from ... import random as _random
from ...nn import functional as F
from . import image_transforms as T
from .base import Layer
from .image_preprocessing import resize_images

_FILL_MODES = ("reflect", "wrap", "constant", "nearest")
_INTERPOLATIONS = ("bilinear", "nearest")


def check_images(layer, x):
    """(x as 4-D, whether it was unbatched); non-image input is a clear error."""
    if x.ndim not in (3, 4):
        raise ValueError(f"[{layer}] expected images of shape (height, width, channels) or "
                         f"(batch, height, width, channels), received input of shape "
                         f"{tuple(x.shape)}")
    return (x.unsqueeze(0), True) if x.ndim == 3 else (x, False)


def factor_range(factor, name, layer, lo=None, hi=None, symmetric=True):
    """A Keras factor (a number f -> (-f, f) when symmetric, else (f, f); or a (lower, upper)
    pair) checked against [lo, hi]."""
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2:
            raise ValueError(f"[{layer}] {name} must be a number or a pair (lower, upper). "
                             f"Received: {name}={factor!r}")
        lower, upper = factor
    else:
        lower, upper = (-factor, factor) if symmetric else (factor, factor)
    for v in (lower, upper):
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) \
                or not math.isfinite(v):
            raise ValueError(f"[{layer}] {name} must be finite numbers. Received: {name}={factor!r}")
    lower, upper = float(lower), float(upper)
    if lower > upper:
        raise ValueError(f"[{layer}] {name}'s lower bound must not exceed its upper bound. "
                         f"Received: {name}={factor!r}")
    if (lo is not None and lower < lo) or (hi is not None and upper > hi):
        raise ValueError(f"[{layer}] {name} must lie in [{lo}, {hi}]. Received: {name}={factor!r}")
    return lower, upper


def check_choice(value, choices, name, layer):
    if value not in choices:
        raise ValueError(f"[{layer}] {name} must be one of {list(choices)}. Received: "
                         f"{name}={value!r}")
    return value


class BaseRandomLayer(Layer):
    """A preprocessing layer with its own seeded generator (or pyengine's)."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
                                 or seed < 0):
            raise ValueError(f"[{type(self).__name__}] seed must be a non-negative int or None. "
                             f"Received: seed={seed!r}")
        self.seed = seed
        self._generator = None if seed is None else np.random.default_rng(int(seed))

    def rng(self):
        return self._generator if self._generator is not None else _random.get_generator()

    def compute_output_shape(self, input_shape):
        return input_shape


class _GeometricLayer(BaseRandomLayer):
    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 **kwargs):
        super().__init__(seed=seed, **kwargs)
        layer = type(self).__name__
        self.fill_mode = check_choice(fill_mode, _FILL_MODES, "fill_mode", layer)
        self.interpolation = check_choice(interpolation, _INTERPOLATIONS, "interpolation", layer)
        self.fill_value = float(fill_value)

    def transforms(self, n, h, w):
        raise NotImplementedError

    def call(self, inputs, training=None):
        if not training:
            return inputs
        x, unbatched = check_images(type(self).__name__, inputs)
        t = self.transforms(x.shape[0], x.shape[1], x.shape[2])
        y = F.affine_warp(x, t, interpolation=self.interpolation, fill_mode=self.fill_mode,
                          fill_value=self.fill_value)
        return y.squeeze(0) if unbatched else y


class RandomFlip(BaseRandomLayer):
    """Flips each image left-right and/or up-down with probability 1/2 (mode 'horizontal',
    'vertical' or 'horizontal_and_vertical')."""

    def __init__(self, mode="horizontal_and_vertical", seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.mode = check_choice(mode, ("horizontal", "vertical", "horizontal_and_vertical"),
                                 "mode", "RandomFlip")

    def call(self, inputs, training=None):
        if not training:
            return inputs
        x, unbatched = check_images("RandomFlip", inputs)
        n = x.shape[0]
        rng = self.rng()
        hz = rng.random(n) < 0.5 if "horizontal" in self.mode else np.zeros(n, bool)
        vt = rng.random(n) < 0.5 if "vertical" in self.mode else np.zeros(n, bool)
        y = F.affine_warp(x, T.flips(hz, vt, x.shape[1], x.shape[2]), interpolation="nearest",
                          fill_mode="nearest")
        return y.squeeze(0) if unbatched else y


class RandomRotation(_GeometricLayer):
    """Rotates each image by a random angle factor * 2 pi, factor drawn from [lower, upper]
    (a number f means [-f, f]); positive angles rotate counter-clockwise."""

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self.factor = factor
        self.lower, self.upper = factor_range(factor, "factor", "RandomRotation")

    def transforms(self, n, h, w):
        angles = self.rng().uniform(self.lower, self.upper, n) * 2 * np.pi
        return T.rotation(angles, h, w)


class RandomTranslation(_GeometricLayer):
    """Shifts each image by a random fraction of its height and width, each factor in [-1, 1]."""

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear",
                 seed=None, fill_value=0.0, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self.h_range = factor_range(height_factor, "height_factor", "RandomTranslation", -1, 1)
        self.w_range = factor_range(width_factor, "width_factor", "RandomTranslation", -1, 1)

    def transforms(self, n, h, w):
        rng = self.rng()
        dy = rng.uniform(*self.h_range, n) * h
        dx = rng.uniform(*self.w_range, n) * w
        return T.translation(dx, dy)


class RandomZoom(_GeometricLayer):
    """Zooms each image by 1 + a factor drawn from height_factor (and width_factor; None keeps the
    aspect ratio). Positive factors zoom out, negative zoom in; lower bounds must be >= -1."""

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self.h_range = factor_range(height_factor, "height_factor", "RandomZoom", -1, None)
        self.w_range = None if width_factor is None else \
            factor_range(width_factor, "width_factor", "RandomZoom", -1, None)

    def transforms(self, n, h, w):
        rng = self.rng()
        zy = 1.0 + rng.uniform(*self.h_range, n)
        zx = zy if self.w_range is None else 1.0 + rng.uniform(*self.w_range, n)
        return T.zoom(zx, zy, h, w)


class RandomCrop(BaseRandomLayer):
    """Training: one random (height, width) window per batch (as Keras 3); inference, or an input
    smaller than the window: resize to (height, width) keeping the aspect ratio by a centre crop."""

    def __init__(self, height, width, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.height, self.width = _positive_int(height, "height", "RandomCrop"), \
            _positive_int(width, "width", "RandomCrop")

    def call(self, inputs, training=None):
        x, unbatched = check_images("RandomCrop", inputs)
        h, w = x.shape[1], x.shape[2]
        if training and h >= self.height and w >= self.width:
            rng = self.rng()
            top = int(rng.integers(0, h - self.height + 1))
            left = int(rng.integers(0, w - self.width + 1))
            y = x[:, top:top + self.height, left:left + self.width, :]
        else:
            y = resize_images(x, self.height, self.width, "bilinear", crop_to_aspect_ratio=True)
        return y.squeeze(0) if unbatched else y

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-3]) + (self.height, self.width, input_shape[-1])


class RandomContrast(BaseRandomLayer):
    """(x - mean) * c + mean per image and channel, c drawn from [1 - lower, 1 + upper]; the
    result is clipped to value_range. factor: a number f in [0, 1] means (f, f)."""

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = factor
        self.lower, self.upper = factor_range(factor, "factor", "RandomContrast", 0, None,
                                              symmetric=False)
        if self.lower > 1:
            raise ValueError(f"[RandomContrast] factor's lower bound must be at most 1 (the "
                             f"contrast factor 1 - lower must stay >= 0). Received: "
                             f"factor={factor!r}")
        self.value_range = _value_range(value_range, "RandomContrast")

    def call(self, inputs, training=None):
        if not training:
            return inputs
        x, unbatched = check_images("RandomContrast", inputs)
        c = self.rng().uniform(1 - self.lower, 1 + self.upper, x.shape[0]).astype(np.float32)
        mean = x.mean(axis=(1, 2), keepdims=True)
        y = ((x - mean) * c.reshape(-1, 1, 1, 1) + mean).clamp(*self.value_range)
        return y.squeeze(0) if unbatched else y


class RandomBrightness(BaseRandomLayer):
    """x + delta per image, delta drawn from factor (in [-1, 1]; a number f means [-f, f]) times
    the width of value_range; the result is clipped to value_range."""

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = factor
        self.lower, self.upper = factor_range(factor, "factor", "RandomBrightness", -1, 1)
        self.value_range = _value_range(value_range, "RandomBrightness")

    def call(self, inputs, training=None):
        if not training:
            return inputs
        x, unbatched = check_images("RandomBrightness", inputs)
        span = self.value_range[1] - self.value_range[0]
        delta = (self.rng().uniform(self.lower, self.upper, x.shape[0]) * span).astype(np.float32)
        y = (x + delta.reshape(-1, 1, 1, 1)).clamp(*self.value_range)
        return y.squeeze(0) if unbatched else y


def _positive_int(v, name, layer):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
        raise ValueError(f"[{layer}] {name} must be a positive int. Received: {name}={v!r}")
    return int(v)


def _value_range(v, layer):
    v = tuple(v)
    if len(v) != 2 or not v[0] < v[1]:
        raise ValueError(f"[{layer}] value_range must be a pair (low, high) with low < high. "
                         f"Received: value_range={v!r}")
    return float(v[0]), float(v[1])
