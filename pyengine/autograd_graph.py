"""torch.autograd.graph's saved-tensor hooks: `saved_tensors_hooks(pack_hook, unpack_hook)`,
`save_on_cpu(pin_memory=False, device_type="cuda")` and
`disable_saved_tensors_hooks(error_message)`.

Inside `with saved_tensors_hooks(pack, unpack):` every tensor an op recorded there saves for its
backward through `ctx.save_for_backward` goes through `pack(tensor)` when the op runs, and what
pack returned through `unpack(packed)` when backward reads `ctx.saved_tensors`, so a program can
count, compress, move or write to disk what its graph keeps (the innermost hooks apply; they are
per thread). The unpacked tensor must have the saved one's shape (checked). Covered: the custom
`autograd.Function`s (they save everything through save_for_backward) and the built-in ops'
saved inputs and outputs. Not covered: the arrays a few built-in ops keep as context attributes
instead (dropout's mask, the batch / layer / group normalisation statistics and x_hat, erf's
input, the embedding's and the NHWC pools' indices, CTC's gradient, the segment ops' arrays):
those are kept as they are, as if no hooks were set, and their backward is unchanged.
`grad_fn._saved_self` and the other per-op saved attributes of PyTorch's nodes do not exist."""
import numpy as np

from . import autograd as _ag
from .autograd import Node  # noqa: F401  (torch.autograd.graph.Node, the grad_fn class)


class saved_tensors_hooks:
    """Context manager: pack_hook(tensor) -> anything when an op saves a tensor for backward,
    unpack_hook(packed) -> the tensor when backward needs it."""

    def __init__(self, pack_hook, unpack_hook):
        if not callable(pack_hook) or not callable(unpack_hook):
            raise TypeError("[saved_tensors_hooks] pack_hook and unpack_hook must be callables")
        self.pack_hook, self.unpack_hook = pack_hook, unpack_hook

    def __enter__(self):
        stack = _ag._SAVED_HOOKS.stack
        if stack and stack[-1][0] is None:
            raise RuntimeError(stack[-1][1])
        _ag._SAVED_HOOKS.stack = stack + ((self.pack_hook, self.unpack_hook),)
        return self

    def __exit__(self, *exc):
        _ag._SAVED_HOOKS.stack = _ag._SAVED_HOOKS.stack[:-1]
        return False


class save_on_cpu(saved_tensors_hooks):
    """Saved tensors are kept as CPU copies and given back on their device in backward
    (PyTorch's offloading of activations from a GPU). Every pyengine tensor lives on the CPU,
    so this keeps a copy of each; pin_memory (page-locked memory for CUDA transfers) has
    nothing to pin without CUDA, as in a CPU-only PyTorch."""

    def __init__(self, pin_memory=False, device_type="cuda"):
        if not isinstance(pin_memory, (bool, np.bool_)):
            raise TypeError(f"[save_on_cpu] pin_memory must be a bool, got {pin_memory!r}")

        def pack(t):
            return t.device, t.detach().clone()

        def unpack(packed):
            device, t = packed
            return t.to(device)
        super().__init__(pack, unpack)


class disable_saved_tensors_hooks:
    """Context manager: saved_tensors_hooks inside it raise RuntimeError(error_message), and
    ops recorded inside it save their tensors as they are."""

    def __init__(self, error_message):
        self.error_message = str(error_message)

    def __enter__(self):
        _ag._SAVED_HOOKS.stack = _ag._SAVED_HOOKS.stack + ((None, self.error_message),)
        return self

    def __exit__(self, *exc):
        _ag._SAVED_HOOKS.stack = _ag._SAVED_HOOKS.stack[:-1]
        return False
