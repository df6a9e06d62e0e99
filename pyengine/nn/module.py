"""Module and Parameter: the PyTorch-style containers every layer is built from.

A Module keeps its parameters, buffers and submodules in three ordered dicts, filled by
``__setattr__`` (``self.fc = Linear(...)`` registers a submodule, ``self.w = Parameter(...)`` a
parameter). One walker, ``_named_members``, serves parameters(), named_parameters(), buffers() and
state_dict(), so their orders and key names always agree (``0.weight``, ``fc.bias`` ...).
"""
from collections import OrderedDict, namedtuple

import numpy as np

from .. import dtypes as _dt
from ..autograd import no_grad
from ..backend import CPU, Device, get_backend, is_ordinal
from ..tensor import Tensor


class Parameter(Tensor):
    """A Tensor that is a module's learnable weight: requires_grad=True by default, and assigning
    it to a Module attribute registers it. Shares memory with `data` (no copy), like PyTorch.

    >>> p = pe.nn.Parameter(pe.zeros(3))
    >>> p.requires_grad
    True
    """
    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            arr, device = np.empty((0,), _dt.default_float_np()), None
        elif isinstance(data, Tensor):
            arr, device = data._data, data.device
        else:
            arr, device = Tensor._from_data(data)._data, None
        self._data, self.grad, self._node, self._retain_grad = arr, None, None, False
        self._device = Tensor._wrap(arr, device).device
        self.requires_grad = False
        self.requires_grad_(requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + Tensor.__repr__(self)

    def __reduce_ex__(self, protocol):
        return (Parameter, (Tensor._from_data(self._data), self.requires_grad))


_IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Module:
    """Base class of layers and models. Subclasses set attributes in ``__init__`` (after calling
    ``super().__init__()``) and define ``forward``; call the module, not ``forward``.

    >>> class Net(pe.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc = pe.nn.Linear(4, 2)
    ...     def forward(self, x):
    ...         return self.fc(x).relu()
    >>> [name for name, _ in Net().named_parameters()]
    ['fc.weight', 'fc.bias']
    """

    def __init__(self):
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent_buffers"] = set()
        d["_modules"] = OrderedDict()
        d["_forward_hooks"] = OrderedDict()
        d["_forward_pre_hooks"] = OrderedDict()
        d["_backward_hooks"] = OrderedDict()
        d["_backward_pre_hooks"] = OrderedDict()

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"[{type(self).__name__}] Module subclasses must define forward()")

    def __call__(self, *args, **kwargs):
        for hook in self._forward_pre_hooks.values():
            res = hook(self, args)
            if res is not None:
                args = res if isinstance(res, tuple) else (res,)
        d = self.__dict__
        if d.get("_backward_hooks") or d.get("_backward_pre_hooks"):
            from .backward_hooks import call_with_backward_hooks
            out = call_with_backward_hooks(self, self.forward, args, kwargs)
        else:
            out = self.forward(*args, **kwargs)
        for hook in self._forward_hooks.values():
            res = hook(self, args, out)
            if res is not None:
                out = res
        return out

    # ---- registration ------------------------------------------------------------------
    def _check_name(self, name, kind):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
        if name == "" or "." in name:
            raise KeyError(f"{kind} name can't be empty or contain \".\", got {name!r}")

    def register_parameter(self, name, param):
        """Add a parameter (or None, a declared-but-absent parameter such as a missing bias)."""
        self._check_name(name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                            "(pe.nn.Parameter or None required)")
        self._discard(name, keep="_parameters")
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Add a tensor that is state but not a parameter (BatchNorm's running_mean). Persistent
        buffers are part of state_dict()."""
        self._check_name(name, "buffer")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                            "(pe.Tensor or None required)")
        self._discard(name, keep="_buffers")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name, module):
        self._check_name(name, "module")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._discard(name, keep="_modules")
        self._modules[name] = module

    register_module = add_module

    def _discard(self, name, keep):
        """Forget `name` everywhere but in store `keep` (re-assigning keeps its position)."""
        d = self.__dict__
        d.pop(name, None)
        for store in ("_parameters", "_buffers", "_modules"):
            if store != keep:
                d[store].pop(name, None)
        d["_non_persistent_buffers"].discard(name)

    def __setattr__(self, name, value):
        if isinstance(getattr(type(self), name, None), property):
            # a property of the class (a parametrized tensor's setter, nn.utils.parametrize)
            object.__setattr__(self, name, value)
            return
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                "(pe.nn.Parameter or None expected)")
            params[name] = None
        elif isinstance(value, Module):
            self.add_module(name, value)
        elif params is not None and name in d["_modules"]:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module '{name}' "
                                "(pe.nn.Module or None expected)")
            d["_modules"][name] = None
        elif params is not None and name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                "(pe.Tensor or None expected)")
            d["_buffers"][name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if name in d.get(store, ()):
                del d[store][name]
                d["_non_persistent_buffers"].discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers)
                      | set(self._modules))

    # ---- the walker ----------------------------------------------------------------------
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """(name, module) for this module and every descendant, depth first, each once."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is None:
                continue
            yield from m.named_modules(memo, prefix + ("." if prefix else "") + name,
                                       remove_duplicate)

    def _named_members(self, members, prefix="", recurse=True, remove_duplicate=True):
        """(qualified name, tensor) from `members(module)` over the module tree: the one walker
        behind named_parameters, named_buffers and state_dict."""
        seen = set()
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse \
            else [(prefix, self)]
        for mod_prefix, mod in mods:
            for name, t in members(mod):
                if t is None or (remove_duplicate and id(t) in seen):
                    continue
                seen.add(id(t))
                yield mod_prefix + ("." if mod_prefix else "") + name, t

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        return self._named_members(lambda m: m._parameters.items(), prefix, recurse,
                                   remove_duplicate)

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        return self._named_members(lambda m: m._buffers.items(), prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def named_children(self):
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self):
        for _, m in self.named_children():
            yield m

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def get_submodule(self, target):
        mod = self
        for part in target.split(".") if target else ():
            if part not in mod._modules or mod._modules[part] is None:
                raise AttributeError(f"{type(mod).__name__} has no submodule '{part}' "
                                     f"(looking up '{target}')")
            mod = mod._modules[part]
        return mod

    def get_parameter(self, target):
        mod_path, _, name = target.rpartition(".")
        mod = self.get_submodule(mod_path)
        if name not in mod._parameters:
            raise AttributeError(f"{type(mod).__name__} has no parameter '{name}'")
        return mod._parameters[name]

    # ---- state -----------------------------------------------------------------------------
    def _state_members(self):
        yield from self._parameters.items()
        for name, b in self._buffers.items():
            if name not in self._non_persistent_buffers:
                yield name, b

    def state_dict(self, destination=None, prefix="", keep_vars=False):
        """Parameters and persistent buffers by qualified name (``0.weight``, ``bn.running_mean``),
        sharing memory with the module (detached unless keep_vars)."""
        out = OrderedDict() if destination is None else destination
        for name, t in self._named_members(Module._state_members, prefix, remove_duplicate=False):
            out[name] = t if keep_vars else t.detach()
        return out

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy values from `state_dict` (Tensors or arrays) into this module's parameters and
        buffers, in place. With strict=True, missing or unexpected keys are an error; a shape
        mismatch always is. Returns (missing_keys, unexpected_keys).

        assign=True (torch's): instead of copying, the module takes the state_dict's tensors
        themselves (sharing their memory and dtype); a parameter becomes a new Parameter over
        the loaded tensor with the old one's requires_grad, so an optimizer must be built after
        the load. Parameters tied under several names stay tied (the last key wins, as copying)."""
        if not isinstance(assign, bool):
            raise TypeError(f"[load_state_dict] assign must be a bool, got {assign!r}")
        if not hasattr(state_dict, "keys"):
            raise TypeError(f"[load_state_dict] expected a dict-like, got {type(state_dict).__name__}")
        own = OrderedDict(self._named_members(Module._state_members, remove_duplicate=False))
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        for k, t in own.items():
            if k not in state_dict:
                continue
            v = state_dict[k]
            arr = v._data if isinstance(v, Tensor) else np.asarray(v)
            if arr.shape != t._data.shape:
                errors.append(f"size mismatch for {k}: copying a param with shape {arr.shape} "
                              f"from checkpoint, the shape in current model is {t._data.shape}.")
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in unexpected) + ".")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in missing) + ".")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(errors))
        if assign:
            self._assign_state(state_dict)
            return _IncompatibleKeys(missing, unexpected)
        with no_grad():
            for k, t in own.items():
                if k in state_dict:
                    v = state_dict[k]
                    t.copy_(v._data if isinstance(v, Tensor) else np.asarray(v))
        return _IncompatibleKeys(missing, unexpected)

    def _assign_state(self, state_dict):
        """load_state_dict(assign=True): every module slot named in state_dict takes the loaded
        tensor; slots that held one object (tied weights) all take the same new object."""
        slots = []  # (key, owning module, member dict, attribute name, old tensor)
        for prefix, mod in self.named_modules(prefix="", remove_duplicate=False):
            for store, is_param in ((mod._parameters, True), (mod._buffers, False)):
                for name, t in store.items():
                    key = prefix + ("." if prefix else "") + name
                    if t is None or key not in state_dict or (
                            not is_param and name in mod._non_persistent_buffers):
                        continue
                    slots.append((key, store, name, t, is_param))
        replacement = {}  # id(old tensor) -> new tensor; the last key naming it wins
        for key, _, _, old, is_param in slots:
            v = state_dict[key]
            loaded = v if isinstance(v, Tensor) else Tensor._wrap(np.asarray(v))
            replacement[id(old)] = (Parameter(loaded.detach(), requires_grad=old.requires_grad)
                                    if is_param else loaded)
        for _, store, name, old, _ in slots:
            store[name] = replacement[id(old)]

    # ---- modes and bulk changes --------------------------------------------------------------
    def train(self, mode=True):
        if not isinstance(mode, bool):
            raise ValueError(f"[train] mode is expected to be a bool, got {mode!r}")
        for m in self.modules():
            m.training = mode
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad._data[...] = 0

    def compile(self, *args, **kwargs):
        """torch's Module.compile(**torch.compile options): compiles the module's calls in
        place. pyengine's torch.compile runs the eager module (runtime_settings.compile), so
        this checks the options as torch.compile does and returns None."""
        from ..runtime_settings import compile as _compile
        _compile(self, *args, **kwargs)

    def apply(self, fn):
        """Call fn(module) on every submodule (children first), then on self; returns self."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def to(self, *args, dtype=None, device=None, memory_format=None):
        """Cast floating-point parameters and buffers to `dtype` (in place, keeping the same
        Parameter objects so optimizers still hold them) and check `device`. memory_format
        (channels_last ...) relays the 4-D (channels_last_3d: 5-D) ones, in place too."""
        for a in args:
            if isinstance(a, (str, Device)) or is_ordinal(a):
                device = a
            else:
                dtype = a
        if device is not None and Device(device) != CPU:
            get_backend(Device(device))  # a clear error when the device is unavailable
        if dtype is not None:
            npd = _dt.as_dtype(dtype).np
            if npd.kind != "f":
                raise TypeError(f"[to] nn.Module.to only accepts floating point dtypes, got {dtype}")
            for t in self._all_tensors():
                if t._data.dtype.kind == "f" and t._data.dtype != npd:
                    t._data = t._data.astype(npd)
                    if t.grad is not None:
                        t.grad = Tensor._wrap(t.grad._data.astype(npd), t.device)
        if memory_format is not None:
            from .. import memory_formats as _mf
            fmt = _mf.check(memory_format, "to")
            rank = {_mf.channels_last: 4, _mf.channels_last_3d: 5}.get(fmt)
            for t in self._all_tensors():
                if fmt is _mf.contiguous_format or t.ndim == rank:
                    t._data = _mf.laid_out(t._data, fmt, "to")
        return self

    def _all_tensors(self):
        for _, t in self._named_members(lambda m: list(m._parameters.items())
                                        + list(m._buffers.items())):
            yield t

    def float(self):
        return self.to(_dt.float32)

    def double(self):
        return self.to(_dt.float64)

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    def share_memory(self):
        """Moves every parameter and buffer into shared memory (Tensor.share_memory_), so child
        processes (pe.multiprocessing) that receive this module train the same weights:
        Hogwild. Gradients are not shared (each process allocates its own)."""
        for t in self._all_tensors():
            if t is not None:
                t.share_memory_()
        return self

    # ---- hooks -------------------------------------------------------------------------------
    def register_forward_hook(self, hook):
        """hook(module, args, output) runs after forward; a non-None return replaces output."""
        return _HookHandle(self._forward_hooks, hook)

    def register_forward_pre_hook(self, hook):
        """hook(module, args) runs before forward; a non-None return replaces args."""
        return _HookHandle(self._forward_pre_hooks, hook)

    def register_full_backward_hook(self, hook):
        """hook(module, grad_input, grad_output) runs when the gradients w.r.t. the module's
        tensor inputs are computed; a returned tuple replaces grad_input
        (pyengine/nn/backward_hooks.py)."""
        return _HookHandle(self.__dict__.setdefault("_backward_hooks", OrderedDict()), hook)

    def register_full_backward_pre_hook(self, hook):
        """hook(module, grad_output) runs when the gradients w.r.t. the module's outputs are
        computed; a returned tuple replaces grad_output."""
        return _HookHandle(self.__dict__.setdefault("_backward_pre_hooks", OrderedDict()), hook)

    def register_backward_hook(self, hook):
        """torch's deprecated form: registered as a full backward hook, whose grad_input holds the
        gradients w.r.t. the module's inputs (torch's old hook gave those of the last op inside
        the module, e.g. also weight and bias for a Conv2d), with a warning saying so."""
        import warnings
        warnings.warn("register_backward_hook is deprecated (as in torch); pyengine registers it "
                      "as register_full_backward_hook: grad_input holds the gradients w.r.t. the "
                      "module's tensor inputs", FutureWarning, stacklevel=2)
        return self.register_full_backward_hook(hook)

    # ---- printing ---------------------------------------------------------------------------
    def extra_repr(self):
        return ""

    def _get_name(self):
        return type(self).__name__

    def __repr__(self):
        # PyTorch's layout: a one-line extra_repr stays inline; children go one per line.
        extra = self.extra_repr().split("\n") if self.extra_repr() else []
        children = [f"({name}): " + repr(m).replace("\n", "\n  ")
                    for name, m in self._modules.items()]
        lines = extra + children
        if len(extra) == 1 and not children:
            return f"{self._get_name()}({extra[0]})"
        return self._get_name() + "(" + ("\n  " + "\n  ".join(lines) + "\n" if lines else "") + ")"


class _HookHandle:
    _next_id = 0

    def __init__(self, store, hook):
        self.store, self.id = store, _HookHandle._next_id
        _HookHandle._next_id += 1
        store[self.id] = hook

    def remove(self):
        self.store.pop(self.id, None)
