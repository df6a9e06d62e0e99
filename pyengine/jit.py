"""torch.jit for programs that use TorchScript as an optimisation: ``@torch.jit.script`` fused
functions and modules, ``torch.jit.trace`` + ``freeze`` for inference, ``@torch.jit.ignore`` /
``unused`` / ``export``, ``is_scripting()``.

pyengine runs eagerly, and a scripted or traced program computes what its eager form computes
(torch's contract), so ``script`` returns its argument and ``trace`` runs the function once on
the example inputs (as torch does, so shape errors surface there) and returns it. What TorchScript
adds beyond speed is refused, not faked: ``save`` / ``load`` (serialized TorchScript programs),
``.graph`` / ``.code`` of a compiled object (absent), and tracing's frozen control flow (a traced
pyengine module keeps following Python's branches). ``enable_onednn_fusion`` records the flag
(pyengine has no graph fuser; fusion never changes results)."""
import warnings

__all__ = ["script", "trace", "trace_module", "freeze", "optimize_for_inference", "ignore",
           "unused", "export", "is_scripting", "is_tracing", "save", "load",
           "enable_onednn_fusion", "onednn_fusion_enabled", "ScriptModule", "ScriptFunction",
           "Final", "annotate", "fork", "wait"]

_state = {"onednn_fusion": False, "tracing": False}


def _module_class():
    from .nn import Module
    return Module


class ScriptModule:
    """TorchScript's compiled-module type. script / trace return the eager module, which is not
    an instance, so `isinstance(m, torch.jit.ScriptModule)` checks take their eager branch."""


class ScriptFunction:
    """TorchScript's compiled-function type (script returns the Python function itself)."""


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """TorchScript compilation: returns `obj` (a module, function or class) unchanged."""
    if optimize is not None:
        warnings.warn("`optimize` is deprecated and has no effect.", FutureWarning, stacklevel=2)
    if example_inputs is not None and not isinstance(example_inputs, (list, dict)):
        raise TypeError("[jit.script] example_inputs must be a list of argument tuples or a "
                        f"dict, got {type(example_inputs).__name__}")
    if not callable(obj) and not isinstance(obj, type):
        raise RuntimeError(f"[jit.script] cannot script an object of type "
                           f"{type(obj).__name__}: expected a module, function or class")
    return obj


def trace(func, example_inputs=None, optimize=None, check_trace=True, check_inputs=None,
          check_tolerance=1e-5, strict=True, _force_outplace=False, _module_class=None,
          _compilation_unit=None, example_kwarg_inputs=None, _store_inputs=True):
    """Run `func` once on the example inputs (a tensor or a tuple of them, or
    example_kwarg_inputs) and return it: the eager function is the traced program."""
    if not callable(func):
        raise TypeError(f"[jit.trace] expected a module or a function, got "
                        f"{type(func).__name__}")
    if example_inputs is None and example_kwarg_inputs is None:
        raise RuntimeError("[jit.trace] needs example_inputs or example_kwarg_inputs")
    if check_inputs is not None:
        raise NotImplementedError("[jit.trace] check_inputs (re-running the trace on other "
                                  "inputs to compare) is not supported: pyengine does not "
                                  "build a separate traced program")
    if optimize is not None:
        warnings.warn("`optimize` is deprecated and has no effect.", FutureWarning, stacklevel=2)
    from .autograd import no_grad
    from .tensor import Tensor
    args = (example_inputs,) if isinstance(example_inputs, Tensor) else \
        tuple(example_inputs) if example_inputs is not None else ()
    kwargs = dict(example_kwarg_inputs or {})
    _state["tracing"] = True
    try:
        with no_grad():
            func(*args, **kwargs)
    finally:
        _state["tracing"] = False
    return func


def trace_module(mod, inputs, **kwargs):
    """torch.jit.trace_module: trace each method named in `inputs` ({name: example_inputs})."""
    if not isinstance(inputs, dict):
        raise TypeError("[jit.trace_module] inputs must be a dict {method name: example inputs}")
    for name, example in inputs.items():
        trace(getattr(mod, name), example, **kwargs)
    return mod


def freeze(mod, preserved_attrs=None, optimize_numerics=True):
    """torch.jit.freeze: the module's weights and attributes inlined as constants, for inference.
    The module must be in eval mode, as torch requires. Returns a new module holding a snapshot
    (a copy) of `mod`: training `mod` further does not change it, it has no parameters or
    buffers of its own, it runs forward (and the methods / attributes named in
    preserved_attrs), and any other attribute (a submodule, an unpreserved method) is gone,
    an AttributeError as in torch."""
    module_cls = _module_class()
    if not isinstance(mod, module_cls):
        raise TypeError(f"[jit.freeze] expected a scripted or traced module, got "
                        f"{type(mod).__name__}")
    if mod.training:
        raise RuntimeError("Freezing is currently only implemented for modules in eval mode. "
                           "Please call .eval() on your module before freezing.")
    preserved = list(preserved_attrs or ())
    for attr in preserved:
        if not isinstance(attr, str):
            raise TypeError(f"[jit.freeze] preserved_attrs must be names, got {attr!r}")
        if not hasattr(mod, attr):
            raise RuntimeError(f"[jit.freeze] preserved attribute '{attr}' does not exist")
    return _FrozenModule(mod, preserved)


def _frozen_module_class():
    module_cls = _module_class()

    class FrozenModule(module_cls):
        """What freeze returns: forward of a constant snapshot of the frozen module."""

        def __init__(self, mod, preserved):
            import copy
            super().__init__()
            snapshot = copy.deepcopy(mod)
            for t in list(snapshot.parameters()) + list(snapshot.buffers()):
                t.requires_grad_(False)
            object.__setattr__(self, "_snapshot", snapshot)  # not registered: no parameters
            object.__setattr__(self, "_preserved", frozenset(preserved))
            object.__setattr__(self, "_name", type(mod).__name__)
            object.__setattr__(self, "training", False)

        def forward(self, *args, **kwargs):
            return self._snapshot(*args, **kwargs)

        def train(self, mode=True):
            # the flag follows (a parent's .train() reaches it), the computation stays the
            # eval-mode one that was frozen, as torch's frozen graph
            object.__setattr__(self, "training", bool(mode))
            return self

        def __getattr__(self, name):
            if name in self.__dict__.get("_preserved", ()):
                return getattr(self.__dict__["_snapshot"], name)
            try:
                return super().__getattr__(name)
            except AttributeError:
                raise AttributeError(f"[jit.freeze] frozen '{self.__dict__.get('_name')}' has no "
                                     f"attribute '{name}': freezing inlined it (keep a method or "
                                     f"attribute with preserved_attrs=[{name!r}])") from None

        def extra_repr(self):
            return f"frozen {self._name}"
    return FrozenModule


def _FrozenModule(mod, preserved):
    global _FROZEN
    if _FROZEN is None:
        _FROZEN = _frozen_module_class()
    return _FROZEN(mod, preserved)


_FROZEN = None


def optimize_for_inference(mod, other_methods=None):
    """freeze (eval mode required) plus inference rewrites, which pyengine does not need."""
    return freeze(mod, other_methods)


def ignore(drop=False, **kwargs):
    """Leave a function to Python: usable as @ignore and @ignore(drop=True)."""
    if callable(drop):
        return drop
    return lambda fn: fn


def unused(fn):
    return fn


def export(fn):
    return fn


def is_scripting():
    """False: pyengine code always runs as Python."""
    return False


def is_tracing():
    return _state["tracing"]


def annotate(the_type, the_value):
    return the_value


class _FinalType:
    def __getitem__(self, item):
        return item


Final = _FinalType()  # torch.jit.Final[int] in class annotations


def fork(func, *args, **kwargs):
    """Runs func now (pyengine has no TorchScript interpreter threads); wait() returns it."""
    return _Future(func(*args, **kwargs))


class _Future:
    def __init__(self, value):
        self._value = value

    def wait(self):
        return self._value


def wait(future):
    return future.wait()


def save(m, f, _extra_files=None):
    raise NotImplementedError("[jit.save] TorchScript serialization (a program that runs without "
                              "its Python code) is not supported; save the state_dict with "
                              "pe.save(model.state_dict(), path) and rebuild the module")


def load(f, map_location=None, _extra_files=None, _restore_shapes=False):
    raise NotImplementedError("[jit.load] TorchScript archives cannot be loaded: pyengine has no "
                              "TorchScript interpreter; load a state_dict into the Python module")


def enable_onednn_fusion(enabled):
    if enabled not in (True, False):
        raise TypeError(f"[jit.enable_onednn_fusion] expected a bool, got {enabled!r}")
    _state["onednn_fusion"] = enabled


def onednn_fusion_enabled():
    return _state["onednn_fusion"]
