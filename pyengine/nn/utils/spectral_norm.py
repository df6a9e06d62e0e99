"""nn.utils.spectral_norm (Miyato et al. 2018, the SNGAN discriminator's normalisation) and
remove_spectral_norm, PyTorch's classic hook form: the layer's weight becomes weight_orig /
sigma, sigma the largest singular value of weight_orig (as a matrix: the `dim` axis by all the
others) estimated by power iteration. Each forward in training mode runs n_power_iterations
steps on the buffers weight_u / weight_v (no gradient through u and v), then sets module.weight
= weight_orig / (u . W v), through which the gradient flows to weight_orig. In eval mode u and
v stay as they are. state_dict keys as PyTorch's: weight_orig, weight_u, weight_v."""
from ...autograd import no_grad
from ...tensor import Tensor


def _normalize(v, eps):
    return v / max(float((v * v).sum().sqrt().item()), eps)


class _SpectralNorm:
    def __init__(self, name, n_power_iterations, dim, eps):
        self.name, self.n, self.dim, self.eps = name, n_power_iterations, dim, eps

    def matrix(self, w):
        if self.dim != 0:
            w = w.movedim(self.dim, 0)
        return w.reshape(w.shape[0], -1)

    def compute(self, module, do_power_iteration):
        w = getattr(module, self.name + "_orig")
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        mat = self.matrix(w)
        if do_power_iteration:
            with no_grad():
                m = mat.detach()
                for _ in range(self.n):
                    v._data[...] = _normalize(m.t() @ u, self.eps)._data
                    u._data[...] = _normalize(m @ v, self.eps)._data
        sigma = (u * (mat @ v)).sum()
        return w / sigma

    def __call__(self, module, inputs):
        object.__setattr__(module, self.name, self.compute(module, module.training))


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Applies spectral normalisation to module.<name> and returns the module."""
    from ..module import Module, Parameter
    from ...random import get_generator
    if not isinstance(n_power_iterations, int) or n_power_iterations < 1:
        raise ValueError(f"[spectral_norm] n_power_iterations must be a positive int, got "
                         f"{n_power_iterations!r}")
    if not isinstance(module, Module):
        raise TypeError(f"[spectral_norm] expected a pe.nn.Module, got {type(module).__name__}")
    weight = module._parameters.get(name)
    if not isinstance(weight, Parameter):
        raise ValueError(f"[spectral_norm] {type(module).__name__} has no parameter '{name}' "
                         "(or it is spectrally normalised already)")
    if dim is None:  # PyTorch: the output axis, which is 1 for transposed convolutions
        dim = 1 if "ConvTranspose" in type(module).__name__ else 0
    fn = _SpectralNorm(name, n_power_iterations, dim, eps)
    mat = fn.matrix(weight.detach())
    rng = get_generator()
    h, w = mat.shape
    dtype = weight._data.dtype
    u = _normalize(Tensor._from_data(rng.standard_normal(h).astype(dtype)), eps)
    v = _normalize(Tensor._from_data(rng.standard_normal(w).astype(dtype)), eps)
    del module._parameters[name]
    module.register_parameter(name + "_orig", weight)
    module.register_buffer(name + "_u", u)
    module.register_buffer(name + "_v", v)
    object.__setattr__(module, name, weight.detach())
    module.register_forward_pre_hook(fn)
    with no_grad():  # 15 power iterations to start (as torch's parametrizations form does)
        fn.n, n = 15, fn.n
        fn.compute(module, True)
        fn.n = n
    return module


def remove_spectral_norm(module, name="weight"):
    """Removes the hook; module.<name> becomes a Parameter holding weight_orig / sigma."""
    from ..module import Parameter
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, _SpectralNorm) and hook.name == name:
            with no_grad():
                w = hook.compute(module, False)
            del module._forward_pre_hooks[key]
            for suffix in ("_orig", "_u", "_v"):
                store = module._parameters if suffix == "_orig" else module._buffers
                del store[name + suffix]
            module.__dict__.pop(name, None)
            module.register_parameter(name, Parameter(w.detach()))
            return module
    raise ValueError(f"[remove_spectral_norm] spectral_norm of '{name}' not found in "
                     f"{type(module).__name__}")
