"""torch's memory formats: contiguous_format, channels_last (NHWC order in memory for an NCHW
tensor), channels_last_3d (NDHWC) and preserve_format. A pyengine tensor's storage is a NumPy
array, whose strides express these layouts directly, so `stride()` and
`is_contiguous(memory_format=...)` answer as torch does. The layout never changes a value: every
op reads any layout; convolutions return channels_last when their input or weight is, pointwise
ops between same-layout tensors keep it (NumPy's order='K'), other ops return contiguous output."""
import numpy as np

__all__ = ["memory_format", "contiguous_format", "channels_last", "channels_last_3d",
           "preserve_format"]


class memory_format:
    __slots__ = ("_name",)

    def __init__(self, name):
        self._name = name

    def __repr__(self):
        return f"torch.{self._name}"

    def __reduce__(self):
        return self._name


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")

_PERM = {channels_last: (4, (0, 2, 3, 1), (0, 3, 1, 2)),
         channels_last_3d: (5, (0, 2, 3, 4, 1), (0, 4, 1, 2, 3))}


def check(fmt, op):
    if not isinstance(fmt, memory_format):
        raise TypeError(f"[{op}] memory_format must be a torch memory format such as "
                        f"channels_last, got {fmt!r}")
    return fmt


def _rank_check(arr, fmt, op):
    if fmt in _PERM and arr.ndim != _PERM[fmt][0]:
        raise RuntimeError(f"[{op}] required rank {_PERM[fmt][0]} tensor to use "
                           f"{fmt._name} format, got a {arr.ndim}-D tensor")


def is_in(arr, fmt):
    """torch's is_contiguous(memory_format=fmt) of an array (size-1 dims' strides ignored)."""
    if fmt is contiguous_format or fmt is preserve_format:
        return bool(arr.flags.c_contiguous)
    rank, to_last, _ = _PERM[fmt]
    return arr.ndim == rank and bool(arr.transpose(to_last).flags.c_contiguous)


def laid_out(arr, fmt, op="to"):
    """`arr`'s values in the layout `fmt` (arr itself when already so); preserve_format keeps a
    channels_last layout and otherwise gives a C-contiguous array, as torch's clone does."""
    check(fmt, op)
    if fmt is preserve_format:
        fmt = suggested(arr)
    _rank_check(arr, fmt, op)
    if is_in(arr, fmt):
        return arr
    if fmt is contiguous_format:
        return np.ascontiguousarray(arr)
    _, to_last, back = _PERM[fmt]
    return np.ascontiguousarray(arr.transpose(to_last)).transpose(back)


def suggested(*arrays):
    """channels_last(_3d) when one of the arrays is laid out so (and not plainly contiguous),
    else contiguous_format: the layout torch gives a convolution's output."""
    for a in arrays:
        if a is not None and not a.flags.c_contiguous:
            for fmt in (channels_last, channels_last_3d):
                if is_in(a, fmt):
                    return fmt
    return contiguous_format
