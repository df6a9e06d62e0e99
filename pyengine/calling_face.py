"""Which face a program calls pyengine through, for the few names TensorFlow and PyTorch give
different meanings with the same arguments: `tf.where(cond)` is the (N, rank) int64 tensor of
the true elements' coordinates, `torch.where(cond)` the tuple of rank index tensors
(torch.nonzero(cond, as_tuple=True)). The program's own frame (the first outside pyengine)
tells: a module that did `import pyengine as tf` (or `as tensorflow`) and binds no `torch` to
pyengine calls the TensorFlow face; any other caller gets PyTorch's meaning, the default of
pyengine's shared names (docs/tensor.md)."""
import sys

from .package_frames import is_package_frame

_TF_NAMES = ("tf", "tensorflow")


def caller_uses_tensorflow_names():
    frame = sys._getframe(1)
    while frame is not None and is_package_frame(frame):
        frame = frame.f_back
    if frame is None:
        return False
    pe = sys.modules[__package__]
    scopes = (frame.f_locals, frame.f_globals)
    as_tf = any(scope.get(n) is pe for scope in scopes for n in _TF_NAMES)
    return as_tf and not any(scope.get("torch") is pe for scope in scopes)
