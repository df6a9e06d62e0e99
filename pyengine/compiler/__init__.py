"""`tensorflow.compiler` stand-in: only `tf2xla.python.xla`, which TensorFlow programs import
directly (`from tensorflow.compiler.tf2xla.python import xla`); and `torch.compiler`'s names
(reset, is_compiling, disable, ...), below."""

# torch.compiler: pyengine's torch.compile returns the eager callable (runtime_settings.py), so
# nothing is ever being compiled and there is no compile cache
from .._dynamo import list_backends, reset  # noqa: E402,F401


def is_compiling():
    return False


is_dynamo_compiling = is_compiling


def disable(fn=None, recursive=True):
    """torch.compiler.disable: run `fn` eagerly (pyengine always does); also a decorator."""
    return (lambda f: f) if fn is None else fn


def allow_in_graph(fn):
    return fn


def assume_constant_result(fn):
    return fn


def cudagraph_mark_step_begin():
    """Marks a training step for CUDA graphs; pyengine records none."""
