"""torch.compile for programs that use it (`model = torch.compile(model)` in recent PyTorch
examples); tf.function, its TensorFlow counterpart, is pyengine/tf_function.py.

pyengine has no graph compiler: it runs eagerly, and its kernels are already compiled C++
with the per-op Python overhead kept small (docs/tensor.md). So torch.compile returns the
module or function it is given, which is what PyTorch's backend="eager" does; the results are
those of the compiled model. What can be checked is checked: mode and backend."""
_TORCH_MODES = (None, "default", "reduce-overhead", "max-autotune",
                "max-autotune-no-cudagraphs")


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
