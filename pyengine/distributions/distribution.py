"""Distribution: the base class. Subclasses set `arg_constraints`, `support`, `has_rsample` and
implement rsample or sample, log_prob, entropy, mean, variance (PyTorch's torch.distributions
layout). Shapes: sample_shape + batch_shape + event_shape."""
import numpy as np

from ..tensor import Tensor
from .utils import as_shape


class Distribution:
    has_rsample = False
    has_enumerate_support = False
    arg_constraints = {}
    support = None
    # PyTorch validates by default (torch.distributions.Distribution._validate_args = __debug__).
    _validate_args = True

    @staticmethod
    def set_default_validate_args(value):
        if value not in (True, False):
            raise ValueError(f"[Distribution.set_default_validate_args] value must be True or "
                             f"False, got {value!r}")
        Distribution._validate_args = value

    def __init__(self, batch_shape=(), event_shape=(), validate_args=None):
        self._batch_shape = tuple(batch_shape)
        self._event_shape = tuple(event_shape)
        if validate_args is not None:
            self._validate_args = bool(validate_args)
        if self._validate_args:
            self._check_params()

    def _check_params(self):
        """Raise ValueError naming the distribution and the first parameter outside its
        constraint."""
        for name, constraint in self.arg_constraints.items():
            if name not in self.__dict__:
                continue  # e.g. Bernoulli's logits when it was given probs
            value = self.__dict__[name]
            ok = constraint.check(value)
            if not np.all(ok):
                raise ValueError(f"[{type(self).__name__}] {name} must be {constraint.name}, "
                                 f"got {_show(value)}")

    # --- shapes ---------------------------------------------------------------------------
    @property
    def batch_shape(self):
        return self._batch_shape

    @property
    def event_shape(self):
        return self._event_shape

    def _extended_shape(self, sample_shape=()):
        return as_shape(sample_shape, f"{type(self).__name__}.sample") + self._batch_shape \
            + self._event_shape

    def expand(self, batch_shape, _instance=None):
        """This distribution with its parameters broadcast to `batch_shape` (no copy)."""
        batch_shape = as_shape(batch_shape, f"{type(self).__name__}.expand")
        new = type(self).__new__(type(self))
        for name, event_dim in self._expand_params().items():
            value = self.__dict__[name]
            tail = tuple(value.shape[value.ndim - event_dim:]) if event_dim else ()
            try:
                new.__dict__[name] = value.expand(*(batch_shape + tail))
            except ValueError:
                raise ValueError(f"[{type(self).__name__}.expand] cannot expand batch_shape "
                                 f"{self._batch_shape} to {batch_shape}") from None
        for key, value in self.__dict__.items():
            new.__dict__.setdefault(key, value)  # non-parameter state (flags, counts)
        Distribution.__init__(new, batch_shape, self._event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _expand_params(self):
        """{parameter attribute: number of event axes it has}; used by expand."""
        raise NotImplementedError(f"[{type(self).__name__}.expand] is not implemented")

    # --- sampling --------------------------------------------------------------------------
    def sample(self, sample_shape=()):
        """A sample of shape sample_shape + batch_shape + event_shape; no gradient."""
        from ..autograd import no_grad
        with no_grad():
            return self.rsample(sample_shape).detach()

    def rsample(self, sample_shape=()):
        raise NotImplementedError(f"[{type(self).__name__}.rsample] this distribution is not "
                                  "reparameterizable (has_rsample is False); use sample()")

    def sample_n(self, n):
        return self.sample((n,))

    # --- statistics ------------------------------------------------------------------------
    def log_prob(self, value):
        raise NotImplementedError(f"[{type(self).__name__}.log_prob] is not implemented")

    def entropy(self):
        raise NotImplementedError(f"[{type(self).__name__}.entropy] is not implemented")

    def cdf(self, value):
        raise NotImplementedError(f"[{type(self).__name__}.cdf] is not implemented")

    def enumerate_support(self, expand=True):
        raise NotImplementedError(f"[{type(self).__name__}.enumerate_support] is not "
                                  "implemented")

    @property
    def mean(self):
        raise NotImplementedError(f"[{type(self).__name__}.mean] is not implemented")

    @property
    def mode(self):
        raise NotImplementedError(f"[{type(self).__name__}.mode] is not implemented")

    @property
    def variance(self):
        raise NotImplementedError(f"[{type(self).__name__}.variance] is not implemented")

    @property
    def stddev(self):
        return self.variance.sqrt()

    def perplexity(self):
        return self.entropy().exp()

    # --- validation of values --------------------------------------------------------------
    def _value(self, value, op):
        """`value` as a Tensor (of the parameters' dtype when it is a float), checked against
        the support and the batch/event shapes when validate_args is on."""
        import pyengine as pe
        if not isinstance(value, Tensor):
            value = pe.tensor(np.asarray(value), dtype=self._dtype()
                              if np.asarray(value).dtype.kind == "f" else None)
        if not self._validate_args:
            return value
        name = f"{type(self).__name__}.{op}"
        event = self._event_shape
        if tuple(value.shape[value.ndim - len(event):] if event else ()) != event:
            raise ValueError(f"[{name}] value's last axes must be the event_shape {event}, got "
                             f"shape {tuple(value.shape)}")
        try:
            np.broadcast_shapes(tuple(value.shape), self._batch_shape + event)
        except ValueError:
            raise ValueError(f"[{name}] value of shape {tuple(value.shape)} does not broadcast "
                             f"with batch_shape + event_shape {self._batch_shape + event}") \
                from None
        support = self.support
        if support is not None and not np.all(support.check(value)):
            raise ValueError(f"[{name}] value must be within the support ({support.name}), got "
                             f"{_show(value)}")
        return value

    def _dtype(self):
        import pyengine as pe
        for v in self.__dict__.values():
            if isinstance(v, Tensor) and v._data.dtype.kind == "f":
                return v.dtype
        return pe.float32

    def _repr_params(self):
        return [n for n in self.arg_constraints if n in self.__dict__]

    def __repr__(self):
        params = ", ".join(f"{n}: {_brief(self.__dict__[n])}" for n in self._repr_params())
        return f"{type(self).__name__}({params})"


def _brief(value):
    """A parameter in a repr: its value if it has one element, else its shape (as PyTorch)."""
    if isinstance(value, Tensor):
        return repr(float(value._data)) if value._data.size == 1 and value.ndim == 0 \
            else f"shape {tuple(value.shape)}"
    return repr(value)


def _show(value):
    v = np.asarray(value._data if isinstance(value, Tensor) else value)
    # One line, at most a few numbers: the message is about which parameter, not its dump.
    return " ".join(np.array2string(v, threshold=8, precision=4).split()) if v.ndim \
        else repr(v.item())

