"""Normal(loc, scale): the Gaussian N(loc, scale^2), reparameterised as loc + scale * eps."""
import math

from . import constraints
from .distribution import Distribution
from .utils import broadcast_all

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


class Normal(Distribution):
    """>>> Normal(0.0, 1.0).log_prob(pe.tensor(0.0))
    tensor(-0.9189385)"""
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all([loc, scale], ["loc", "scale"], "Normal")
        super().__init__(self.loc.shape, (), validate_args)

    def _expand_params(self):
        return {"loc": 0, "scale": 0}

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return self.scale

    @property
    def variance(self):
        return self.scale ** 2

    def rsample(self, sample_shape=()):
        import pyengine as pe
        eps = pe.randn(*self._extended_shape(sample_shape), dtype=self.loc.dtype)
        return self.loc + eps * self.scale

    def log_prob(self, value):
        value = self._value(value, "log_prob")
        return -((value - self.loc) ** 2) / (2 * self.variance) - self.scale.log() \
            - _LOG_SQRT_2PI

    def cdf(self, value):
        from ..nn.functional import erf
        value = self._value(value, "cdf")
        return 0.5 * (1 + erf((value - self.loc) / (self.scale * math.sqrt(2))))

    def entropy(self):
        return 0.5 + _LOG_SQRT_2PI + self.scale.log()
