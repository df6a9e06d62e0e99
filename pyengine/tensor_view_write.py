"""Writes into a view of a recorded graph's tensor (PyTorch's CopySlices): `buf[i].copy_(h)`,
`y[1:].mul_(3)`, `row = y[0]; row[1] = 0`, `y.view(-1)[0] = x`, `K.diagonal().add_(eps)` with y,
h or x in the graph.

The tensor the view sees into (its root: the end of the chain of views, found through the view
ops' inputs, or the link `_view_of` a view op leaves when it records nothing) adopts a ViewWrite
result: its old version with the view's elements replaced, in a new buffer of the same layout.
Ops recorded before the write keep reading the old version and its untouched arrays
(autograd.note_adoption), as for a write into the tensor itself (Tensor._adopt). The view then
adopts a StridedView of the root's new array at the same offsets, so later writes through it
reach the root again. A view made before the root got its new array (a sibling: `i, f, g, o =
gates.chunk(4, 1)`, then `i.sigmoid_(); f.sigmoid_()`) is taken again over it when written
(_rebuild_over); one whose elements a write changed since raises, if the write into it was
computed from its old values, rather than writing values from out-of-date ones.
"""
import numpy as np

from . import autograd as _autograd
from .ops.strided_view import StridedView, ViewWrite, data_address, flat_positions


def _parents(t):
    if t._node is not None:
        return [p for p in t._node.inputs if p is not None and p is not t]
    return [] if t._view_of is None else [t._view_of]


def _version_holding(v, t):
    """t itself, or the earlier version of t (before a write, note_adoption), whose array v
    views; None if none."""
    if np.may_share_memory(v._data, t._data):
        return t
    return next((b for b in _autograd.earlier_versions(t)
                 if np.may_share_memory(v._data, b._data)), None)


def views_version_of(v, t):
    """Whether v's array views t's memory, now or as it was before a write into t."""
    return _version_holding(v, t) is not None


def _stale(op):
    return RuntimeError(
        f"[{op}] this view was taken before the tensor it views was given a new array of "
        f"another layout (by a write into it), or that tensor is gone: a write into the view "
        f"would not reach it. Take the view again after the write")


def view_root(v, op):
    """(root, held): the tensor whose memory v views, at the end of v's chain of views, and the
    version of it (root itself, or its array before a write: note_adoption) whose array v
    views. (None, None) when v views no tensor's memory (an array of the program's:
    pe.from_numpy, pe.tensor of a NumPy view)."""
    t = v
    while True:
        parents = _parents(t)
        nxt = next((p for p in parents if views_version_of(v, p) and (
            t is v or views_version_of(t, p))), None)
        if nxt is None:
            break
        t = nxt
    if t is v:
        if _parents(v):
            raise _stale(op)
        return None, None
    while t._live is not None:  # an old version (a backward pass put it in v's chain)
        t = t._live()
        if t is None:
            raise _stale(op)
    held = _version_holding(v, t)
    if held is not t and (held._data.shape != t._data.shape or
                          held._data.strides != t._data.strides):
        raise _stale(op)
    return t, held


def _rebuild_over(v, root, held, op, values_read):
    """v, made before a write through another view gave root a new array of the same layout
    (`a, b = y.chunk(2); a.mul_(2); b.mul_(3)`), taken again at the same offsets of root's
    current array, as PyTorch's views see every write into their base. values_read: the write
    was computed from v's values as they were (an in-place method's result), so it is right
    only if no write since touched v's elements; each write through a view left its flat
    positions on root's old version (_written), a direct write none."""
    if values_read:
        history = _autograd.earlier_versions(root)
        mine = flat_positions(held._data, v._data, op)
        for before in history[next(i for i, b in enumerate(history) if b is held):]:
            written = getattr(before, "_written", None)
            if written is None or np.intersect1d(written, mine).size:
                raise RuntimeError(
                    f"[{op}] this view was taken before a write into the tensor it views that "
                    f"changed its elements: its values are out of date. Take the view again "
                    f"after that write")
    before_v = v._snapshot()
    view = StridedView.apply(root, shape=v._data.shape, strides=v._data.strides,
                             offset=data_address(v._data) - data_address(held._data), op=op)
    _autograd.note_adoption(v, before_v)
    v._data, v._node, v.requires_grad = view._data, view._node, view.requires_grad


def write_through(v, result, op):
    """v (a view) takes `result` (a Tensor, or a function of v's old version making it), and
    the tensor v views takes the write; see the module docstring."""
    from .tensor import Tensor
    root, held = view_root(v, op)
    if root is None:
        raise RuntimeError(f"[{op}] this tensor views an array no tensor of the graph holds "
                           f"(from_numpy, a NumPy view); written in place, that array would "
                           f"not see the write. Use the out-of-place form or a copy (clone())")
    if root._node is None and root.requires_grad:
        raise RuntimeError(f"[{op}] a view of a leaf tensor that requires grad can't be "
                           f"modified in place; wrap it in pe.no_grad()")
    if held is not root:
        _rebuild_over(v, root, held, op, isinstance(result, Tensor))
    before_v = v._snapshot()
    new_v = result if isinstance(result, Tensor) else result(before_v)
    if new_v._data.dtype != v._data.dtype:
        new_v = new_v.to(v.dtype)
    pos = flat_positions(root._data, v._data, op)
    if np.unique(pos).size != pos.size:
        raise RuntimeError(f"[{op}] more than one element of the written-to tensor refers to "
                           f"a single memory location (an expand or overlapping windows); "
                           f"clone() it before writing")
    strides, offset = v._data.strides, data_address(v._data) - data_address(root._data)
    before_root = root._snapshot()
    before_root._written = pos.reshape(-1)
    written = ViewWrite.apply(before_root, new_v, pos=pos, strides=strides, offset=offset)
    _autograd.note_adoption(root, before_root)
    root._data, root._node, root.requires_grad = written._data, written._node, True
    view = StridedView.apply(root, shape=v._data.shape, strides=strides, offset=offset,
                             op=op)
    _autograd.note_adoption(v, before_v)
    v._data, v._node, v.requires_grad = view._data, view._node, True
    v._view_of = None
    return v
