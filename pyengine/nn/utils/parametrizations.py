"""torch.nn.utils.parametrizations: weight_norm and spectral_norm in the parametrization form
(parametrize.py), the form torch recommends over the hook-based nn.utils.weight_norm /
spectral_norm. The state_dict keys are torch's: `parametrizations.weight.original0` (g) /
`original1` (v) for weight_norm, `parametrizations.weight.original` and the `_u` / `_v` power
iteration buffers for spectral_norm; orthogonal (matrix_exp, Cayley or Householder maps, with
or without the trivialization `base` buffer)."""
import numpy as np

from ...autograd import no_grad
from ...tensor import Tensor
from ..module import Module
from . import parametrize
from .weight_norm import _norm_except


class _WeightNorm(Module):
    """weight = v * g / ||v||, the norm over every axis but `dim` (dim None or -1: the whole
    tensor, as torch's _weight_norm)."""

    def __init__(self, dim=0):
        super().__init__()
        self.dim = None if dim is None or dim == -1 else dim

    def forward(self, weight_g, weight_v):
        return weight_v * (weight_g / _norm_except(weight_v, self.dim))

    def right_inverse(self, weight):
        return _norm_except(weight, self.dim), weight


def weight_norm(module, name="weight", dim=0):
    """Reparametrize module.<name> as g * v / ||v|| (original0 = g, original1 = v)."""
    w = getattr(module, name, None)
    if not isinstance(w, Tensor):
        raise ValueError(f"[parametrizations.weight_norm] {type(module).__name__} has no "
                         f"parameter or buffer '{name}'")
    if dim is not None and dim != -1 and not 0 <= dim < w.ndim:
        raise IndexError(f"[parametrizations.weight_norm] dim {dim} out of range for a "
                         f"{w.ndim}-D weight")
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


def _normalize(v, eps):
    return v / max(float((v * v).sum().sqrt().item()), eps)


class _SpectralNorm(Module):
    """weight / sigma, sigma estimated by power iteration on the buffers _u / _v (updated in
    training mode only, without gradient; torch's order: u then v)."""

    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        from ...random import get_generator
        ndim = weight.ndim
        if not -ndim <= dim < max(ndim, 1):
            raise IndexError(f"[parametrizations.spectral_norm] dim {dim} out of range for a "
                             f"{ndim}-D weight")
        if not isinstance(n_power_iterations, int) or n_power_iterations < 1:
            raise ValueError("[parametrizations.spectral_norm] n_power_iterations must be a "
                             f"positive int, got {n_power_iterations!r}")
        self.dim = dim % ndim if ndim else 0
        self.eps, self.n_power_iterations = eps, n_power_iterations
        if ndim > 1:
            mat = self._matrix(weight.detach())
            h, w = mat.shape
            rng = get_generator()
            dtype = weight._data.dtype
            self.register_buffer("_u", _normalize(Tensor._from_data(
                rng.standard_normal(h).astype(dtype)), eps))
            self.register_buffer("_v", _normalize(Tensor._from_data(
                rng.standard_normal(w).astype(dtype)), eps))
            self._power_method(mat, 15)

    def _matrix(self, w):
        if self.dim != 0:
            w = w.movedim(self.dim, 0)
        return w.reshape(w.shape[0], -1)

    def _power_method(self, mat, n):
        with no_grad():
            m = mat.detach()
            for _ in range(n):
                self._u._data[...] = _normalize(m @ self._v, self.eps)._data
                self._v._data[...] = _normalize(m.t() @ self._u, self.eps)._data

    def forward(self, weight):
        if weight.ndim == 1:
            return weight / max(float((weight * weight).sum().sqrt().item()), self.eps)
        mat = self._matrix(weight)
        if self.training:
            self._power_method(mat, self.n_power_iterations)
        u, v = self._u.clone(), self._v.clone()
        sigma = (u * (mat @ v)).sum()
        return weight / sigma

    def right_inverse(self, value):
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Reparametrize module.<name> as weight / sigma(weight) (SNGAN), torch's parametrization."""
    w = getattr(module, name, None)
    if not isinstance(w, Tensor):
        raise ValueError(f"[parametrizations.spectral_norm] {type(module).__name__} has no "
                         f"parameter or buffer '{name}'")
    if dim is None:  # the output axis: 1 for transposed convolutions
        dim = 1 if "ConvTranspose" in type(module).__name__ else 0
    parametrize.register_parametrization(
        module, name, _SpectralNorm(w, n_power_iterations, dim, eps))
    return module


def _make_orthogonal(a):
    """The Q of A = QR with R's diagonal made non-negative (torch's _make_orthogonal), NumPy."""
    q, r = np.linalg.qr(a)
    d = np.sign(np.diagonal(r, axis1=-2, axis2=-1))
    return q * d[..., None, :]


def _is_orthogonal(q):
    k = q.shape[-1]
    eps = 10.0 * q.shape[-2] * np.finfo(q.dtype).eps
    return np.allclose(np.swapaxes(q, -1, -2) @ q, np.eye(k), atol=eps, rtol=1e-5)


_MAPS = ("matrix_exp", "cayley", "householder")


class _Orthogonal(Module):
    """torch's _Orthogonal: X -> an orthogonal matrix (matrix_exp or Cayley map of the skew part
    of tril(X), or the Householder product of X's reflectors), left-multiplied by the `base`
    buffer with use_trivialization=True (then the original starts at -I and the base holds the
    current orthogonal matrix)."""

    def __init__(self, weight, orthogonal_map, use_trivialization=True):
        super().__init__()
        if not weight.is_floating_point():
            raise TypeError(f"[parametrizations.orthogonal] expected a floating-point weight, "
                            f"got {weight.dtype}")
        self.shape, self.orthogonal_map = tuple(weight.shape), orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X):
        from ... import cat, matrix_exp, zeros
        from ...linalg import householder_product, solve
        n, k = X.shape[-2], X.shape[-1]
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        if self.orthogonal_map in ("matrix_exp", "cayley"):
            X = X.tril()
            if n != k:
                X = cat([X, zeros(*(tuple(X.shape[:-2]) + (n, n - k)), dtype=X.dtype)], dim=-1)
            A = X - X.mT
            if self.orthogonal_map == "matrix_exp":
                Q = matrix_exp(A)
            else:
                from ... import eye
                Id = eye(n, dtype=A.dtype)
                Q = solve(Id - 0.5 * A, Id + 0.5 * A)
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = householder_product(A, tau)
            sign = Tensor._from_data(np.diagonal(X.detach().numpy(), axis1=-2, axis2=-1)
                                     .astype(np.int64).astype(X.detach().numpy().dtype))
            Q = Q * sign.unsqueeze(-2)
        base = self._buffers.get("base")
        if base is not None:
            Q = base @ Q
        if transposed:
            Q = Q.mT
        return Q

    def right_inverse(self, Q):
        if tuple(Q.shape) != self.shape:
            raise ValueError(f"[parametrizations.orthogonal] expected a matrix of shape "
                             f"{self.shape}, got {tuple(Q.shape)}")
        q = Q.detach().numpy()
        n, k = q.shape[-2], q.shape[-1]
        transpose = n < k
        if transpose:
            q = np.swapaxes(q, -1, -2)
            n, k = k, n
        if "base" not in self._buffers:
            if self.orthogonal_map in ("matrix_exp", "cayley"):
                raise NotImplementedError("[parametrizations.orthogonal] assigning to the "
                                          "matrix_exp or cayley parametrization needs "
                                          "use_trivialization=True")
            if q.ndim != 2:
                raise NotImplementedError("[parametrizations.orthogonal] householder without "
                                          "trivialization: batched weights are not supported")
            h, tau = np.linalg.qr(q, mode="raw")
            a = h.T.copy()
            d = np.sign(np.diagonal(a)).copy()
            d[tau == 0.0] *= -1
            np.fill_diagonal(a, d)
            a = a.astype(q.dtype)
            return Tensor._from_data(np.swapaxes(a, -1, -2) if transpose else a)
        if n == k:
            base = q.copy() if _is_orthogonal(q) else _make_orthogonal(q)
        else:
            from ...random import get_generator
            extra = get_generator().standard_normal(q.shape[:-2] + (n, n - k)).astype(q.dtype)
            base = _make_orthogonal(np.concatenate([q, extra], axis=-1))
        self._buffers["base"] = Tensor._from_data(base.astype(q.dtype))
        neg_id = np.zeros(Q.shape, q.dtype)
        idx = np.arange(min(neg_id.shape[-2:]))
        neg_id[..., idx, idx] = -1.0
        return Tensor._from_data(neg_id)


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    """Constrain module.<name> (a matrix or a batch of matrices) to be orthogonal: Q^T Q = I
    (or Q Q^T = I for wide matrices), torch's parametrization. orthogonal_map: "matrix_exp"
    (default for square), "cayley", or "householder" (default otherwise)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"[parametrizations.orthogonal] {type(module).__name__} has no "
                         f"parameter or buffer '{name}'")
    if weight.ndim < 2:
        raise ValueError(f"[parametrizations.orthogonal] expected a matrix or batch of "
                         f"matrices, got a tensor of {weight.ndim} dimensions")
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.shape[-2] == weight.shape[-1] else "householder"
    if orthogonal_map not in _MAPS:
        raise ValueError(f"[parametrizations.orthogonal] orthogonal_map has to be one of "
                         f"{_MAPS}, got {orthogonal_map!r}")
    orth = _Orthogonal(weight, orthogonal_map, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module
