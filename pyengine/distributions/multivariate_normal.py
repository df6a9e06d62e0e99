"""MultivariateNormal(loc, covariance_matrix=None, precision_matrix=None, scale_tril=None): the
Gaussian over vectors of size k, kept as its Cholesky factor L (covariance = L L^T).
log_prob, entropy and rsample are differentiable w.r.t. loc and L, and through the Cholesky
to covariance_matrix; precision_matrix is inverted on NumPy (no gradient)."""
import math

import numpy as np

from . import constraints
from ..linalg import cholesky, solve_triangular
from .distribution import Distribution
from .utils import as_param, _float_dtype


def _diag(m):
    import pyengine as pe
    return (m * pe.eye(m.shape[-1], dtype=m.dtype)).sum(-1)


class MultivariateNormal(Distribution):
    arg_constraints = {"loc": constraints.real_vector,
                       "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite,
                       "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args=None):
        given = {n: v for n, v in (("covariance_matrix", covariance_matrix),
                                   ("precision_matrix", precision_matrix),
                                   ("scale_tril", scale_tril)) if v is not None}
        if len(given) != 1:
            raise ValueError("[MultivariateNormal] give exactly one of covariance_matrix, "
                             f"precision_matrix or scale_tril, got {sorted(given) or 'none'}")
        (name, matrix), = given.items()
        dtype = _float_dtype([loc, matrix])
        loc = as_param(loc, dtype, "loc", "MultivariateNormal")
        matrix = as_param(matrix, dtype, name, "MultivariateNormal")
        if loc.ndim < 1:
            raise ValueError("[MultivariateNormal] loc must be at least one-dimensional, got a "
                             "scalar")
        if matrix.ndim < 2 or matrix.shape[-1] != matrix.shape[-2] \
                or matrix.shape[-1] != loc.shape[-1]:
            raise ValueError(f"[MultivariateNormal] {name} must be square (..., k, k) with k = "
                             f"loc.shape[-1] = {loc.shape[-1]}, got shape {tuple(matrix.shape)}")
        batch = np.broadcast_shapes(tuple(loc.shape[:-1]), tuple(matrix.shape[:-2]))
        k = loc.shape[-1]
        self.loc = loc.expand(*(batch + (k,)))
        self.__dict__[name] = matrix.expand(*(batch + (k, k)))
        self._given = name
        super().__init__(batch, (k,), validate_args)  # checks the matrix before factoring it
        if name == "scale_tril":
            self._unbroadcasted_scale_tril = matrix
        elif name == "covariance_matrix":
            self._unbroadcasted_scale_tril = cholesky(matrix)
        else:
            import pyengine as pe
            cov = np.linalg.inv(matrix._data.astype(np.float64))
            self._unbroadcasted_scale_tril = pe.tensor(np.linalg.cholesky(cov), dtype=dtype)
        self.__dict__["scale_tril"] = self._unbroadcasted_scale_tril.expand(*(batch + (k, k)))

    def _repr_params(self):
        return ["loc", self._given]

    def _expand_params(self):
        return {"loc": 1, "scale_tril": 2, self._given: 2, "_unbroadcasted_scale_tril": 2}

    @property
    def covariance_matrix(self):
        if "covariance_matrix" in self.__dict__:
            return self.__dict__["covariance_matrix"]
        L = self.scale_tril
        return L @ L.transpose(-1, -2)

    @property
    def precision_matrix(self):
        import pyengine as pe
        if "precision_matrix" in self.__dict__:
            return self.__dict__["precision_matrix"]
        eye = pe.eye(self._event_shape[0], dtype=self.loc.dtype)
        inv = solve_triangular(self.scale_tril, eye.expand(*self.scale_tril.shape), upper=False)
        return inv.transpose(-1, -2) @ inv

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return (self.scale_tril ** 2).sum(-1)

    def rsample(self, sample_shape=()):
        import pyengine as pe
        shape = self._extended_shape(sample_shape)
        eps = pe.randn(*shape, dtype=self.loc.dtype)
        return self.loc + (self._unbroadcasted_scale_tril @ eps.unsqueeze(-1)).squeeze(-1)

    def _half_log_det(self):
        return _diag(self._unbroadcasted_scale_tril).log().sum(-1)

    def log_prob(self, value):
        value = self._value(value, "log_prob")
        k = self._event_shape[0]
        diff = (value - self.loc).unsqueeze(-1)  # (..., k, 1)
        maha = (solve_triangular(self._unbroadcasted_scale_tril, diff, upper=False) ** 2) \
            .sum(-1).sum(-1)
        return -0.5 * (k * math.log(2 * math.pi) + maha) - self._half_log_det()

    def entropy(self):
        k = self._event_shape[0]
        h = 0.5 * k * (1.0 + math.log(2 * math.pi)) + self._half_log_det()
        return h.expand(*self._batch_shape) if tuple(h.shape) != self._batch_shape else h
