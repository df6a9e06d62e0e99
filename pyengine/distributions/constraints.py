"""Constraints: which values a parameter or a sample may take. `check(x)` returns a NumPy bool
array over the elements (event dimensions folded away); `name` is what error messages print."""
import numpy as np


def _np(x):
    return np.asarray(x._data if hasattr(x, "_data") else x)


class Constraint:
    name = "any value"
    is_discrete = False
    event_dim = 0

    def check(self, value):
        return np.ones(_np(value).shape, dtype=bool)

    def __repr__(self):
        return f"{type(self).__name__.lstrip('_')}()"


class _Real(Constraint):
    name = "real (not NaN)"

    def check(self, value):
        v = _np(value)
        return v == v


class _GreaterThan(Constraint):
    def __init__(self, lower_bound):
        self.lower_bound = lower_bound
        self.name = "positive (> 0)" if lower_bound == 0 else f"greater than {lower_bound}"

    def check(self, value):
        return _np(value) > self.lower_bound


class _Interval(Constraint):
    """[low, high]; `half_open` makes it [low, high)."""

    def __init__(self, low, high, half_open=False):
        self.low, self.high, self.half_open = low, high, half_open
        self.name = f"in [{low}, {high}" + (")" if half_open else "]")

    def check(self, value):
        v, lo, hi = _np(value), _np(self.low), _np(self.high)
        return (v >= lo) & ((v < hi) if self.half_open else (v <= hi))


class _Boolean(Constraint):
    name = "0 or 1"
    is_discrete = True

    def check(self, value):
        v = _np(value)
        return (v == 0) | (v == 1)


class _IntegerInterval(Constraint):
    is_discrete = True

    def __init__(self, low, high):
        self.low, self.high = low, high
        self.name = f"an integer in [{low}, {high}]"

    def check(self, value):
        v = _np(value)
        return (v % 1 == 0) & (v >= self.low) & (v <= self.high)


class _Simplex(Constraint):
    name = "non-negative and summing to 1 along the last axis"
    event_dim = 1

    def check(self, value):
        v = _np(value)
        return np.all(v >= 0, axis=-1) & (np.abs(v.sum(-1) - 1) < 1e-6)


class _OneHot(Constraint):
    name = "one-hot along the last axis"
    is_discrete = True
    event_dim = 1

    def check(self, value):
        v = _np(value)
        return np.all((v == 0) | (v == 1), axis=-1) & (v.sum(-1) == 1)


class _Independent(Constraint):
    """`base` applied elementwise, with the last `ndims` axes folded into one event."""

    def __init__(self, base, ndims):
        self.base, self.ndims = base, ndims
        self.event_dim = base.event_dim + ndims
        self.is_discrete = base.is_discrete
        self.name = f"{base.name} (over the last {ndims} axes)"

    def check(self, value):
        ok = self.base.check(value)
        return ok.reshape(ok.shape[:ok.ndim - self.ndims] + (-1,)).all(-1) if self.ndims else ok


class _LowerCholesky(Constraint):
    name = "lower triangular with a positive diagonal"
    event_dim = 2

    def check(self, value):
        v = _np(value)
        tril = np.all(np.triu(v, 1) == 0, axis=(-2, -1))
        return tril & np.all(np.diagonal(v, axis1=-2, axis2=-1) > 0, axis=-1)


class _PositiveDefinite(Constraint):
    name = "symmetric positive definite"
    event_dim = 2

    def check(self, value):
        v = _np(value).astype(np.float64)
        sym = np.all(np.isclose(v, np.swapaxes(v, -1, -2), atol=1e-6), axis=(-2, -1))
        eig = np.linalg.eigvalsh(v) if v.size else np.zeros(v.shape[:-1])
        return sym & np.all(eig > 0, axis=-1)


real = _Real()
real_vector = _Independent(real, 1)
positive = _GreaterThan(0.0)
unit_interval = _Interval(0.0, 1.0)
boolean = _Boolean()
simplex = _Simplex()
one_hot = _OneHot()
lower_cholesky = _LowerCholesky()
positive_definite = _PositiveDefinite()
independent = _Independent
interval = _Interval
integer_interval = _IntegerInterval
greater_than = _GreaterThan


def half_open_interval(low, high):
    return _Interval(low, high, half_open=True)
