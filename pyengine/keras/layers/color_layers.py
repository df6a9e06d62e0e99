"""Keras 3's colour preprocessing layers on (batch, height, width, channels) images (or one
image), computed in NumPy on the data (preprocessing: no gradient flows to the images):
RandomGrayscale, RandomHue, RandomSaturation, RandomColorJitter, Solarization, AutoContrast,
Equalization, and Pipeline (layers applied in turn).

As in Keras 3, the random layers and Equalization act when `training` is true, which is the
default of a direct call (`layer(images)`); fit passes True, evaluate / predict False.
AutoContrast acts always. Images are in value_range; colour maths runs in [0, 1] (hue,
saturation: Keras' rgb_to_hsv / hsv_to_rgb) or [0, 255] (solarization, contrast)."""
import numpy as np

from ...tensor import Tensor
from ...tf_image_color import hsv_to_rgb_np as hsv_to_rgb, rgb_to_hsv_np as rgb_to_hsv
from . import data_format as _df
from .augmentation import BaseRandomLayer, RandomBrightness, RandomContrast
from .base import Layer

_EPS = 1e-7


def _value_range(v, owner):
    try:
        lo, hi = (float(a) for a in v)
    except (TypeError, ValueError):
        lo = hi = None
    if lo is None or not lo < hi:
        raise ValueError(f"[{owner}] value_range must be a pair (low, high) with low < high. "
                         f"Received: value_range={v!r}")
    return lo, hi


def _unit_factor(factor, what, owner):
    """Keras' factor in [0, 1]: a number f means (0, f); or a (lower, upper) pair."""
    pair = tuple(factor) if isinstance(factor, (list, tuple)) else (0.0, factor)
    if len(pair) != 2 or not all(isinstance(f, (int, float, np.integer, np.floating))
                                 and not isinstance(f, bool) and 0 <= f <= 1 for f in pair):
        raise ValueError(f"[{owner}] {what} must be a number or a pair of numbers in [0, 1]. "
                         f"Received: {what}={factor!r}")
    return tuple(sorted(float(f) for f in pair))


def _rescale(x, source, target):
    if tuple(source) == tuple(target):
        return x
    return (x - source[0]) / (source[1] - source[0]) * (target[1] - target[0]) + target[0]


def _images(owner, x):
    a = np.asarray(x._data if isinstance(x, Tensor) else x, np.float32)
    if a.ndim not in (3, 4):
        raise ValueError(f"[{owner}] expected images of shape (height, width, channels) or "
                         f"(batch, height, width, channels), received input of shape {a.shape}")
    return (a[None], True) if a.ndim == 3 else (a, False)


def _out(a, unbatched):
    a = np.ascontiguousarray(a, dtype=np.float32)
    return Tensor._wrap(a[0] if unbatched else a)


def _rgb(owner, a):
    if a.shape[-1] != 3:
        raise ValueError(f"[{owner}] expects RGB images (3 channels last), received shape "
                         f"{a.shape}")


class RandomGrayscale(BaseRandomLayer):
    """Each image turned to grayscale (0.2989 R + 0.587 G + 0.114 B in all 3 channels) with
    probability `factor`."""

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        _df.resolve(self, data_format, "RandomGrayscale")
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or \
                not 0 <= factor <= 1:
            raise ValueError(f"[RandomGrayscale] factor must be a number in [0, 1]. Received: "
                             f"factor={factor!r}")
        self.factor = float(factor)

    def call(self, x, training=True):
        if not training:
            return x
        a, unbatched = _images(type(self).__name__, x)
        _rgb(type(self).__name__, a)
        apply = self.rng().uniform(size=a.shape[0]) < self.factor
        gray = (a @ np.array([0.2989, 0.5870, 0.1140], np.float32))[..., None]
        return _out(np.where(apply[:, None, None, None], gray, a), unbatched)


class RandomHue(BaseRandomLayer):
    """Hue shifted by +-f / 2 (in turns of the colour wheel), f drawn from `factor` per image
    and the sign at random."""

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        _df.resolve(self, data_format, "RandomHue")
        self.factor = _unit_factor(factor, "factor", "RandomHue")
        self.value_range = _value_range(value_range, "RandomHue")

    def shifts(self, n):
        rng = self.rng()
        sign = np.where(rng.uniform(size=n) > 0.5, -1.0, 1.0)
        return sign * rng.uniform(self.factor[0], self.factor[1], n) * 0.5

    def call(self, x, training=True):
        if not training:
            return x
        a, unbatched = _images(type(self).__name__, x)
        _rgb(type(self).__name__, a)
        return _out(shift_hue(a, self.shifts(a.shape[0]), self.value_range), unbatched)


def shift_hue(a, shifts, value_range):
    hsv = rgb_to_hsv(_rescale(a.astype(np.float64), value_range, (0, 1)))
    h = hsv[..., 0] + shifts.reshape(-1, 1, 1)
    h = np.where(h > 1.0, h - 1.0, h)
    hsv[..., 0] = np.where(h < 0.0, h + 1.0, h)
    return _rescale(np.clip(hsv_to_rgb(hsv), 0.0, 1.0), (0, 1), value_range)


class RandomSaturation(BaseRandomLayer):
    """Saturation times f / (1 - f), f drawn from `factor` per image (0.5: unchanged, 0:
    grayscale, 1: fully saturated)."""

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        _df.resolve(self, data_format, "RandomSaturation")
        self.factor = _unit_factor(factor, "factor", "RandomSaturation")
        self.value_range = _value_range(value_range, "RandomSaturation")

    def call(self, x, training=True):
        if not training:
            return x
        a, unbatched = _images(type(self).__name__, x)
        _rgb(type(self).__name__, a)
        f = self.rng().uniform(self.factor[0], self.factor[1], a.shape[0])
        return _out(scale_saturation(a, f / (1.0 - f + _EPS), self.value_range), unbatched)


def scale_saturation(a, scale, value_range):
    hsv = rgb_to_hsv(_rescale(a.astype(np.float64), value_range, (0, 1)))
    hsv[..., 1] = np.clip(hsv[..., 1] * scale.reshape(-1, 1, 1), 0.0, 1.0)
    return _rescale(hsv_to_rgb(hsv), (0, 1), value_range)


class RandomColorJitter(Layer):
    """RandomBrightness, RandomContrast, RandomSaturation and RandomHue in that order, each
    for the factors given (None: that step is skipped)."""

    def __init__(self, value_range=(0, 255), brightness_factor=None, contrast_factor=None,
                 saturation_factor=None, hue_factor=None, seed=None, data_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        _df.resolve(self, data_format, "RandomColorJitter")
        self.value_range = _value_range(value_range, "RandomColorJitter")
        self.brightness_factor, self.contrast_factor = brightness_factor, contrast_factor
        self.saturation_factor, self.hue_factor, self.seed = saturation_factor, hue_factor, seed
        vr = self.value_range
        steps = []
        if brightness_factor is not None:
            steps.append(RandomBrightness(brightness_factor, vr, seed=seed))
        if contrast_factor is not None:
            steps.append(RandomContrast(contrast_factor, vr, seed=seed))
        if saturation_factor is not None:
            steps.append(RandomSaturation(saturation_factor, vr, seed=seed))
        if hue_factor is not None:
            steps.append(RandomHue(hue_factor, vr, seed=seed))
        self._steps = steps

    def call(self, x, training=True):
        if not training:
            return x
        for step in self._steps:
            x = step(x, training=True)
        return x


class Solarization(BaseRandomLayer):
    """On [0, 255]-scaled images: x + a, clipped to [0, 255], then inverted (255 - x) where it
    is >= the threshold t; a / 255 drawn from addition_factor and t / 255 from threshold_factor
    per image (a number f means (0, f))."""

    def __init__(self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255),
                 seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.addition_factor = _unit_factor(addition_factor, "addition_factor", "Solarization")
        self.threshold_factor = _unit_factor(threshold_factor, "threshold_factor",
                                             "Solarization")
        self.value_range = _value_range(value_range, "Solarization")

    def call(self, x, training=True):
        if not training:
            return x
        a, unbatched = _images(type(self).__name__, x)
        rng = self.rng()
        add = rng.uniform(*self.addition_factor, a.shape[0]) * 255.0
        thr = rng.uniform(*self.threshold_factor, a.shape[0]) * 255.0
        return _out(solarize(a, add, thr, self.value_range), unbatched)


def solarize(a, additions, thresholds, value_range):
    y = np.clip(_rescale(a.astype(np.float64), value_range, (0, 255)) +
                additions.reshape(-1, 1, 1, 1), 0.0, 255.0)
    y = np.where(y < thresholds.reshape(-1, 1, 1, 1), y, 255.0 - y)
    return _rescale(y, (0, 255), value_range)


class AutoContrast(Layer):
    """Each image and channel stretched so its minimum maps to value_range's low end and its
    maximum to the high end (a constant channel is left as it is)."""

    def __init__(self, value_range=(0, 255), **kwargs):
        super().__init__(**kwargs)
        self.value_range = _value_range(value_range, "AutoContrast")

    def call(self, x):
        a, unbatched = _images(type(self).__name__, x)
        y = _rescale(a.astype(np.float64), self.value_range, (0, 255))
        low = y.min(axis=(1, 2), keepdims=True)
        span = y.max(axis=(1, 2), keepdims=True) - low
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.clip((y - low) * (255.0 / span), 0.0, 255.0)
        out = _rescale(out, (0, 255), self.value_range)
        return _out(np.where(np.isnan(out) | (span == 0), a, out), unbatched)

    def compute_output_shape(self, s):
        return s


class Equalization(Layer):
    """Histogram equalization of each channel (over the whole batch, as Keras 3), with `bins`
    bins on [0, 255]-scaled values; a channel with one occupied bin is left as it is."""

    def __init__(self, value_range=(0, 255), bins=256, data_format=None, **kwargs):
        super().__init__(**kwargs)
        _df.resolve(self, data_format, "Equalization")
        self.value_range = _value_range(value_range, "Equalization")
        if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 2:
            raise ValueError(f"[Equalization] bins must be an int >= 2. Received: bins={bins!r}")
        self.bins = int(bins)

    def call(self, x, training=True):
        if not training:
            return x
        a, unbatched = _images(type(self).__name__, x)
        y = _rescale(a.astype(np.float64), self.value_range, (0, 255))
        out = np.stack([self._channel(y[..., c]) for c in range(y.shape[-1])], -1)
        return _out(_rescale(out, (0, 255), self.value_range), unbatched)

    def _channel(self, ch):
        n = self.bins
        index = np.clip((ch * (n - 1) / 255.0).astype(np.int64), 0, n - 1)
        hist = np.bincount(index.ravel(), minlength=n)
        if np.count_nonzero(hist) <= 1:
            return ch
        cdf = np.cumsum(hist)
        cdf_min = cdf[np.nonzero(cdf)[0][0]]
        denominator = cdf[-1] - cdf_min or 1
        table = np.clip(np.round((cdf - cdf_min) * 255.0 / denominator), 0, 255)
        return table[np.clip(ch / 255.0 * (n - 1), 0, n - 1).astype(np.int64)]


class Pipeline(Layer):
    """Applies `layers` in turn (Keras 3's keras.layers.Pipeline of preprocessing layers)."""

    def __init__(self, layers, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        from ..saving import _build, _classes
        # saved configs of the layers (load_model, from_config) are rebuilt first
        layers = [_build(v, _classes()) if isinstance(v, dict) and "class_name" in v else v
                  for v in layers]
        for layer in layers:
            if not callable(layer):
                raise ValueError(f"[Pipeline] layers must be layers (callables). Received: "
                                 f"{layer!r}")
        self.layers = layers

    def get_config(self):
        cfg = super().get_config()
        nested = [layer.get_config() for layer in self.layers]
        cfg["args"] = list(cfg["args"])
        if cfg["args"]:
            cfg["args"][0] = nested
        else:
            cfg["kwargs"] = {**cfg["kwargs"], "layers": nested}
        cfg["layers"] = nested
        return cfg

    def call(self, x, training=True):
        for layer in self.layers:
            x = layer(x, training=training) if isinstance(layer, Layer) and \
                _takes_training(layer) else layer(x)
        return x


def _takes_training(layer):
    import inspect
    return "training" in inspect.signature(layer.call).parameters
