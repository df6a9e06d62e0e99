"""Regularisation layers active only when training=True: GaussianNoise, GaussianDropout and
SpatialDropout2D (whole channels dropped, the mask broadcast over height and width). `seed=`
gives a layer its own generator; otherwise pyengine's (pe.manual_seed)."""
import numpy as np

from ...ops.dropout import dropout
from . import data_format as _df
from .augmentation import BaseRandomLayer


def _rate(rate, layer, upper_open=True):
    if isinstance(rate, bool) or not isinstance(rate, (int, float, np.integer, np.floating)) \
            or not (0 <= rate < 1 if upper_open else 0 <= rate <= 1):
        raise ValueError(f"[{layer}] rate must be a float in [0, 1{')' if upper_open else ']'}. "
                         f"Received: rate={rate!r}")
    return float(rate)


class GaussianNoise(BaseRandomLayer):
    """x + N(0, stddev^2) noise while training (a data-augmentation regulariser)."""

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if isinstance(stddev, bool) or not isinstance(stddev, (int, float)) or stddev < 0:
            raise ValueError(f"[GaussianNoise] stddev must be a non-negative float. Received: "
                             f"stddev={stddev!r}")
        self.stddev = float(stddev)

    def call(self, x, training=False):
        if not training or self.stddev == 0:
            return x
        return x + self.rng().normal(0.0, self.stddev, x.shape).astype(np.float32)


class GaussianDropout(BaseRandomLayer):
    """x * N(1, rate / (1 - rate)) noise while training (multiplicative, mean-preserving)."""

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _rate(rate, "GaussianDropout")

    def call(self, x, training=False):
        if not training or self.rate == 0:
            return x
        std = np.sqrt(self.rate / (1.0 - self.rate))
        return x * self.rng().normal(1.0, std, x.shape).astype(np.float32)


class SpatialDropout2D(BaseRandomLayer):
    """Drops whole feature maps of (N, H, W, C) input with probability `rate` while training,
    scaling the kept ones by 1 / (1 - rate)."""

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        _df.resolve(self, data_format, "SpatialDropout2D")
        self.rate = _rate(rate, "SpatialDropout2D", upper_open=False)

    def call(self, x, training=False):
        if x.ndim != 4:
            raise ValueError(f"[{self.name}] expects (batch, height, width, channels) input, "
                             f"received shape {tuple(x.shape)}")
        return dropout(x, self.rate, bool(training), mask_shape=(x.shape[0], 1, 1, x.shape[3]),
                       generator=self._generator)


class SpatialDropout1D(BaseRandomLayer):
    """Drops whole channels of (N, steps, C) input with probability `rate` while training (the
    mask broadcast over the steps), scaling the kept ones by 1 / (1 - rate)."""

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _rate(rate, "SpatialDropout1D", upper_open=False)

    def call(self, x, training=False):
        if x.ndim != 3:
            raise ValueError(f"[{self.name}] expects (batch, steps, channels) input, received "
                             f"shape {tuple(x.shape)}")
        return dropout(x, self.rate, bool(training), mask_shape=(x.shape[0], 1, x.shape[2]),
                       generator=self._generator)
