"""Categorical(probs=None, logits=None): an index in [0, K) drawn with the probabilities along
the last axis (normalised, as PyTorch does). batch_shape is the parameter's shape without it."""
import numpy as np

from . import constraints
from .distribution import Distribution
from .utils import as_param, finfo, probs_to_logits, _float_dtype


class Categorical(Distribution):
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        name = type(self).__name__
        if (probs is None) == (logits is None):
            raise ValueError(f"[{name}] give exactly one of probs or logits, got "
                             f"probs={probs!r} and logits={logits!r}")
        given = "probs" if probs is not None else "logits"
        param = as_param(probs if probs is not None else logits,
                         _float_dtype([probs if probs is not None else logits]), given, name)
        if param.ndim < 1:
            raise ValueError(f"[{name}] {given} must have at least one axis (the categories), "
                             f"got a scalar")
        if param.shape[-1] == 0:
            raise ValueError(f"[{name}] {given} must have at least one category")
        if probs is not None:
            p = param._data
            validate = Distribution._validate_args if validate_args is None else validate_args
            if validate and (np.any(p < 0) or np.any(np.isnan(p)) or np.any(p.sum(-1) <= 0)):
                raise ValueError(f"[{name}] probs must be non-negative with a positive sum "
                                 f"along the last axis, got {_show(param)}")
            self.probs = param / param.sum(-1, keepdim=True)
            self.__dict__["logits"] = probs_to_logits(self.probs)
        else:
            # Normalised log-probabilities: logits - logsumexp(logits).
            self.logits = param - param.logsumexp(-1, keepdims=True)
            self.__dict__["probs"] = self.logits.softmax(-1)
        self._given = given
        self._num_events = param.shape[-1]
        super().__init__(param.shape[:-1], (), validate_args)

    def _check_params(self):
        # probs were checked before normalising (the normalised float32 sum may sit a few
        # ulps from 1 for many categories); logits only need to be non-NaN.
        if np.any(np.isnan(self.logits._data)):
            raise ValueError(f"[{type(self).__name__}] logits must not be NaN, got "
                             f"{_show(self.logits)}")

    def _repr_params(self):
        return [self._given]

    def _expand_params(self):
        return {"probs": 1, "logits": 1}

    @property
    def param(self):
        return self.__dict__[self._given]

    @property
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @property
    def mean(self):
        return _nan(self._batch_shape, self.probs)  # undefined for labels, as in PyTorch

    @property
    def variance(self):
        return _nan(self._batch_shape, self.probs)

    @property
    def mode(self):
        return self.probs.argmax(-1)

    def sample(self, sample_shape=()):
        """int64 indices of shape sample_shape + batch_shape, by inverse CDF on NumPy with
        uniforms from pyengine's generator (so pe.manual_seed repeats them)."""
        import pyengine as pe
        from ..random import get_generator
        shape = self._extended_shape(sample_shape)
        k = self._num_events
        cdf = np.cumsum(self.probs._data.astype(np.float64).reshape(-1, k), axis=-1)
        cdf /= cdf[:, -1:]  # the last edge is exactly 1, so an index never reaches K
        n = cdf.shape[0]
        u = get_generator().random(shape[:len(shape) - len(self._batch_shape)] + (n,))
        index = (u[..., None] >= cdf).sum(-1)
        return pe.tensor(index.reshape(shape).astype(np.int64))

    def log_prob(self, value):
        import pyengine as pe
        value = self._value(value, "log_prob")
        idx = np.asarray(value._data).astype(np.int64)
        shape = np.broadcast_shapes(idx.shape, self._batch_shape)
        k = self._num_events
        table = self.logits.expand(*(shape + (k,))).reshape(-1, k)
        flat = np.broadcast_to(idx, shape).reshape(-1)
        if np.any((flat < 0) | (flat >= k)):  # without validation, still no silent wrap-around
            raise ValueError(f"[{type(self).__name__}.log_prob] value must be in [0, {k}), got "
                             f"{_show(value)}")
        rows = pe.tensor(np.arange(flat.size, dtype=np.int64))
        return table[rows, pe.tensor(flat)].reshape(*shape)

    def entropy(self):
        # 0 * log 0 counts as 0: logits of -inf are clamped to the most negative float first.
        logits = self.logits.clamp(min=float(finfo(self.logits.dtype).min))
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand=True):
        import pyengine as pe
        values = pe.tensor(np.arange(self._num_events, dtype=np.int64)
                           .reshape((-1,) + (1,) * len(self._batch_shape)))
        return values.expand(*((self._num_events,) + self._batch_shape)) if expand else values


def _nan(shape, like):
    import pyengine as pe
    return pe.full(shape, float("nan"), dtype=like.dtype)


def _show(value):
    from .distribution import _show as show
    return show(value)
