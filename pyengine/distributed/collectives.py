"""Collectives on Tensors and NumPy arrays, Horovod's names: allreduce, allgather, broadcast,
broadcast_parameters, broadcast_object. Arrays travel through mpi4py's buffer interface (the
upper-case MPI calls: no pickling); only small metadata (shapes, dtypes, names) is pickled.
Before moving data, ranks compare what each one holds, so a shape or dtype that differs across
ranks is a ValueError on every rank, not a hang or a silently wrong result."""
import numpy as np

from ..tensor import Tensor
from . import _mpi


class ReduceOp:
    """A reduction for allreduce / all_reduce: Average, Sum, Min, Max or Product (Horovod's
    names), also reachable by PyTorch's: ReduceOp.SUM, AVG, MIN, MAX, PRODUCT, and the bitwise
    BAND, BOR, BXOR for integer tensors."""

    def __init__(self, name, mpi_name):
        self.name, self.mpi_name = name, mpi_name

    def __repr__(self):
        return self.name

    def mpi_op(self):
        return getattr(_mpi.mpi(), self.mpi_name)


Average = ReduceOp("Average", "SUM")  # the sum, divided by size() in the tensor's dtype
Sum = ReduceOp("Sum", "SUM")
Min = ReduceOp("Min", "MIN")
Max = ReduceOp("Max", "MAX")
Product = ReduceOp("Product", "PROD")
ReduceOp.SUM, ReduceOp.AVG, ReduceOp.MIN, ReduceOp.MAX, ReduceOp.PRODUCT = (
    Sum, Average, Min, Max, Product)
ReduceOp.BAND = ReduceOp("BAND", "BAND")
ReduceOp.BOR = ReduceOp("BOR", "BOR")
ReduceOp.BXOR = ReduceOp("BXOR", "BXOR")
_OPS = (Average, Sum, Min, Max, Product, ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR)


def check_op(op, what, dtype=None):
    if not any(op is o for o in _OPS):
        raise ValueError(f"[{what}] op must be one of pyengine.distributed.Average, Sum, Min, "
                         f"Max, Product (ReduceOp.AVG, SUM, MIN, MAX, PRODUCT, BAND, BOR, "
                         f"BXOR); got {op!r}")
    if dtype is not None and op.mpi_name in ("BAND", "BOR", "BXOR") and dtype.kind not in "biu":
        raise TypeError(f"[{what}] ReduceOp.{op.name} needs an integer or bool tensor, got "
                        f"{dtype}")


def as_array(x, what):
    """The ndarray behind a Tensor or array (no copy), with a clear error for anything else."""
    if isinstance(x, Tensor):
        if x.device.type != "cpu":
            raise ValueError(f"[{what}] only CPU tensors can be communicated, got one on "
                             f"{x.device}")
        return x._data
    if isinstance(x, np.ndarray):
        return x
    raise TypeError(f"[{what}] expected a pyengine Tensor or a NumPy array, got "
                    f"{type(x).__name__}")


def _like(template, array):
    return Tensor._wrap(array, template.device) if isinstance(template, Tensor) else array


def agree(value, what, describe="value"):
    """Check that `value` (small, picklable) is equal on every rank; else ValueError everywhere."""
    values = _mpi.comm().allgather(value)
    bad = [r for r, v in enumerate(values) if v != values[0]]
    if bad:
        r = bad[0]
        raise ValueError(f"[{what}] ranks disagree on the {describe}: rank 0 has {values[0]}, "
                         f"rank {r} has {values[r]}")


def allreduce(tensor, op=Average):
    """The element-wise reduction of `tensor` over all ranks (a new Tensor / array, same shape).

    Average divides the sum by size() in the tensor's dtype (floating dtypes only). Every rank
    receives the identical result (MPI reduces once per element and sends the same bits).

    >>> hvd.allreduce(pe.tensor([float(hvd.rank())]), op=hvd.Sum)   # 0 + 1 + ... + size-1
    """
    check_op(op, "allreduce")
    a = as_array(tensor, "allreduce")
    check_op(op, "allreduce", a.dtype)
    if op is Average and a.dtype.kind != "f":
        raise TypeError(f"[allreduce] op=Average needs a floating dtype, got {a.dtype}; use "
                        f"op=Sum")
    agree((a.shape, a.dtype.str), "allreduce", "tensor shape and dtype")
    out = np.array(a, order="C", copy=True)
    _mpi.comm().Allreduce(_mpi.mpi().IN_PLACE, out, op=op.mpi_op())
    if op is Average:
        np.divide(out, out.dtype.type(_mpi.size()), out=out)
    return _like(tensor, out)


def allgather(tensor):
    """The ranks' tensors concatenated along the first axis, in rank order. The first
    dimensions may differ across ranks; the other dimensions and the dtype may not.

    >>> hvd.allgather(pe.ones(hvd.rank() + 1, 3)).shape   # (1 + 2 + ... + size, 3)
    """
    a = as_array(tensor, "allgather")
    if a.ndim == 0:
        raise ValueError("[allgather] needs at least one dimension (it concatenates along the "
                         "first)")
    comm = _mpi.comm()
    metas = comm.allgather((a.shape, a.dtype.str))
    for r, (shape, dtype) in enumerate(metas):
        if shape[1:] != a.shape[1:] or dtype != a.dtype.str:
            raise ValueError(f"[allgather] rank {r} holds shape {shape} dtype {dtype}, this rank "
                             f"{a.shape} {a.dtype.str}: all but the first dimension must agree")
    rows = [shape[0] for shape, _ in metas]
    row = int(np.prod(a.shape[1:], dtype=np.int64))
    counts = [n * row for n in rows]
    displs = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(int).tolist()
    out = np.empty((sum(rows),) + a.shape[1:], dtype=a.dtype)
    comm.Allgatherv(np.ascontiguousarray(a), [out, (counts, displs)])
    return _like(tensor, out)


def broadcast(tensor, src=None, group=None, async_op=False, *, root_rank=None):
    """Horovod's form, ``broadcast(tensor, root_rank)``: a copy of root_rank's `tensor` on every
    rank (a new Tensor / array; `tensor` is left as it was).

    PyTorch's form, ``broadcast(tensor, src)`` while init_process_group() is in effect: `tensor`
    is overwritten in place with rank src's, and the call returns None (a completed Work with
    async_op=True). A root_rank= keyword always means Horovod's form."""
    from . import process_group
    if root_rank is None and process_group.torch_face():
        return process_group.broadcast_into(tensor, 0 if src is None else src, group, async_op)
    if group is not None or async_op is not False:
        raise ValueError("[broadcast] group= and async_op= belong to PyTorch's form, which "
                         "needs init_process_group() first")
    if src is not None and root_rank is not None:
        raise ValueError("[broadcast] give the root once: root_rank= or the second argument")
    root_rank = 0 if src is None and root_rank is None else (src if root_rank is None
                                                              else root_rank)
    a = as_array(tensor, "broadcast")
    _mpi.check_root(root_rank, "broadcast")
    agree((a.shape, a.dtype.str), "broadcast", "tensor shape and dtype")
    out = np.array(a, order="C", copy=True)
    _mpi.comm().Bcast(out, root=root_rank)
    return _like(tensor, out)


def broadcast_(tensor, root_rank=0):
    """In place: overwrite `tensor` with root_rank's value; returns it."""
    a = as_array(tensor, "broadcast_")
    _mpi.check_root(root_rank, "broadcast_")
    agree((a.shape, a.dtype.str), "broadcast_", "tensor shape and dtype")
    bcast_into([a], root_rank)
    return tensor


def bcast_into(arrays, root_rank):
    """Broadcast root's values into `arrays` in place: one Bcast per dtype over a packed buffer."""
    by_dtype = {}
    for a in arrays:
        by_dtype.setdefault(a.dtype.str, []).append(a)
    comm = _mpi.comm()
    for group in by_dtype.values():
        if len(group) == 1 and group[0].flags.c_contiguous:
            comm.Bcast(group[0], root=root_rank)
            continue
        buf = np.concatenate([a.reshape(-1) for a in group])
        comm.Bcast(buf, root=root_rank)
        offset = 0
        for a in group:
            a[...] = buf[offset:offset + a.size].reshape(a.shape)
            offset += a.size


def broadcast_parameters(params, root_rank=0):
    """Overwrite, in place, every rank's parameters with root_rank's: call it once after
    building the model so that all ranks start from the same weights.

    params: a state_dict (``model.state_dict()``: it shares memory with the model), a dict of
    Tensors / arrays, or a list of (name, tensor) pairs such as ``model.named_parameters()``.

    >>> hvd.broadcast_parameters(model.state_dict(), root_rank=0)
    """
    if callable(getattr(params, "state_dict", None)):
        raise TypeError("[broadcast_parameters] expected a state_dict or (name, tensor) pairs, "
                        f"got a {type(params).__name__}: pass model.state_dict()")
    _mpi.check_root(root_rank, "broadcast_parameters")
    items = list(params.items()) if hasattr(params, "items") else list(params)
    arrays = []
    for item in items:
        if not (isinstance(item, tuple) and len(item) == 2):
            raise TypeError("[broadcast_parameters] expected a state_dict or (name, tensor) "
                            f"pairs, got an item {item!r}")
        a = as_array(item[1], "broadcast_parameters")
        if not a.flags.writeable:
            raise ValueError(f"[broadcast_parameters] '{item[0]}' is read-only")
        arrays.append(a)
    agree([(str(n), a.shape, a.dtype.str) for (n, _), a in zip(items, arrays)],
          "broadcast_parameters", "parameter names, shapes and dtypes")
    bcast_into(arrays, root_rank)


class _ArraySlot:
    """Where an array sat in a broadcast object (the array itself travels as a buffer)."""

    def __init__(self, index):
        self.index = index


def _split_arrays(obj, arrays):
    if isinstance(obj, np.ndarray):
        if obj.dtype.hasobject:
            raise TypeError("[broadcast_object] object arrays cannot be sent as buffers")
        arrays.append(obj)
        return _ArraySlot(len(arrays) - 1)
    if isinstance(obj, dict):
        return {k: _split_arrays(v, arrays) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_split_arrays(v, arrays) for v in obj)
    return obj


def _join_arrays(obj, arrays):
    if isinstance(obj, _ArraySlot):
        return arrays[obj.index]
    if isinstance(obj, dict):
        return {k: _join_arrays(v, arrays) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_join_arrays(v, arrays) for v in obj)
    return obj


def broadcast_object(obj, root_rank=0):
    """root_rank's `obj` on every rank. Nested dicts / lists / tuples are pickled without their
    NumPy arrays, which travel as raw buffers (one Bcast per array); returns the object.

    >>> state = hvd.broadcast_object(optimizer.state_dict() if hvd.rank() == 0 else None)
    """
    _mpi.check_root(root_rank, "broadcast_object")
    comm = _mpi.comm()
    arrays = []
    skeleton = _split_arrays(obj, arrays) if comm.Get_rank() == root_rank else None
    metas = [(a.shape, a.dtype.str) for a in arrays]
    skeleton, metas = comm.bcast((skeleton, metas), root=root_rank)
    if comm.Get_rank() != root_rank:
        arrays = [np.empty(shape, dtype=np.dtype(dtype)) for shape, dtype in metas]
    for a in arrays:
        comm.Bcast(np.ascontiguousarray(a) if comm.Get_rank() == root_rank else a,
                   root=root_rank)
    return _join_arrays(skeleton, arrays)
