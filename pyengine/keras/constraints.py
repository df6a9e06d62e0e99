"""Weight constraints (Keras names, arguments and formulas): a projection the optimizer applies
to a variable after each update, `w <- constraint(w)`. Layers take them as `kernel_constraint=`,
`bias_constraint=`, `embeddings_constraint=`, ...; `Layer.add_weight(constraint=)` stores one on
the variable (`variable.constraint`, as Keras 3), and every keras optimizer's apply_gradients
applies it after the update (and after use_ema's average, Keras' order). Models with a
constraint do not take the fused Dense trainer (keras/fused.py).

MaxNorm is the max-norm regularisation of the dropout paper (Srivastava et al. 2014): each
column (axis=0 of a Dense kernel: the weights into one unit) is scaled down to norm max_value
when it exceeds it.

    >>> layers.Dense(64, kernel_constraint=keras.constraints.MaxNorm(3))
"""
import numpy as np

from ..autograd import no_grad
from ..tensor import Tensor
from .utils import resolve

_EPSILON = 1e-7  # keras.config.epsilon(), as Keras' norm constraints use


class Constraint:
    """Base class: __call__(w) returns the projected weight (a Tensor or array of w's shape).
    Subclasses written with keras.ops work too: they receive the variable."""

    def __call__(self, w):
        return w

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _norms(w, axis):
    """sqrt(sum(w^2)) over `axis`, kept for broadcasting (float32, as Keras computes)."""
    a = _array(w)
    return np.sqrt(np.sum(np.square(a), axis=axis, keepdims=True, dtype=np.float32)), a


def _array(w):
    return w._data if isinstance(w, Tensor) else np.asarray(w, np.float32)


def _axis(axis, owner):
    if isinstance(axis, (list, tuple)):
        if not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axis):
            raise ValueError(f"[{owner}] axis must be an int or a list of ints. Received: "
                             f"axis={axis!r}")
        return tuple(int(a) for a in axis)
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
        raise ValueError(f"[{owner}] axis must be an int or a list of ints. Received: "
                         f"axis={axis!r}")
    return int(axis)


def _number(v, what, owner, low=None):
    if not isinstance(v, (int, float, np.integer, np.floating)) or isinstance(v, bool) or \
            (low is not None and v < low):
        bound = "" if low is None else f" >= {low}"
        raise ValueError(f"[{owner}] {what} must be a number{bound}. Received: {what}={v!r}")
    return float(v)


class MaxNorm(Constraint):
    """w * clip(norm, 0, max_value) / (epsilon + norm), norms over `axis` (0: each column of a
    Dense kernel; [0, 1, 2] for a Conv2D kernel (rows, cols, in, out))."""

    def __init__(self, max_value=2, axis=0):
        self.max_value = _number(max_value, "max_value", "MaxNorm", 0)
        self.axis = _axis(axis, "MaxNorm")

    def __call__(self, w):
        norms, a = _norms(w, self.axis)
        desired = np.clip(norms, 0, self.max_value)
        return a * (desired / (np.float32(_EPSILON) + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Negative weights set to zero."""

    def __call__(self, w):
        a = _array(w)
        return a * (a >= 0).astype(a.dtype)


class UnitNorm(Constraint):
    """w / (epsilon + norm), norms over `axis`."""

    def __init__(self, axis=0):
        self.axis = _axis(axis, "UnitNorm")

    def __call__(self, w):
        norms, a = _norms(w, self.axis)
        return a / (np.float32(_EPSILON) + norms)

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Norms over `axis` moved into [min_value, max_value]: desired = rate * clip(norm, min,
    max) + (1 - rate) * norm; w * desired / (epsilon + norm). rate < 1 moves part of the way."""

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = _number(min_value, "min_value", "MinMaxNorm", 0)
        self.max_value = _number(max_value, "max_value", "MinMaxNorm", 0)
        if self.max_value < self.min_value:
            raise ValueError(f"[MinMaxNorm] max_value must be >= min_value. Received: "
                             f"min_value={min_value}, max_value={max_value}")
        self.rate = _number(rate, "rate", "MinMaxNorm", 0)
        self.axis = _axis(axis, "MinMaxNorm")

    def __call__(self, w):
        norms, a = _norms(w, self.axis)
        desired = self.rate * np.clip(norms, self.min_value, self.max_value) + \
            (1 - self.rate) * norms
        return a * (desired.astype(np.float32) / (np.float32(_EPSILON) + norms))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm
_CLASSES = {"MaxNorm": MaxNorm, "NonNeg": NonNeg, "UnitNorm": UnitNorm, "MinMaxNorm": MinMaxNorm}
_TABLE = {"max_norm": MaxNorm, "maxnorm": MaxNorm, "non_neg": NonNeg, "nonneg": NonNeg,
          "unit_norm": UnitNorm, "unitnorm": UnitNorm, "min_max_norm": MinMaxNorm,
          "minmaxnorm": MinMaxNorm}


def serialize(constraint):
    """{'class_name', 'config'} of a built-in constraint (what a saved layer config holds)."""
    return {"class_name": type(constraint).__name__, "config": constraint.get_config()}


def deserialize(config, custom_objects=None):
    name = config.get("class_name") if isinstance(config, dict) else None
    cls = (custom_objects or {}).get(name) or _CLASSES.get(name)
    if cls is None:
        raise ValueError(f"[constraints] unknown constraint {config!r}. Valid class names: "
                         f"{', '.join(sorted(_CLASSES))}")
    return cls.from_config(config.get("config") or {})


def get(identifier):
    """None, a name ('max_norm', 'non_neg', 'unit_norm', 'min_max_norm', or the class name),
    a {'class_name', 'config'} dict, a Constraint or any callable w -> w."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str) and identifier in _CLASSES:
        return _CLASSES[identifier]()
    return resolve("constraint", identifier, _TABLE, (Constraint,))


def apply(variables):
    """Each variable's constraint (Keras 3: variable.assign(variable.constraint(variable)))
    after an optimizer update. The result must keep the variable's shape."""
    for v in variables:
        c = getattr(v, "constraint", None)
        if c is None:
            continue
        with no_grad():
            out = c(v)
        a = out._data if isinstance(out, Tensor) else np.asarray(out)
        if a.shape != v._data.shape:
            raise ValueError(f"[constraints] the constraint of {getattr(v, 'path', 'a variable')} "
                             f"returned shape {a.shape}, the variable has {v._data.shape}")
        v._data[...] = a
