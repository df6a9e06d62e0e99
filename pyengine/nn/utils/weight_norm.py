"""nn.utils.weight_norm / remove_weight_norm (Salimans & Kingma 2016), PyTorch's hook form:
weight = g * v / ||v||, the norm over every axis but `dim` (None: the whole tensor). The
parameters become weight_g (the norms) and weight_v (the direction), PyTorch's state_dict
keys; a forward pre-hook recomputes module.weight from them, so both learn."""


def _norm_except(v, dim):
    if dim is None:
        return (v * v).sum().sqrt()
    axes = tuple(a for a in range(v.ndim) if a != dim % v.ndim)
    return (v * v).sum(dim=axes, keepdim=True).sqrt() if axes else v.abs()


class _WeightNorm:
    def __init__(self, name, dim):
        self.name, self.dim = name, dim

    def compute(self, module):
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return v * (g / _norm_except(v, self.dim))

    def __call__(self, module, inputs):
        object.__setattr__(module, self.name, self.compute(module))


def weight_norm(module, name="weight", dim=0):
    from ..module import Module, Parameter
    if not isinstance(module, Module):
        raise TypeError(f"[weight_norm] expected a pe.nn.Module, got {type(module).__name__}")
    weight = module._parameters.get(name)
    if not isinstance(weight, Parameter):
        raise ValueError(f"[weight_norm] {type(module).__name__} has no parameter '{name}' (or "
                         "it is weight-normalised already)")
    if dim is not None and not -weight.ndim <= dim < weight.ndim:
        raise IndexError(f"[weight_norm] dim {dim} out of range for a {weight.ndim}-D weight")
    fn = _WeightNorm(name, dim)
    del module._parameters[name]
    module.register_parameter(name + "_g", Parameter(_norm_except(weight.detach(), dim)))
    module.register_parameter(name + "_v", Parameter(weight.detach().clone()))
    object.__setattr__(module, name, fn.compute(module))
    module.register_forward_pre_hook(fn)
    return module


def remove_weight_norm(module, name="weight"):
    from ...autograd import no_grad
    from ..module import Parameter
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, _WeightNorm) and hook.name == name:
            with no_grad():
                w = hook.compute(module)
            del module._forward_pre_hooks[key]
            del module._parameters[name + "_g"], module._parameters[name + "_v"]
            module.__dict__.pop(name, None)
            module.register_parameter(name, Parameter(w.detach()))
            return module
    raise ValueError(f"[remove_weight_norm] weight_norm of '{name}' not found in "
                     f"{type(module).__name__}")
