"""Tensors in memory shared between processes: Tensor.share_memory_(), Module.share_memory()
and their passage to child processes (torch.multiprocessing's file_system strategy).

A shared tensor's array lives in a file mapped with mmap: under /dev/shm where it exists (RAM,
as POSIX shared memory), else the temporary directory. The file is created by the process that
shares the tensor (O_EXCL, mode 0600, a random name) and removed by that process when the
mapping is collected or at exit, never by a child. Sending a shared tensor to a child process
(Process arguments under 'spawn' / 'forkserver', a multiprocessing Queue) pickles the file's
name, not the values: the child maps the same file, so an in-place update by one process (an
optimizer step) is seen by all, which is what Hogwild training needs. Ordinary pickling
(pe.save, pickle.dumps) still stores the values. Under 'fork' the mapping is inherited as is.

The .grad of a shared tensor is not sent (PyTorch's rule: gradients are allocated lazily in
each process). Writes from several processes are not synchronised (Hogwild's point)."""
import mmap
import os
import secrets
import tempfile
import weakref
from multiprocessing.reduction import ForkingPickler

import numpy as np

_OWNED = {}      # id(mmap) -> file path, for mappings this process created
_ATTACHED = {}   # path -> mmap (weakly held), mappings a child attached, reused per file
_registered = False


def _shm_dir():
    d = "/dev/shm"
    return d if os.path.isdir(d) and os.access(d, os.W_OK) else tempfile.gettempdir()


def _remove(path, owner_pid, key):
    _OWNED.pop(key, None)
    if os.getpid() == owner_pid:  # a forked child never removes its parent's file
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def _mapping_of(arr):
    """The mmap object at the bottom of arr's base chain, or None."""
    base = arr
    while base is not None:
        if isinstance(base, mmap.mmap):
            return base
        base = base.obj if isinstance(base, memoryview) else getattr(base, "base", None)
    return None


def share_array(arr):
    """A copy of arr (C-contiguous) in a new shared mapping."""
    nbytes = arr.nbytes
    path = os.path.join(_shm_dir(), f"pyengine-shm-{os.getpid()}-{secrets.token_hex(8)}")
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.ftruncate(fd, max(1, nbytes))
        m = mmap.mmap(fd, max(1, nbytes))
    except BaseException:
        os.close(fd)
        os.unlink(path)
        raise
    os.close(fd)
    key = id(m)
    _OWNED[key] = path
    weakref.finalize(m, _remove, path, os.getpid(), key)
    out = np.frombuffer(m, np.uint8, count=nbytes).view(arr.dtype).reshape(arr.shape)
    np.copyto(out, arr)
    return out


def shared_path(arr):
    """(file path, byte offset of arr's first element) if arr lives in a shared mapping this
    process created or attached, else None."""
    m = _mapping_of(arr)
    if m is None:
        return None
    path = _OWNED.get(id(m))
    if path is None:
        path = next((p for p, ref in _ATTACHED.items() if ref() is m), None)
    if path is None:
        return None
    start = np.frombuffer(m, np.uint8, count=1).ctypes.data
    return path, arr.ctypes.data - start


def attach(path, offset, shape, strides, dtype):
    """The array at (path, offset) in a mapping of the file, mapped once per process."""
    ref = _ATTACHED.get(path)
    m = ref() if ref is not None else None
    if m is None:
        fd = os.open(path, os.O_RDWR)
        try:
            m = mmap.mmap(fd, os.fstat(fd).st_size)
        finally:
            os.close(fd)
        _ATTACHED[path] = weakref.ref(m)
    return np.ndarray(shape, np.dtype(dtype), buffer=m, offset=offset, strides=strides)


def _rebuild_tensor(cls, path, offset, shape, strides, dtype, requires_grad):
    from ..tensor import Tensor
    arr = attach(path, offset, shape, strides, dtype)
    if cls is Tensor:
        t = Tensor._wrap(arr)
        if requires_grad:
            t.requires_grad_(True)
        return t
    return cls(Tensor._wrap(arr), requires_grad)  # Parameter(data, requires_grad): no copy


def _reduce_tensor(t):
    where = shared_path(t._data) if isinstance(t._data, np.ndarray) else None
    if where is None:  # not shared: the values, as ordinary pickling stores them
        return t.__reduce_ex__(4)
    arr = t._data
    return _rebuild_tensor, (type(t), where[0], where[1], arr.shape, arr.strides, arr.dtype.str,
                             bool(t.requires_grad))


def register_reducers():
    """Sends shared tensors to child processes by file name (multiprocessing's pickler)."""
    global _registered
    if _registered:
        return
    from ..nn.module import Parameter
    from ..tensor import Tensor
    for cls in (Tensor, Parameter):
        ForkingPickler.register(cls, _reduce_tensor)
    _registered = True


def share_memory_(t):
    """Tensor.share_memory_(): moves t's values into shared memory (no-op if already there)."""
    if not isinstance(t._data, np.ndarray) or not t.is_cpu:
        return t  # device tensors: PyTorch's no-op
    register_reducers()
    if shared_path(t._data) is None:
        t._data = share_array(t._data)
    return t


def is_shared(t):
    return isinstance(t._data, np.ndarray) and shared_path(t._data) is not None
