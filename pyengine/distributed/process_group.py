"""PyTorch's torch.distributed names over the same MPI communicator as the Horovod-shaped API, so
that a program written for ``torch.distributed`` runs with its import changed
(``import pyengine.distributed as dist``) and ``mpiexec -n N python prog.py`` in place of
``torchrun --nproc-per-node N prog.py``.

The rendezvous is MPI's: mpiexec has started and connected the ranks before the program runs, so
init_process_group() checks that what the program says (world_size, rank, the RANK / WORLD_SIZE
variables a launcher set) agrees with MPI instead of connecting to an address, and fills in the
variables torchrun would have set (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE) when they are
absent. Collectives are PyTorch's: in place on the tensors passed (all_reduce, broadcast,
all_gather into a list, ...), returning None, or a completed Work when async_op=True (MPI has
already finished the operation when the call returns).

Only the default group exists (``group=None`` or ``dist.group.WORLD``); backends 'gloo' and 'mpi'
(CPU tensors) are served by MPI; 'nccl' needs CUDA GPUs and raises."""
import os

import numpy as np

from ..tensor import Tensor
from . import _mpi
from .collectives import Average, Sum, agree, as_array, bcast_into, check_op

_CPU_BACKENDS = ("gloo", "mpi", "cpu:gloo")


class _ProcessGroupState:
    backend = None  # the name given to init_process_group() while it is in effect


_pg = _ProcessGroupState()


def torch_face():
    """True while init_process_group() is in effect (broadcast() then follows PyTorch)."""
    return _pg.backend is not None


class _World:
    def __repr__(self):
        return "<pyengine.distributed.group.WORLD>"


class group:
    """PyTorch's ``dist.group`` namespace: WORLD, the default (and only) group."""
    WORLD = _World()


GroupMember = group


class Work:
    """What an ``async_op=True`` collective returns. MPI has completed the operation by then, so
    wait() returns at once."""

    def wait(self, timeout=None):
        return True

    def is_completed(self):
        return True

    def is_success(self):
        return True


def _check_group(g, what):
    if g is not None and g is not group.WORLD:
        raise ValueError(f"[{what}] only the default group exists (group=None or "
                         f"dist.group.WORLD), got {g!r}; pyengine has no new_group()")


def _done(async_op, what):
    if not isinstance(async_op, bool):
        raise TypeError(f"[{what}] async_op must be True or False, got {async_op!r}")
    return Work() if async_op else None


def _check_src(src, what, name="src"):
    n = _mpi.size()
    if not isinstance(src, (int, np.integer)) or isinstance(src, bool) or not 0 <= src < n:
        raise ValueError(f"[{what}] {name} must be a rank in [0, {n}), got {src!r}")
    return int(src)


def _env_int(name):
    v = os.environ.get(name)
    if v is None or v == "":
        return None
    try:
        return int(v)
    except ValueError:
        raise ValueError(f"[init_process_group] the environment variable {name}={v!r} is not an "
                         f"integer") from None


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1,
                       store=None, group_name="", pg_options=None, device_id=None):
    """PyTorch's init_process_group on MPI: start MPI (init()) and check that the program's idea
    of the job agrees with the processes mpiexec started.

    backend: None, 'gloo', 'mpi' or 'cpu:gloo' (CPU collectives through MPI); 'nccl' raises.
    init_method: None, 'env://', 'tcp://...' or 'file://...': the ranks are already connected by
    mpiexec, so the address is not dialled; world_size / rank, when given, and the RANK /
    WORLD_SIZE variables, when set, must equal MPI's. A job started without mpiexec is one rank.
    timeout, store, pg_options, device_id: not supported (MPI collectives have no time limit: a
    rank that raises aborts the job instead), a value other than None raises.

    >>> import pyengine.distributed as dist
    >>> dist.init_process_group("gloo")          # mpiexec -n 2 python train.py
    >>> dist.get_rank(), dist.get_world_size()
    """
    what = "init_process_group"
    if _pg.backend is not None:
        raise RuntimeError(f"[{what}] trying to initialize the default process group twice "
                           f"(call destroy_process_group() first)")
    if backend is not None and not isinstance(backend, str):
        raise TypeError(f"[{what}] backend must be a string such as 'gloo', got "
                        f"{type(backend).__name__}")
    name = "gloo" if backend is None else backend.lower()
    if "nccl" in name or name in ("ucc", "xccl", "cuda"):
        raise RuntimeError(f"[{what}] backend {backend!r} needs CUDA GPUs; pyengine's "
                           f"distributed training runs on CPUs over MPI: use backend='gloo' "
                           f"or 'mpi' (and CPU tensors)")
    if name not in _CPU_BACKENDS:
        raise ValueError(f"[{what}] unknown backend {backend!r}: use 'gloo' or 'mpi'")
    if init_method is not None and not (isinstance(init_method, str) and init_method.startswith(
            ("env://", "tcp://", "file://"))):
        raise ValueError(f"[{what}] init_method must be 'env://', 'tcp://host:port' or "
                         f"'file://path', got {init_method!r}")
    for arg, value in (("timeout", timeout), ("store", store), ("pg_options", pg_options),
                       ("device_id", device_id)):
        if value is not None:
            raise ValueError(f"[{what}] {arg}={value!r} is not supported: the ranks are MPI "
                             f"processes started by mpiexec (MPI collectives have no time "
                             f"limit; an exception on one rank aborts the job)")
    if not isinstance(group_name, str):
        raise TypeError(f"[{what}] group_name must be a string, got {group_name!r}")
    for arg, value in (("world_size", world_size), ("rank", rank)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
            raise TypeError(f"[{what}] {arg} must be an int, got {value!r}")
    started_here = not _mpi.is_initialized()  # else init() ran first: its group stays up
    _mpi.init()
    n, me = _mpi.size(), _mpi.rank()
    said = [("world_size", int(world_size), n), ("rank", int(rank), me)]
    if init_method in (None, "env://") and world_size == -1:
        said += [("WORLD_SIZE", _env_int("WORLD_SIZE"), n), ("RANK", _env_int("RANK"), me)]
    for arg, value, actual in said:
        if value is not None and value != -1 and value != actual:
            if started_here:
                _mpi.shutdown()
            raise RuntimeError(
                f"[{what}] {arg}={value} but MPI started {n} process(es) and this is rank "
                f"{me}: launch the program with `mpiexec -n <world size> python ...` (the "
                f"ranks are MPI processes; torch.multiprocessing.spawn cannot start them)")
    for var, value in (("RANK", me), ("WORLD_SIZE", n), ("LOCAL_RANK", _mpi.local_rank()),
                       ("LOCAL_WORLD_SIZE", _mpi.local_size())):
        os.environ.setdefault(var, str(value))
    _pg.backend = name


def destroy_process_group(group=None):
    """End the default group: is_initialized() is False again and init_process_group() may be
    called anew (MPI itself stays up until the process exits)."""
    _check_group(group, "destroy_process_group")
    _mpi.comm()
    _pg.backend = None
    _mpi.shutdown()


def is_available():
    """Whether a process group can be made here: mpi4py (the [dist] extra) is installed. The
    package imports without it, as torch.distributed does on a build without it."""
    return _mpi.have_mpi4py()


def is_mpi_available():
    return _mpi.have_mpi4py()


def is_gloo_available():
    """backend='gloo' (CPU collectives) is served by MPI: available with mpi4py."""
    return _mpi.have_mpi4py()


def is_nccl_available():
    return False


def is_torchelastic_launched():
    """Whether a torchrun-style launcher started this process (TORCHELASTIC_RUN_ID set, as
    torchrun and python -m pyengine.distributed.run do)."""
    return "TORCHELASTIC_RUN_ID" in os.environ


def get_rank(group=None):
    _check_group(group, "get_rank")
    return _mpi.rank()


def get_world_size(group=None):
    _check_group(group, "get_world_size")
    return _mpi.size()


def get_backend(group=None):
    """The backend named to init_process_group ('gloo' when none was), or 'mpi' after init()."""
    _check_group(group, "get_backend")
    _mpi.comm()
    return _pg.backend or "mpi"


def barrier(group=None, async_op=False, device_ids=None):
    """Wait until every rank has reached this call."""
    _check_group(group, "barrier")
    if device_ids is not None:
        raise ValueError(f"[barrier] device_ids={device_ids!r} names CUDA devices; pyengine's "
                         f"ranks run on CPUs")
    _mpi.comm().Barrier()
    return _done(async_op, "barrier")


def _in_place(tensor, what):
    """(array to write into, the array MPI works on: itself when contiguous, else a copy)."""
    a = as_array(tensor, what)
    if not a.flags.writeable:
        raise ValueError(f"[{what}] the tensor is read-only")
    return a, (a if a.flags.c_contiguous else np.ascontiguousarray(a))


def _written(tensor, a, work):
    if work is not a:
        a[...] = work
    if isinstance(tensor, Tensor):
        tensor._mark_written()


def _op(op, what, dtype):
    check_op(op, what, dtype)
    if op is Average and dtype.kind not in "fc":
        raise TypeError(f"[{what}] ReduceOp.AVG needs a floating dtype, got {dtype}")
    return op


def all_reduce(tensor, op=Sum, group=None, async_op=False):
    """In place: `tensor` becomes the element-wise reduction over all ranks (ReduceOp.SUM by
    default; AVG divides the sum by the world size in the tensor's dtype). Every rank ends with
    the same bits.

    >>> t = pe.tensor([float(dist.get_rank())]); dist.all_reduce(t)   # t = 0 + 1 + ...
    """
    what = "all_reduce"
    _check_group(group, what)
    a, work = _in_place(tensor, what)
    _op(op, what, a.dtype)
    agree((a.shape, a.dtype.str), what, "tensor shape and dtype")
    _mpi.comm().Allreduce(_mpi.mpi().IN_PLACE, work, op=op.mpi_op())
    if op is Average:
        np.divide(work, work.dtype.type(_mpi.size()), out=work)
    _written(tensor, a, work)
    return _done(async_op, what)


def reduce(tensor, dst=0, op=Sum, group=None, async_op=False):
    """In place on rank dst: `tensor` becomes the reduction over all ranks; the other ranks'
    tensors are left as they were."""
    what = "reduce"
    _check_group(group, what)
    dst = _check_src(dst, what, "dst")
    a, work = _in_place(tensor, what)
    _op(op, what, a.dtype)
    agree((a.shape, a.dtype.str), what, "tensor shape and dtype")
    comm = _mpi.comm()
    if comm.Get_rank() == dst:
        comm.Reduce(_mpi.mpi().IN_PLACE, work, op=op.mpi_op(), root=dst)
        if op is Average:
            np.divide(work, work.dtype.type(_mpi.size()), out=work)
        _written(tensor, a, work)
    else:
        comm.Reduce(work, None, op=op.mpi_op(), root=dst)
    return _done(async_op, what)


def broadcast_into(tensor, src, group, async_op, what="broadcast"):
    """PyTorch's broadcast: overwrite `tensor` in place with rank src's."""
    _check_group(group, what)
    src = _check_src(src, what)
    a, work = _in_place(tensor, what)
    agree((a.shape, a.dtype.str), what, "tensor shape and dtype")
    bcast_into([work], src)
    _written(tensor, a, work)
    return _done(async_op, what)


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """tensor_list[r] (a list of world-size tensors shaped like `tensor`) receives rank r's
    `tensor`, in place."""
    what = "all_gather"
    _check_group(group, what)
    a = as_array(tensor, what)
    n = _mpi.size()
    if not isinstance(tensor_list, list) or len(tensor_list) != n:
        raise ValueError(f"[{what}] tensor_list must be a list of {n} tensors (one per rank), "
                         f"got {type(tensor_list).__name__} of "
                         f"{len(tensor_list) if hasattr(tensor_list, '__len__') else '?'}")
    outs = [as_array(t, what) for t in tensor_list]
    for r, o in enumerate(outs):
        if o.shape != a.shape or o.dtype != a.dtype:
            raise ValueError(f"[{what}] tensor_list[{r}] has shape {o.shape} dtype {o.dtype}, "
                             f"the tensor {a.shape} {a.dtype}: they must match")
        if not o.flags.writeable:
            raise ValueError(f"[{what}] tensor_list[{r}] is read-only")
    agree((a.shape, a.dtype.str), what, "tensor shape and dtype")
    rows = np.empty((n,) + a.shape, dtype=a.dtype)
    _mpi.comm().Allgather(np.ascontiguousarray(a), rows)
    for t, o, row in zip(tensor_list, outs, rows):
        o[...] = row
        if isinstance(t, Tensor):
            t._mark_written()
    return _done(async_op, what)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """output_tensor (world size x the input's first dimension, along axis 0) receives every
    rank's input_tensor in rank order, in place."""
    what = "all_gather_into_tensor"
    _check_group(group, what)
    a = as_array(input_tensor, what)
    out, work = _in_place(output_tensor, what)
    n = _mpi.size()
    want = ((a.shape[0] * n,) + a.shape[1:]) if a.ndim else (n,)
    if (out.shape != want and out.shape != (n,) + a.shape) or out.dtype != a.dtype:
        raise ValueError(f"[{what}] output_tensor must have shape {want} or {(n,) + a.shape} "
                         f"and dtype {a.dtype}, got {out.shape} {out.dtype}")
    agree((a.shape, a.dtype.str), what, "tensor shape and dtype")
    _mpi.comm().Allgather(np.ascontiguousarray(a), work)
    _written(output_tensor, out, work)
    return _done(async_op, what)


def gather(tensor, gather_list=None, dst=0, group=None, async_op=False):
    """Rank dst's gather_list[r] receives rank r's `tensor` (the other ranks pass no list)."""
    what = "gather"
    _check_group(group, what)
    dst = _check_src(dst, what, "dst")
    a = as_array(tensor, what)
    comm, n = _mpi.comm(), _mpi.size()
    agree((a.shape, a.dtype.str), what, "tensor shape and dtype")
    if comm.Get_rank() == dst:
        if not isinstance(gather_list, list) or len(gather_list) != n:
            raise ValueError(f"[{what}] rank {dst} (dst) must pass gather_list, a list of {n} "
                             f"tensors")
        rows = np.empty((n,) + a.shape, dtype=a.dtype)
        comm.Gather(np.ascontiguousarray(a), rows, root=dst)
        for r, (t, row) in enumerate(zip(gather_list, rows)):
            o = as_array(t, what)
            if o.shape != a.shape or o.dtype != a.dtype:
                raise ValueError(f"[{what}] gather_list[{r}] has shape {o.shape} dtype "
                                 f"{o.dtype}, the tensor {a.shape} {a.dtype}")
            o[...] = row
            if isinstance(t, Tensor):
                t._mark_written()
    else:
        if gather_list is not None:
            raise ValueError(f"[{what}] only rank {dst} (dst) passes gather_list")
        comm.Gather(np.ascontiguousarray(a), None, root=dst)
    return _done(async_op, what)


def scatter(tensor, scatter_list=None, src=0, group=None, async_op=False):
    """`tensor` on rank r receives rank src's scatter_list[r], in place."""
    what = "scatter"
    _check_group(group, what)
    src = _check_src(src, what)
    a, work = _in_place(tensor, what)
    comm, n = _mpi.comm(), _mpi.size()
    agree((a.shape, a.dtype.str), what, "tensor shape and dtype")
    rows = None
    if comm.Get_rank() == src:
        if not isinstance(scatter_list, list) or len(scatter_list) != n:
            raise ValueError(f"[{what}] rank {src} (src) must pass scatter_list, a list of {n} "
                             f"tensors")
        parts = [as_array(t, what) for t in scatter_list]
        for r, p in enumerate(parts):
            if p.shape != a.shape or p.dtype != a.dtype:
                raise ValueError(f"[{what}] scatter_list[{r}] has shape {p.shape} dtype "
                                 f"{p.dtype}, the tensor {a.shape} {a.dtype}")
        rows = np.stack(parts)
    elif scatter_list is not None:
        raise ValueError(f"[{what}] only rank {src} (src) passes scatter_list")
    comm.Scatter(rows, work, root=src)
    _written(tensor, a, work)
    return _done(async_op, what)


def all_gather_object(object_list, obj, group=None):
    """object_list[r] (a list of world-size items) becomes rank r's `obj` (pickled: only for
    the job's own ranks, which trust each other)."""
    what = "all_gather_object"
    _check_group(group, what)
    n = _mpi.size()
    if not isinstance(object_list, list) or len(object_list) != n:
        raise ValueError(f"[{what}] object_list must be a list of {n} items (one per rank)")
    object_list[:] = _mpi.comm().allgather(obj)


def broadcast_object_list(object_list, src=0, group=None, device=None):
    """Every rank's object_list (same length everywhere) becomes rank src's, in place."""
    what = "broadcast_object_list"
    _check_group(group, what)
    src = _check_src(src, what)
    if device is not None:
        raise ValueError(f"[{what}] device={device!r}: pyengine's ranks run on CPUs")
    if not isinstance(object_list, list):
        raise TypeError(f"[{what}] object_list must be a list, got {type(object_list).__name__}")
    agree(len(object_list), what, "list length")
    got = _mpi.comm().bcast(object_list if _mpi.rank() == src else None, root=src)
    object_list[:] = got


__all__ = ["init_process_group", "destroy_process_group", "is_available", "is_mpi_available",
           "is_gloo_available", "is_nccl_available", "is_torchelastic_launched", "get_rank",
           "get_world_size", "get_backend", "barrier", "all_reduce", "reduce", "all_gather",
           "all_gather_into_tensor", "gather", "scatter", "all_gather_object",
           "broadcast_object_list", "group", "GroupMember", "Work"]
