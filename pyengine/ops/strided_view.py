"""Views by strides over a tensor's memory, and the write of new values into such a view.

StridedView is torch's as_strided, and the form of every view whose elements are not a slice
(`diagonal`), or that must be rebuilt over a new array (a view written through, below). Its
backward sends each gradient value to the input element it viewed (positions found once, from
the memory addresses: flat_positions), summing where windows overlap.

ViewWrite is PyTorch's CopySlices: `v[...] = value`, `v.copy_(src)`, `v.mul_(w)` on a view `v`
of a tensor `r` of a recorded graph (`r[0].copy_(h)`, `r.view(-1)[i] = x`, `r.t()[0].fill_(1)`).
Its result is r with v's elements replaced; its backward gives r's old version the gradient
with those elements zeroed and the new values the gradient at those elements. The result keeps
r's memory layout (same strides in a new buffer), so the view is rebuilt at the same offsets
(pyengine/tensor_view_write.py).
"""
import numpy as np

from ..autograd import Function


def byte_bounds(a):
    """[low, high) of the bytes an array's elements occupy (np.byte_bounds, which moved in
    NumPy 2)."""
    low = high = a.__array_interface__["data"][0]
    if a.size == 0:
        return low, low
    for n, s in zip(a.shape, a.strides):
        if s < 0:
            low += (n - 1) * s
        else:
            high += (n - 1) * s
    return low, high + a.itemsize


def data_address(a):
    return a.__array_interface__["data"][0]


def memory_owner(a):
    """The last array of a's .base chain: the memory a views (a itself when it owns it)."""
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


class _Interface:
    """An __array_interface__ holder that keeps the memory's array alive (the view's .base),
    as np.lib.stride_tricks.as_strided does."""
    __slots__ = ("__array_interface__", "base")

    def __init__(self, interface, base):
        self.__array_interface__ = interface
        self.base = base


def view_at(keep, address, dtype, shape, strides, writeable=True):
    """An array of `shape` / byte `strides` whose first element is at `address`, in the memory
    of the array `keep` (the caller checks the bounds)."""
    dtype = np.dtype(dtype)
    return np.asarray(_Interface({"version": 3, "typestr": dtype.str, "descr": dtype.descr,
                                  "shape": tuple(shape), "strides": tuple(strides),
                                  "data": (address, not writeable)}, keep))


def flat_positions(base, view, op):
    """For each element of `view` (an array over base's memory, same dtype), the C-order flat
    index of the element of `base` at the same address."""
    size = base.itemsize
    low, high = byte_bounds(base)
    vlow, vhigh = byte_bounds(view)
    if view.size and (vlow < low or vhigh > high):
        raise RuntimeError(f"[{op}] the view reaches memory outside the tensor it views")
    geometry = list(base.strides) + list(view.strides) + [data_address(base) - low,
                                                           data_address(view) - low]
    if view.dtype != base.dtype or any(g % size for g in geometry):
        raise RuntimeError(f"[{op}] the view's elements are not aligned with the tensor it "
                           f"views ({view.dtype} over {base.dtype})")
    slots = np.full(max((high - low) // size, 1), -1, np.int64)

    def over(a):
        return np.lib.stride_tricks.as_strided(
            slots[(data_address(a) - low) // size:], a.shape,
            tuple(s // size * slots.itemsize for s in a.strides))

    over(base)[...] = np.arange(base.size, dtype=np.int64).reshape(base.shape)
    pos = np.array(over(view), copy=True)
    if (pos < 0).any():
        raise RuntimeError(f"[{op}] the view reaches memory between the elements of the tensor "
                           f"it views")
    return pos


def scatter_add(pos, g, shape, dtype):
    """An array of `shape` with g's values added at flat positions pos (repeats sum)."""
    flat = np.bincount(pos.reshape(-1), weights=np.asarray(g, np.float64).reshape(-1),
                       minlength=int(np.prod(shape, dtype=np.int64)))
    return flat.astype(dtype, copy=False).reshape(shape)


class StridedView(Function):
    """The view of x with `shape` and byte `strides`, starting `offset` bytes from x's first
    element (which may be negative: a view of x's memory before it, as_strided's storage)."""
    reads_inputs = False
    makes_view = True

    @staticmethod
    def forward(ctx, x, shape=(), strides=(), offset=0, op="as_strided"):
        owner = memory_owner(x)
        low, high = byte_bounds(owner)
        out = view_at(x, data_address(x) + offset, x.dtype, shape, strides, x.flags.writeable)
        vlow, vhigh = byte_bounds(out)
        if out.size and (vlow < low or vhigh > high):
            raise RuntimeError(f"[{op}] a view of shape {tuple(shape)} and strides "
                               f"{tuple(st // x.itemsize for st in strides)} at offset "
                               f"{offset // x.itemsize} reaches beyond the memory of the "
                               f"tensor it views ({(high - low) // x.itemsize} elements)")
        if ctx.needs_input_grad and ctx.needs_input_grad[0]:
            ctx.pos = flat_positions(x, out, op)
            ctx.in_shape = x.shape
        return out

    @staticmethod
    def backward(ctx, g):
        return scatter_add(ctx.pos, g, ctx.in_shape, g.dtype)


class ViewWrite(Function):
    """r (its old version) with the elements of a view of it replaced by `values`; `pos` the
    view's flat positions in r (flat_positions, no repeats), the view's byte `strides` and
    `offset` from r's first element (the result has r's layout: the same offsets find the view
    in it)."""
    reads_inputs = False

    @staticmethod
    def forward(ctx, r, values, pos=None, strides=(), offset=0):
        low, high = byte_bounds(r)
        buf = np.empty(max(high - low, 1), np.uint8)
        start = data_address(buf) + data_address(r) - low
        out = view_at(buf, start, r.dtype, r.shape, r.strides)
        out[...] = r
        view_at(buf, start + offset, r.dtype, pos.shape, strides)[...] = values
        ctx.pos = pos
        return out

    @staticmethod
    def backward(ctx, g):
        g = np.array(g, copy=True, order="C")
        flat = g.reshape(-1)
        gv = flat[ctx.pos.reshape(-1)].reshape(ctx.pos.shape)
        flat[ctx.pos.reshape(-1)] = 0
        return g, gv
