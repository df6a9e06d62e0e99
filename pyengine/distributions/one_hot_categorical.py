"""OneHotCategorical(probs=None, logits=None): Categorical with its samples as one-hot vectors
(event_shape (K,)). It wraps a Categorical and translates values both ways."""
import numpy as np

from . import constraints
from .categorical import Categorical
from .distribution import Distribution


class OneHotCategorical(Distribution):
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.one_hot
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits, validate_args)
        self._given = self._categorical._given
        k = self._categorical._num_events
        super().__init__(self._categorical.batch_shape, (k,), validate_args=False)
        if validate_args is not None:
            self._validate_args = bool(validate_args)

    def _repr_params(self):
        return []

    def __repr__(self):
        return repr(self._categorical).replace("Categorical", "OneHotCategorical", 1)

    def expand(self, batch_shape, _instance=None):
        new = type(self).__new__(type(self))
        new.__dict__.update(self.__dict__)
        new._categorical = self._categorical.expand(batch_shape)
        Distribution.__init__(new, new._categorical.batch_shape, self._event_shape, False)
        new._validate_args = self._validate_args
        return new

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def param(self):
        return self._categorical.param

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        import pyengine as pe
        return pe.one_hot(self._categorical.mode, self._event_shape[0]).to(dtype=self.probs.dtype)

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        import pyengine as pe
        index = self._categorical.sample(sample_shape)
        k = self._event_shape[0]
        return pe.tensor(np.eye(k, dtype=self.probs._data.dtype)[index._data])

    def log_prob(self, value):
        value = self._value(value, "log_prob")
        return self._categorical.log_prob(value.argmax(-1))

    def entropy(self):
        return self._categorical.entropy()

    def enumerate_support(self, expand=True):
        import pyengine as pe
        k = self._event_shape[0]
        values = pe.tensor(np.eye(k, dtype=self.probs._data.dtype)
                           .reshape((k,) + (1,) * len(self._batch_shape) + (k,)))
        return values.expand(*((k,) + self._batch_shape + (k,))) if expand else values
