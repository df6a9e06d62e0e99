"""3-D (volume) reshaping and dropout layers, channels_last (batch, d1, d2, d3, channels):
UpSampling3D (nearest: each voxel repeated), ZeroPadding3D (F.pad), Cropping3D (a slice),
SpatialDropout3D (whole channels dropped); and AlphaDropout and Keras 2's ThresholdedReLU.
channels_first inputs are moved by Layer.__call__ (data_format.py)."""
import numpy as np

from ...nn import functional as F
from ...ops.dropout import dropout
from . import data_format as _df
from .augmentation import BaseRandomLayer
from .base import Layer
from .noise import _rate


def _volumes(layer, x):
    if x.ndim != 5:
        raise ValueError(f"[{layer}] expects (batch, dim1, dim2, dim3, channels) input, "
                         f"received shape {tuple(x.shape)}")


def _triple(v, what, layer, low):
    """An int or three ints, each >= low."""
    items = (v, v, v) if isinstance(v, (int, np.integer)) and not isinstance(v, bool) else v
    try:
        items = tuple(items)
    except TypeError:
        items = ()
    if len(items) != 3 or not all(isinstance(i, (int, np.integer)) and not isinstance(i, bool)
                                  and i >= low for i in items):
        raise ValueError(f"[{layer}] {what} must be an int or a tuple of 3 ints >= {low}. "
                         f"Received: {what}={v!r}")
    return tuple(int(i) for i in items)


def _three_pairs(v, what, layer):
    """An int, three ints (symmetric per axis) or three (before, after) pairs, non-negative."""
    if isinstance(v, (list, tuple)) and len(v) == 3 and all(isinstance(p, (list, tuple))
                                                          for p in v):
        pairs = tuple(tuple(p) for p in v)
        if not all(len(p) == 2 and all(isinstance(i, (int, np.integer)) and
                                       not isinstance(i, bool) and i >= 0 for i in p)
                   for p in pairs):
            raise ValueError(f"[{layer}] {what} must be an int, 3 ints or 3 pairs of "
                             f"non-negative ints. Received: {what}={v!r}")
        return tuple((int(a), int(b)) for a, b in pairs)
    t = _triple(v, what, layer, 0)
    return tuple((i, i) for i in t)


def _add(d, n):
    return None if d is None else d + n


class UpSampling3D(Layer):
    """Repeats the voxels `size` times along each spatial axis (nearest neighbour)."""

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(**kwargs)
        _df.resolve(self, data_format, "UpSampling3D")
        self.size = _triple(size, "size", "UpSampling3D", 1)

    def call(self, x):
        _volumes(type(self).__name__, x)
        for axis, s in zip((1, 2, 3), self.size):
            if s > 1:
                index = [slice(None)] * 5
                index[axis] = np.repeat(np.arange(x.shape[axis]), s)
                x = x[tuple(index)]
        return x

    def compute_output_shape(self, s):
        return (s[0],) + tuple(None if d is None else d * k for d, k in zip(s[1:4], self.size)) \
            + (s[4],)


class ZeroPadding3D(Layer):
    """Zeros around volumes: padding int, 3 ints or ((a, b), (c, d), (e, f))."""

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        _df.resolve(self, data_format, "ZeroPadding3D")
        self.padding = _three_pairs(padding, "padding", "ZeroPadding3D")

    def call(self, x):
        _volumes(type(self).__name__, x)
        (a, b), (c, d), (e, f) = self.padding
        return F.pad(x, (0, 0, e, f, c, d, a, b))

    def compute_output_shape(self, s):
        return (s[0],) + tuple(_add(n, p + q) for n, (p, q) in zip(s[1:4], self.padding)) + \
            (s[4],)


class Cropping3D(Layer):
    """Removes voxels at the edges: cropping int, 3 ints or ((a, b), (c, d), (e, f))."""

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        _df.resolve(self, data_format, "Cropping3D")
        self.cropping = _three_pairs(cropping, "cropping", "Cropping3D")

    def call(self, x):
        _volumes(type(self).__name__, x)
        index = [slice(None)]
        for n, (p, q) in zip(x.shape[1:4], self.cropping):
            if p + q >= n:
                raise ValueError(f"[{type(self).__name__}] cropping {self.cropping} removes "
                                 f"the whole input of shape {tuple(x.shape)}")
            index.append(slice(p, n - q))
        return x[tuple(index)]

    def compute_output_shape(self, s):
        return (s[0],) + tuple(_add(n, -(p + q)) for n, (p, q) in zip(s[1:4], self.cropping)) \
            + (s[4],)


class SpatialDropout3D(BaseRandomLayer):
    """Drops whole channels of (N, d1, d2, d3, C) input with probability `rate` while training,
    scaling the kept ones by 1 / (1 - rate)."""

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        _df.resolve(self, data_format, "SpatialDropout3D")
        self.rate = _rate(rate, "SpatialDropout3D", upper_open=False)

    def call(self, x, training=False):
        _volumes(type(self).__name__, x)
        return dropout(x, self.rate, bool(training), mask_shape=(x.shape[0], 1, 1, 1, x.shape[4]),
                       generator=self._generator)


_ALPHA_P = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946


class AlphaDropout(BaseRandomLayer):
    """Dropout that keeps SELU's self-normalisation (Klambauer et al. 2017): while training,
    dropped units take SELU's negative saturation value alpha' = -alpha * scale, then
    a * x + b restores mean and variance, a = ((1 - rate) (1 + rate alpha'^2))^-1/2,
    b = -a alpha' rate. noise_shape (None entries: the input's) shares one draw along axes of
    size 1."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _rate(rate, "AlphaDropout")
        if noise_shape is not None and not (
                isinstance(noise_shape, (list, tuple)) and all(
                    d is None or (isinstance(d, (int, np.integer)) and not isinstance(d, bool)
                                  and d >= 1) for d in noise_shape)):
            raise ValueError(f"[AlphaDropout] noise_shape must be None or a tuple of positive "
                             f"ints / None. Received: noise_shape={noise_shape!r}")
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)

    def call(self, x, training=False):
        if not training or self.rate == 0:
            return x
        shape = tuple(x.shape)
        if self.noise_shape is not None:
            if len(self.noise_shape) != len(shape) or any(
                    d is not None and d not in (1, n) for d, n in zip(self.noise_shape, shape)):
                raise ValueError(f"[{type(self).__name__}] noise_shape {self.noise_shape} does not "
                                 f"broadcast to the input shape {shape}")
            shape = tuple(n if d is None else d for d, n in zip(self.noise_shape, shape))
        kept = (self.rng().uniform(size=shape) >= self.rate).astype(np.float32)
        kept = np.ascontiguousarray(np.broadcast_to(kept, tuple(x.shape)))
        a = ((1.0 - self.rate) * (1.0 + self.rate * _ALPHA_P ** 2)) ** -0.5
        b = -a * _ALPHA_P * self.rate
        scale = (a * kept).astype(np.float32)
        return x * scale + (a * _ALPHA_P * (1.0 - kept) + b).astype(np.float32)


class ThresholdedReLU(Layer):
    """Keras 2: x where x > theta, else 0."""

    def __init__(self, theta=1.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(theta, bool) or not isinstance(theta, (int, float, np.integer,
                                                             np.floating)) or theta < 0:
            raise ValueError(f"[ThresholdedReLU] theta must be a number >= 0. Received: "
                             f"theta={theta!r}")
        self.theta = float(theta)

    def call(self, x):
        return x * (x._data > self.theta).astype(x._data.dtype)

    def compute_output_shape(self, s):
        return s
