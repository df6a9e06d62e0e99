"""Bernoulli(probs=None, logits=None): 1 with probability probs, else 0. log_prob and entropy
use the logits (binary cross-entropy with logits), which stays finite at probs 0 and 1."""
import numpy as np

from . import constraints
from .distribution import Distribution
from .utils import broadcast_all, logits_to_probs, probs_to_logits


def _softplus(x):
    from ..nn.functional import softplus
    return softplus(x)


class Bernoulli(Distribution):
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("[Bernoulli] give exactly one of probs or logits, got "
                             f"probs={probs!r} and logits={logits!r}")
        if probs is not None:
            (self.probs,) = broadcast_all([probs], ["probs"], "Bernoulli")
            param = self.probs
        else:
            (self.logits,) = broadcast_all([logits], ["logits"], "Bernoulli")
            param = self.logits
        super().__init__(param.shape, (), validate_args)  # validates what was given
        # The other parameterisation, derived (differentiably) once validation passed.
        if probs is not None:
            self.__dict__["logits"] = probs_to_logits(self.probs, is_binary=True)
        else:
            self.__dict__["probs"] = logits_to_probs(self.logits, is_binary=True)
        self._given = "probs" if probs is not None else "logits"

    def _expand_params(self):
        return {"probs": 0, "logits": 0}

    def _repr_params(self):
        return [self._given]

    @property
    def param(self):
        return self.__dict__[self._given]

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        import pyengine as pe
        mode = (self.probs > 0.5).to(dtype=self.probs.dtype)
        return pe.where(self.probs == 0.5, float("nan"), mode)  # no unique mode at 1/2

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        import pyengine as pe
        shape = self._extended_shape(sample_shape)
        with pe.no_grad():
            u = pe.rand(*shape, dtype=self.probs.dtype)
            return (u < self.probs.detach()).to(dtype=self.probs.dtype)

    def log_prob(self, value):
        value = self._value(value, "log_prob")
        if value.dtype != self.logits.dtype:
            value = value.to(dtype=self.logits.dtype)
        # log p(x) = x * logits - softplus(logits)  (= -BCE with logits)
        return value * self.logits - _softplus(self.logits)

    def entropy(self):
        return _softplus(self.logits) - self.probs * self.logits

    def enumerate_support(self, expand=True):
        import pyengine as pe
        values = pe.tensor(np.arange(2).reshape((2,) + (1,) * len(self._batch_shape)),
                           dtype=self.probs.dtype)
        return values.expand(*((2,) + self._batch_shape)) if expand else values
