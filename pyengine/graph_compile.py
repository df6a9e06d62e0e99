"""tf.function and torch.compile for programs that use them (`@tf.function` on nearly every
TensorFlow 2 training step, `model = torch.compile(model)` in recent PyTorch examples).

pyengine has no graph compiler: it runs eagerly, and its kernels are already compiled C++
with the per-op Python overhead kept small (docs/tensor.md). So both return the function or
module they are given, running it as it is, which is what TensorFlow does under
`tf.config.run_functions_eagerly(True)` and PyTorch's torch.compile with backend="eager"; the
results are the same as compiled. What can be checked is checked: tf.function's
input_signature (each call's tensors must fit its TensorSpecs, as TensorFlow requires) and
torch.compile's mode / backend names. Python side effects inside a tf.function run on every
call here, where TensorFlow runs them only while tracing."""
import functools

import numpy as np

_TORCH_MODES = (None, "default", "reduce-overhead", "max-autotune",
                "max-autotune-no-cudagraphs")


def _check_signature(name, signature, args):
    from .data.structure import TensorSpec
    if len(args) != len(signature):
        raise TypeError(f"[function] {name} was given {len(args)} arguments; its "
                        f"input_signature has {len(signature)}")
    for i, (spec, a) in enumerate(zip(signature, args)):
        if not isinstance(spec, TensorSpec):
            continue
        arr = np.asarray(getattr(a, "_data", a))
        shape = tuple(spec.shape) if spec.shape is not None else None
        if shape is not None and (len(shape) != arr.ndim or any(
                s is not None and s != d for s, d in zip(shape, arr.shape))):
            raise ValueError(f"[function] argument {i} of {name} has shape {arr.shape}, which "
                             f"does not fit input_signature {shape}")
        want = getattr(spec, "dtype", None)
        if want is not None:
            from .dtypes import as_dtype
            if as_dtype(want).np != arr.dtype:
                raise TypeError(f"[function] argument {i} of {name} is {arr.dtype}; "
                                f"input_signature says {as_dtype(want).name}")


def function(func=None, input_signature=None, autograph=True, jit_compile=None,
             reduce_retracing=False):
    """tf.function: `func` run eagerly (see the module docstring), its calls checked against
    input_signature when one is given. Usable as @tf.function or @tf.function(...).
    autograph, jit_compile and reduce_retracing choose how TensorFlow traces and compiles,
    which does not change what the function computes; they are checked for type only."""
    for what, v in (("autograph", autograph), ("reduce_retracing", reduce_retracing)):
        if v not in (True, False):
            raise TypeError(f"[function] {what} must be True or False, got {v!r}")
    if jit_compile not in (None, True, False):
        raise TypeError(f"[function] jit_compile must be None, True or False, got "
                        f"{jit_compile!r}")
    def wrap(f):
        if input_signature is None:
            return f

        @functools.wraps(f)
        def checked(*args, **kwargs):
            _check_signature(getattr(f, "__name__", "function"), input_signature, args)
            return f(*args, **kwargs)
        return checked
    return wrap if func is None else wrap(func)


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None,
            options=None, disable=False):
    """torch.compile: the module or function itself, run eagerly (see the module docstring).
    Usable as torch.compile(model) or as a decorator."""
    if mode not in _TORCH_MODES:
        raise ValueError(f"[compile] mode must be one of {_TORCH_MODES}, got {mode!r}")
    if mode is not None and options is not None:
        raise RuntimeError("[compile] either mode or options can be specified, not both")
    if not (callable(backend) or isinstance(backend, str)):
        raise TypeError(f"[compile] backend must be a name or a callable, got {backend!r}")
    if model is None:
        return lambda m: m
    if not callable(model):
        raise TypeError(f"[compile] expected a module or a function, got "
                        f"{type(model).__name__}")
    return model
