"""Uniform(low, high): constant density on [low, high), reparameterised as low + (high-low) * u."""
import numpy as np

from . import constraints
from .distribution import Distribution
from .utils import broadcast_all


class Uniform(Distribution):
    arg_constraints = {"low": constraints.real, "high": constraints.real}
    has_rsample = True

    def __init__(self, low, high, validate_args=None):
        self.low, self.high = broadcast_all([low, high], ["low", "high"], "Uniform")
        super().__init__(self.low.shape, (), validate_args)
        if self._validate_args and not np.all(self.low._data < self.high._data):
            raise ValueError(f"[Uniform] low must be less than high, got low={self.low} and "
                             f"high={self.high}")

    def _expand_params(self):
        return {"low": 0, "high": 0}

    @property
    def support(self):
        return constraints.half_open_interval(self.low._data, self.high._data)

    @property
    def mean(self):
        return (self.low + self.high) / 2

    @property
    def mode(self):
        # Every point of the interval is a mode: PyTorch answers NaN.
        return self.high * float("nan")

    @property
    def stddev(self):
        return (self.high - self.low) / 12 ** 0.5

    @property
    def variance(self):
        return (self.high - self.low) ** 2 / 12

    def rsample(self, sample_shape=()):
        import pyengine as pe
        u = pe.rand(*self._extended_shape(sample_shape), dtype=self.low.dtype)
        return self.low + u * (self.high - self.low)

    def log_prob(self, value):
        import pyengine as pe
        value = self._value(value, "log_prob")
        inside = (value >= self.low) & (value < self.high)
        # -log(width) inside the interval, -inf outside (reachable with validate_args=False).
        return pe.where(inside, -(self.high - self.low).log(), float("-inf"))

    def cdf(self, value):
        value = self._value(value, "cdf")
        return ((value - self.low) / (self.high - self.low)).clamp(min=0.0, max=1.0)

    def entropy(self):
        return (self.high - self.low).log()
