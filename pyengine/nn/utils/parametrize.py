"""torch.nn.utils.parametrize: a module's tensor computed from an unconstrained original.

`register_parametrization(module, "weight", P())` moves the parameter (or buffer) to
`module.parametrizations.weight.original` and turns `module.weight` into a property of a
subclass made for that module (`ParametrizedLinear`), whose getter returns P(original), so
the layer's forward is unchanged and gradients reach `original`. Registering again on the same
name chains the parametrizations (ParametrizationList, applied in order). Assigning
`module.weight = X` stores right_inverse(X) (each parametrization's, in reverse order) in
`original`. Inside `with cached():` each parametrized tensor is computed once.

    >>> class Sym(pe.nn.Module):
    ...     def forward(self, X):
    ...         return X.triu() + X.triu(1).T
    >>> lin = register_parametrization(pe.nn.Linear(3, 3), "weight", Sym())
    >>> bool((lin.weight == lin.weight.T).all())
    True
"""
from collections.abc import Sequence
from contextlib import contextmanager

from ...autograd import no_grad
from ...tensor import Tensor
from ..layers.container import ModuleDict, ModuleList
from ..module import Module, Parameter

_cache_enabled = 0
_cache = {}


@contextmanager
def cached():
    """Within the block, each parametrized tensor is computed on first access and reused (one
    forward of the parametrization per tensor, however often the layer reads it)."""
    global _cache_enabled, _cache
    _cache_enabled += 1
    try:
        yield
    finally:
        _cache_enabled -= 1
        if not _cache_enabled:
            _cache = {}


def _register_parameter_or_buffer(module, name, value):
    if isinstance(value, Parameter):
        module.register_parameter(name, value)
    else:
        module.register_buffer(name, value)


def _set_original(op, original, value):
    """Make `original` hold `value` in place (PyTorch's Tensor.set_): the Parameter object an
    optimizer holds stays the same."""
    if not isinstance(value, Tensor):
        raise ValueError(f"[{op}] right_inverse must return a Tensor (or a sequence of Tensors), "
                         f"got {type(value).__name__}")
    if value.dtype != original.dtype:
        raise ValueError(f"[{op}] right_inverse may not change the dtype of the tensor: "
                         f"original {original.dtype}, right_inverse returned {value.dtype}")
    original._data = value.detach().clone()._data


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, applied in order to `original` (or, when the
    first right_inverse returns a sequence, to `original0`, `original1`, ...)."""

    def __init__(self, modules, original, unsafe=False):
        if len(modules) == 0:
            raise ValueError("[ParametrizationList] needs at least one parametrization")
        super().__init__(modules)
        self.unsafe = unsafe
        shape, dtype = tuple(original.shape), original.dtype
        new = original
        with no_grad():
            for module in reversed(list(self)):
                if hasattr(module, "right_inverse"):
                    new = module.right_inverse(new)
        if not isinstance(new, (Tensor, Sequence)):
            raise ValueError("[register_parametrization] right_inverse must return a Tensor "
                             f"or a sequence of Tensors, got {type(new).__name__}")
        self.is_tensor = isinstance(new, Tensor)
        self.ntensors = 1 if self.is_tensor else len(new)
        if self.is_tensor:
            if new is not original:
                _set_original("register_parametrization", original, new)
            _register_parameter_or_buffer(self, "original", original)
        else:
            for i, t in enumerate(new):
                if not isinstance(t, Tensor):
                    raise ValueError("[register_parametrization] right_inverse returned a "
                                     f"sequence holding a {type(t).__name__}, not Tensors")
                t = t.detach().clone()
                if isinstance(original, Parameter):
                    t = Parameter(t, original.requires_grad)
                _register_parameter_or_buffer(self, f"original{i}", t)
        if not self.unsafe:
            z = self()
            if not isinstance(z, Tensor):
                raise ValueError("[register_parametrization] a parametrization must return a "
                                 f"Tensor, got {type(z).__name__}")
            if z.dtype != dtype or tuple(z.shape) != shape:
                raise ValueError("[register_parametrization] the parametrization changes the "
                                 f"tensor's dtype / shape from {dtype} {shape} to {z.dtype} "
                                 f"{tuple(z.shape)} (pass unsafe=True to allow it)")

    def right_inverse(self, value):
        """Store the originals that give `value` (the setter of the parametrized tensor)."""
        with no_grad():
            for module in reversed(list(self)):
                if not hasattr(module, "right_inverse"):
                    raise RuntimeError(f"[parametrize] parametrization {type(module).__name__}"
                                       " does not implement right_inverse, so the "
                                       "parametrized tensor cannot be assigned")
                value = module.right_inverse(value)
            if self.is_tensor:
                if not self.unsafe and tuple(value.shape) != tuple(self.original.shape):
                    raise ValueError(f"[parametrize] right_inverse returned shape "
                                     f"{tuple(value.shape)}, the original has "
                                     f"{tuple(self.original.shape)}")
                _set_original("parametrize", self.original, value)
            else:
                if not isinstance(value, Sequence) or len(value) != self.ntensors:
                    raise ValueError(f"[parametrize] right_inverse must return a sequence "
                                     f"of {self.ntensors} tensors")
                for i, t in enumerate(value):
                    _set_original("parametrize", getattr(self, f"original{i}"), t)

    def forward(self):
        mods = list(self)
        if self.is_tensor:
            x = mods[0](self.original)
        else:
            x = mods[0](*(getattr(self, f"original{i}") for i in range(self.ntensors)))
        for m in mods[1:]:
            x = m(x)
        return x



def _inject_new_class(module):
    """Give `module` a class of its own (Parametrized<Class>) to hang the properties on."""
    cls = module.__class__

    def __getstate__(self):
        raise RuntimeError("[parametrize] serialization of parametrized modules is only "
                           "supported through state_dict()")

    def __deepcopy__(self, memo):  # copy.deepcopy still works (pickling does not)
        import copy
        if id(self) in memo:
            return memo[id(self)]
        replica = self.__class__.__new__(self.__class__)
        memo[id(self)] = replica
        replica.__dict__.update(copy.deepcopy(self.__dict__, memo))
        return replica

    attrs = {"__getstate__": __getstate__, "_parametrized_base": cls}
    if not hasattr(cls, "__deepcopy__"):
        attrs["__deepcopy__"] = __deepcopy__
    module.__class__ = type(f"Parametrized{cls.__name__}", (cls,), attrs)


def _inject_property(module, tensor_name):
    def get_parametrized(self):
        plist = self.parametrizations[tensor_name]
        if _cache_enabled:
            key = (id(self), tensor_name)
            if key not in _cache:
                _cache[key] = plist()
            return _cache[key]
        return plist()

    def set_original(self, value):
        self.parametrizations[tensor_name].right_inverse(value)

    setattr(module.__class__, tensor_name, property(get_parametrized, set_original))


def is_parametrized(module, tensor_name=None):
    """Whether `module` has any parametrization (or one on `tensor_name`)."""
    plists = module.__dict__.get("_modules", {}).get("parametrizations")
    if not isinstance(plists, ModuleDict):
        return False
    return len(plists) > 0 if tensor_name is None else tensor_name in plists


def register_parametrization(module, tensor_name, parametrization, *, unsafe=False):
    """Make `module.<tensor_name>` = parametrization(original); see the module docstring."""
    if not isinstance(module, Module) or not isinstance(parametrization, Module):
        raise TypeError("[register_parametrization] module and parametrization must be "
                        f"pe.nn.Modules, got {type(module).__name__} and "
                        f"{type(parametrization).__name__}")
    parametrization.train(module.training)
    if is_parametrized(module, tensor_name):
        plist = module.parametrizations[tensor_name]
        if not unsafe:
            y = getattr(module, tensor_name)
            x = parametrization(y)
            if not isinstance(x, Tensor) or x.dtype != y.dtype or x.shape != y.shape:
                raise ValueError(f"[register_parametrization] {type(parametrization).__name__} "
                                 f"must return a Tensor of the dtype / shape of '{tensor_name}' "
                                 f"({y.dtype} {tuple(y.shape)}) (pass unsafe=True to allow it)")
        plist.append(parametrization)
        plist.unsafe |= unsafe
    elif tensor_name in module._parameters or tensor_name in module._buffers:
        original = getattr(module, tensor_name)
        if original is None:
            raise ValueError(f"[register_parametrization] '{tensor_name}' of "
                             f"{type(module).__name__} is None")
        plist = ParametrizationList([parametrization], original, unsafe=unsafe)
        delattr(module, tensor_name)
        if not is_parametrized(module):
            _inject_new_class(module)
            module.parametrizations = ModuleDict()
        _inject_property(module, tensor_name)
        module.parametrizations[tensor_name] = plist
    else:
        raise ValueError(f"[register_parametrization] module {type(module).__name__} has no "
                         f"parameter, buffer or parametrized element named '{tensor_name}'")
    return module


def remove_parametrizations(module, tensor_name, leave_parametrized=True):
    """Undo register_parametrization: `tensor_name` becomes a plain parameter / buffer again,
    holding the parametrized value (leave_parametrized=True) or the original."""
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"[remove_parametrizations] module {type(module).__name__} has no "
                         f"parametrization on '{tensor_name}'")
    plist = module.parametrizations[tensor_name]
    if plist.is_tensor:
        original = plist.original
        if leave_parametrized:
            with no_grad():
                t = getattr(module, tensor_name)
            _set_original("remove_parametrizations", original, t)
    else:
        if not leave_parametrized:
            raise ValueError("[remove_parametrizations] cannot leave unparametrized "
                             "(leave_parametrized=False) a tensor parametrized in terms of a "
                             "sequence of tensors")
        t = getattr(module, tensor_name)
        original = Parameter(t.detach().clone(), True) if t.requires_grad else t.detach()
    delattr(module.__class__, tensor_name)
    del module.parametrizations[tensor_name]
    _register_parameter_or_buffer(module, tensor_name, original)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        module.__class__ = module.__class__._parametrized_base
    return module


def type_before_parametrizations(module):
    """The module's class before register_parametrization gave it a subclass."""
    return module.__class__._parametrized_base if is_parametrized(module) else type(module)
