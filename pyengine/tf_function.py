"""tf.function for programs run as `import pyengine as tf` (keras-io's custom training-loop
guide decorates its train / test steps with `@tf.function`).

pyengine has no graph mode: every op runs eagerly, so a decorated function computes what the
undecorated one computes, and TensorFlow's tracing controls (autograph, jit_compile,
reduce_retracing and their old experimental_* names) select only how TensorFlow would compile
the same computation; they are checked for type and kept as attributes. What does change
results is `input_signature`: calls are checked against it as TensorFlow binds them (number of
arguments, rank, fixed dimensions, a Tensor's dtype), and Python / NumPy arguments become
Tensors of the spec's dtype. Options that describe graph-function internals
(experimental_implements, experimental_attributes, ...) raise rather than being ignored."""
import functools

import numpy as np

from .data.structure import TensorSpec
from .tensor import Tensor

_ALIASES = {"experimental_relax_shapes": "reduce_retracing", "experimental_compile": "jit_compile"}


def function(func=None, input_signature=None, autograph=True, jit_compile=None,
             reduce_retracing=False, **kwargs):
    """`@tf.function`, `@tf.function(input_signature=[...])` or `tf.function(fn)`."""
    options = {"autograph": autograph, "jit_compile": jit_compile,
               "reduce_retracing": reduce_retracing}
    for old, new in _ALIASES.items():
        if old in kwargs:
            options[new] = kwargs.pop(old)
    if kwargs:
        raise TypeError(f"[tf.function] unsupported arguments {sorted(kwargs)}: pyengine runs "
                        "functions eagerly and has no graph functions for them to configure")
    for name, value in options.items():
        if not (value is None or isinstance(value, bool)) or \
                (value is None and name != "jit_compile"):
            raise TypeError(f"[tf.function] {name} must be a bool, received {value!r}")
    if input_signature is not None:
        input_signature = _check_signature(input_signature)

    def decorate(fn):
        if not callable(fn):
            raise TypeError(f"[tf.function] expected a callable, received {fn!r}")
        return Function(fn, input_signature, options)
    return decorate if func is None else decorate(func)


def _check_signature(signature):
    if not isinstance(signature, (list, tuple)):
        raise TypeError("[tf.function] input_signature must be a list or tuple of "
                        f"tf.TensorSpec, received {type(signature).__name__}")

    def walk(s):
        if isinstance(s, (list, tuple)):
            return type(s)(walk(v) for v in s)
        if isinstance(s, dict):
            return {k: walk(v) for k, v in s.items()}
        if not isinstance(s, TensorSpec):
            raise TypeError(f"[tf.function] input_signature entries must be tf.TensorSpec, "
                            f"received {s!r}")
        return s
    return tuple(walk(s) for s in signature)


class Function:
    """The decorated callable. A descriptor, so `@tf.function` on a method binds `self` (which
    TensorFlow's input_signature does not count)."""

    def __init__(self, fn, input_signature, options):
        functools.update_wrapper(self, fn)
        self.python_function = fn
        self.input_signature = input_signature
        self.function_options = dict(options)

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return Function(self.python_function.__get__(obj, objtype), self.input_signature,
                        self.function_options)

    def __call__(self, *args, **kwargs):
        if self.input_signature is not None:
            args = self._bind(args, kwargs)
            kwargs = {}
        return self.python_function(*args, **kwargs)

    def _bind(self, args, kwargs):
        sig = self.input_signature
        if kwargs:  # keyword arguments fill the remaining positions, in the function's order
            import inspect
            try:
                bound = inspect.signature(self.python_function).bind(*args, **kwargs)
            except TypeError as e:
                raise TypeError(f"[tf.function {self.__name__}] {e}") from None
            args = tuple(bound.arguments.values())
        if len(args) != len(sig):
            raise TypeError(f"[tf.function {self.__name__}] the input_signature has {len(sig)} "
                            f"entries, received {len(args)} arguments")
        return tuple(_conform(a, s, f"{self.__name__} argument {i}")
                     for i, (a, s) in enumerate(zip(args, sig)))


def _conform(value, spec, where):
    if isinstance(spec, (list, tuple)):
        if not isinstance(value, (list, tuple)) or len(value) != len(spec):
            raise TypeError(f"[tf.function {where}] expected a sequence of {len(spec)} "
                            f"matching {spec}, received {value!r}")
        return type(spec)(_conform(v, s, where) for v, s in zip(value, spec))
    if isinstance(spec, dict):
        if not isinstance(value, dict) or set(value) != set(spec):
            raise TypeError(f"[tf.function {where}] expected a dict with keys {sorted(spec)}")
        return {k: _conform(value[k], s, where) for k, s in spec.items()}
    if isinstance(value, Tensor):
        if value.dtype != spec.dtype:
            raise TypeError(f"[tf.function {where}] expected dtype {spec.dtype} ({spec}), "
                            f"received a Tensor of dtype {value.dtype}")
        t = value
    else:
        from .creation import tensor
        t = tensor(np.asarray(value), dtype=spec.dtype)
    if not spec.matches(t):
        raise TypeError(f"[tf.function {where}] shape {tuple(t.shape)} is not compatible with "
                        f"{spec}")
    return t
