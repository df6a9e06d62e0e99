"""Image reshaping layers (channels_last): UpSampling2D (the C++ resize on NHWC, no transposes),
ZeroPadding2D (F.pad) and Cropping2D (a slice)."""
import numpy as np

from ...nn import functional as F
from ...ops.image import resize_planes
from . import data_format as _df
from .base import Layer
from .conv import _pair


def _images(layer, x):
    if x.ndim != 4:
        raise ValueError(f"[{layer}] expects (batch, height, width, channels) input, received "
                         f"shape {tuple(x.shape)}")


def _two_pairs(v, what, layer):
    """An int, a pair (symmetric per axis) or ((top, bottom), (left, right)) of non-negatives."""
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        out = ((int(v), int(v)), (int(v), int(v)))
    else:
        v = tuple(v)
        if len(v) == 2 and all(isinstance(i, (int, np.integer)) for i in v):
            out = ((int(v[0]), int(v[0])), (int(v[1]), int(v[1])))
        elif len(v) == 2 and all(isinstance(i, (tuple, list)) and len(i) == 2 for i in v):
            out = tuple((int(a), int(b)) for a, b in v)
        else:
            raise ValueError(f"[{layer}] {what} must be an int, a pair of ints or a pair of "
                             f"pairs. Received: {what}={v!r}")
    if any(p < 0 for pair in out for p in pair):
        raise ValueError(f"[{layer}] {what} must be non-negative. Received: {what}={v!r}")
    return out


class UpSampling2D(Layer):
    """Repeats rows and columns `size` times ('nearest') or resizes bilinearly at half-pixel
    centres ('bilinear'), as Keras' UpSampling2D."""

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        _df.resolve(self, data_format, "UpSampling2D")
        if interpolation not in ("nearest", "bilinear"):
            raise ValueError(f"[UpSampling2D] interpolation must be 'nearest' or 'bilinear'. "
                             f"Received: interpolation={interpolation!r}")
        self.size = _pair(size, "size", "UpSampling2D")
        self.interpolation = interpolation

    def call(self, x):
        _images(self.name, x)
        out = (x.shape[1] * self.size[0], x.shape[2] * self.size[1])
        return resize_planes(x, out, self.interpolation, scale_factor=self.size, op=self.name)

    def compute_output_shape(self, s):
        return (s[0], None if s[1] is None else s[1] * self.size[0],
                None if s[2] is None else s[2] * self.size[1], s[3])


class ZeroPadding2D(Layer):
    """Zero rows / columns around images: padding int, (h, w) or ((top, bottom), (left, right))."""

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        _df.resolve(self, data_format, "ZeroPadding2D")
        self.padding = _two_pairs(padding, "padding", "ZeroPadding2D")

    def call(self, x):
        _images(self.name, x)
        (t, b), (l, r) = self.padding
        return F.pad(x, (0, 0, l, r, t, b))

    def compute_output_shape(self, s):
        (t, b), (l, r) = self.padding
        return (s[0], None if s[1] is None else s[1] + t + b, None if s[2] is None else s[2] + l + r,
                s[3])


class Cropping2D(Layer):
    """Removes rows / columns at the edges: cropping int, (h, w) or ((top, bottom), (left, right))."""

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        _df.resolve(self, data_format, "Cropping2D")
        self.cropping = _two_pairs(cropping, "cropping", "Cropping2D")

    def call(self, x):
        _images(self.name, x)
        (t, b), (l, r) = self.cropping
        h, w = x.shape[1], x.shape[2]
        if t + b >= h or l + r >= w:
            raise ValueError(f"[{self.name}] cropping {self.cropping} removes the whole input of "
                             f"shape {tuple(x.shape)}")
        return x[:, t:h - b, l:w - r, :]

    def compute_output_shape(self, s):
        (t, b), (l, r) = self.cropping
        return (s[0], None if s[1] is None else s[1] - t - b, None if s[2] is None else s[2] - l - r,
                s[3])


# ---- 1-D (batch, steps, channels) counterparts -------------------------------------------------
def _sequences(layer, x):
    if x.ndim != 3:
        raise ValueError(f"[{layer}] expects (batch, steps, channels) input, received shape "
                         f"{tuple(x.shape)}")


def _one_pair(v, what, layer):
    """An int (both ends) or a pair (before, after) of non-negative ints."""
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        out = (int(v), int(v))
    else:
        try:
            v = tuple(v)
        except TypeError:
            v = (v,)
        if len(v) != 2 or not all(isinstance(i, (int, np.integer)) and not isinstance(i, bool)
                                  for i in v):
            raise ValueError(f"[{layer}] {what} must be an int or a pair of ints. Received: "
                             f"{what}={v!r}")
        out = (int(v[0]), int(v[1]))
    if out[0] < 0 or out[1] < 0:
        raise ValueError(f"[{layer}] {what} must be non-negative. Received: {what}={v!r}")
    return out


class UpSampling1D(Layer):
    """Repeats each time step `size` times along the steps axis (Keras' UpSampling1D)."""

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            raise ValueError(f"[UpSampling1D] size must be a positive int. Received: size={size!r}")
        self.size = int(size)

    def call(self, x):
        _sequences(self.name, x)
        return x[:, np.repeat(np.arange(x.shape[1]), self.size), :]

    def compute_output_shape(self, s):
        return (s[0], None if s[1] is None else s[1] * self.size, s[2])


class ZeroPadding1D(Layer):
    """Zero time steps at the start and end: padding int or (before, after)."""

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.padding = _one_pair(padding, "padding", "ZeroPadding1D")

    def call(self, x):
        _sequences(self.name, x)
        return F.pad(x, (0, 0) + self.padding)

    def compute_output_shape(self, s):
        return (s[0], None if s[1] is None else s[1] + sum(self.padding), s[2])


class Cropping1D(Layer):
    """Removes time steps at the start and end: cropping int or (before, after)."""

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.cropping = _one_pair(cropping, "cropping", "Cropping1D")

    def call(self, x):
        _sequences(self.name, x)
        b, a = self.cropping
        n = x.shape[1]
        if b + a >= n:
            raise ValueError(f"[{self.name}] cropping {self.cropping} removes the whole input of "
                             f"shape {tuple(x.shape)}")
        return x[:, b:n - a, :]

    def compute_output_shape(self, s):
        return (s[0], None if s[1] is None else s[1] - sum(self.cropping), s[2])
