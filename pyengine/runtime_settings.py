"""torch.compile, torch.set_float32_matmul_precision and torch.use_deterministic_algorithms, as
current pytorch/examples and tutorials call them at start-up.

- compile(model_or_fn, ...) returns it unchanged (also as a decorator): pyengine runs eagerly,
  and torch.compile promises the same results as eager execution, only faster; its options
  (mode, fullgraph, dynamic, a backend's name) choose how torch compiles, and disable=True is
  honoured trivially. A callable backend (handed the captured FX graph) raises
  NotImplementedError: no graph is captured. Unknown keyword arguments are an error, as in
  torch. torch._dynamo.reset() (pyengine/_dynamo.py) has no compile cache to clear.
- set_float32_matmul_precision('highest' | 'high' | 'medium') permits lower-precision internal
  math; pyengine always multiplies float32 in float32 ('highest' in effect), which every
  setting allows. The value is kept for get_float32_matmul_precision().
- use_deterministic_algorithms(True) asks for deterministic kernels: pyengine's are (results
  do not depend on thread counts or timing; docs/tensor.md), so the request is met."""

__all__ = ["compile", "set_float32_matmul_precision", "get_float32_matmul_precision",
           "use_deterministic_algorithms", "are_deterministic_algorithms_enabled"]

_settings = {"matmul_precision": "highest", "deterministic": False}


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None,  # noqa: A001
            options=None, disable=False):
    if mode not in (None, "default", "reduce-overhead", "max-autotune",
                    "max-autotune-no-cudagraphs"):
        raise ValueError(f"[compile] unknown mode {mode!r}")
    if options is not None and mode is not None:
        raise RuntimeError("[compile] either mode or options can be specified, not both")
    if callable(backend):
        raise NotImplementedError("[compile] a custom backend (a callable given the captured FX "
                                  "GraphModule) is not supported: pyengine runs eagerly and "
                                  "captures no graph; use a named backend such as 'inductor'")
    if not isinstance(backend, str):
        raise TypeError(f"[compile] backend must be a name or a callable, got {backend!r}")
    if model is None:  # @torch.compile(mode=...) form
        return lambda m: m
    if not callable(model):
        raise TypeError(f"[compile] expects a module or a function, got {type(model).__name__}")
    return model


def set_float32_matmul_precision(precision):
    if precision not in ("highest", "high", "medium"):
        raise ValueError(f"[set_float32_matmul_precision] expected 'highest', 'high' or "
                         f"'medium', got {precision!r}")
    _settings["matmul_precision"] = precision


def get_float32_matmul_precision():
    return _settings["matmul_precision"]


def use_deterministic_algorithms(mode, *, warn_only=False):
    if mode not in (True, False) or warn_only not in (True, False):
        raise TypeError("[use_deterministic_algorithms] mode and warn_only must be bools")
    _settings["deterministic"] = mode


def are_deterministic_algorithms_enabled():
    return _settings["deterministic"]
