"""torch.nn.utils.parametrizations: weight_norm and spectral_norm in the parametrization form
(parametrize.py), the form torch recommends over the hook-based nn.utils.weight_norm /
spectral_norm. The state_dict keys are torch's: `parametrizations.weight.original0` (g) /
`original1` (v) for weight_norm, `parametrizations.weight.original` and the `_u` / `_v` power
iteration buffers for spectral_norm. orthogonal is not implemented (it raises, naming what to
use instead)."""
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


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    raise NotImplementedError(
        "[parametrizations.orthogonal] is not implemented; register your own map with "
        "nn.utils.parametrize.register_parametrization (e.g. a skew-symmetric parametrization "
        "followed by pe.matrix_exp, as in the parametrizations tutorial)")
