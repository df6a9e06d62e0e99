"""torch._dynamo's names that programs call around torch.compile: reset() (clear compiled
code: pyengine compiles nothing, so there is nothing to clear), list_backends(), and config (the
settings programs assign, kept; none changes eager execution)."""
import types

__all__ = ["reset", "list_backends", "config"]

config = types.SimpleNamespace(suppress_errors=False, cache_size_limit=8, verbose=False,
                               capture_scalar_outputs=False, optimize_ddp=True)


def reset():
    """Nothing is cached by pyengine's torch.compile (it returns the eager callable)."""


def list_backends(exclude_tags=("debug", "experimental")):
    """torch's registered backend names; every one runs pyengine's eager code."""
    return ["cudagraphs", "inductor", "openxla", "tvm"]
