"""pe.multiprocessing: torch.multiprocessing's face over Python's multiprocessing.

Everything of the standard module (Process, Queue, Pool, get_context, set_start_method, ...),
with pyengine's tensors sent to child processes by reference when they are in shared memory
(`tensor.share_memory_()`, `module.share_memory()`: see shared_tensors.py), and `spawn(fn,
args, nprocs)` as PyTorch's: fn(i, *args) in each of nprocs new processes, a child's exception
re-raised in the parent with its traceback. pytorch/examples' mnist_hogwild runs on it with
`import torch.multiprocessing as mp` -> `import pyengine.multiprocessing as mp`.

Start method: pyengine's kernels use an OpenMP thread pool, which a child made by fork cannot
use (it runs single-threaded: see pe.set_num_threads); 'spawn' (as the Hogwild example sets)
and 'forkserver' children have their own pools."""
import multiprocessing as _mp
import multiprocessing.connection as _connection
import sys as _sys
import traceback as _traceback
from multiprocessing import *  # noqa: F401,F403  (torch.multiprocessing re-exports them too)

from .shared_tensors import register_reducers as _register_reducers

__all__ = list(_mp.__all__) + ["spawn", "start_processes", "ProcessContext",
                               "ProcessRaisedException", "ProcessExitedException",
                               "get_sharing_strategy", "set_sharing_strategy",
                               "get_all_sharing_strategies"]

_register_reducers()

_STRATEGIES = ("file_system",)  # one mapped file per shared tensor (shared_tensors.py)


def get_all_sharing_strategies():
    return set(_STRATEGIES)


def get_sharing_strategy():
    return _STRATEGIES[0]


def set_sharing_strategy(new_strategy):
    """Only 'file_system' exists here ('file_descriptor', PyTorch's default on Linux, passes
    descriptors over sockets, which these tensors do not need)."""
    if new_strategy not in _STRATEGIES:
        raise ValueError(f"[multiprocessing.set_sharing_strategy] unknown strategy "
                         f"{new_strategy!r}; available: {sorted(_STRATEGIES)}")


class ProcessException(Exception):
    def __init__(self, msg, error_index, pid):
        super().__init__(msg)
        self.msg, self.error_index, self.pid = msg, error_index, pid


class ProcessRaisedException(ProcessException):
    """A child process raised: the message holds its traceback."""


class ProcessExitedException(ProcessException):
    """A child process exited with a non-zero code or a signal without raising."""

    def __init__(self, msg, error_index, pid, exit_code, signal_name=None):
        super().__init__(msg, error_index, pid)
        self.exit_code, self.signal_name = exit_code, signal_name


def _wrap(fn, i, args, error_queue):
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass  # the parent is stopping everything
    except BaseException:
        error_queue.put(_traceback.format_exc())
        _sys.exit(1)


class ProcessContext:
    """The processes of one spawn(); join() waits for them and raises on the first failure
    (after terminating the others)."""

    def __init__(self, processes, error_queues):
        self.processes, self.error_queues = processes, error_queues
        self.sentinels = {p.sentinel: i for i, p in enumerate(processes)}

    def pids(self):
        return [p.pid for p in self.processes]

    def join(self, timeout=None):
        """True when every process has finished; False if the timeout passed first. Raises
        ProcessRaisedException / ProcessExitedException for a failed process."""
        if not self.sentinels:
            return True
        ready = _connection.wait(list(self.sentinels), timeout=timeout)
        failed = None
        for sentinel in ready:
            i = self.sentinels.pop(sentinel)
            self.processes[i].join()
            if self.processes[i].exitcode != 0 and failed is None:
                failed = i
        if failed is None:
            return not self.sentinels
        for p in self.processes:  # stop the others, as PyTorch does
            if p.is_alive():
                p.terminate()
            p.join()
        p, q = self.processes[failed], self.error_queues[failed]
        if not q.empty():
            raise ProcessRaisedException(f"\n\n-- Process {failed} terminated with the "
                                         f"following error:\n{q.get()}", failed, p.pid)
        code = p.exitcode
        if code < 0:
            import signal
            name = signal.Signals(-code).name
            raise ProcessExitedException(f"process {failed} terminated with signal {name}",
                                         failed, p.pid, code, name)
        raise ProcessExitedException(f"process {failed} terminated with exit code {code}",
                                     failed, p.pid, code)


def start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Runs fn(i, *args) for i in range(nprocs), each in a new process started by
    start_method; with join (the default) waits for all and returns None, else returns the
    ProcessContext. fn must be importable by the children (a module-level function).

    Several 'spawn' processes are started as the ranks of one MPI world when mpi4py and
    mpiexec are installed (the [dist] extra) and the arguments can be pickled (mpi_launch.py):
    then `dist.init_process_group(..., rank=i, world_size=nprocs)` inside fn connects them, as
    in PyTorch's DDP programs. Otherwise they are plain processes."""
    if not isinstance(nprocs, int) or isinstance(nprocs, bool) or nprocs < 1:
        raise ValueError(f"[multiprocessing.spawn] nprocs must be a positive int. "
                         f"Received: {nprocs!r}")
    from . import mpi_launch
    blob = mpi_launch.payload(fn, args) if mpi_launch.usable(nprocs, start_method) else None
    if blob is not None:
        context = mpi_launch.launch(blob, nprocs, daemon)
        if not join:
            return context
        while not context.join():
            pass
        return None
    ctx = _mp.get_context(start_method)
    error_queues, processes = [], []
    for i in range(nprocs):
        q = ctx.SimpleQueue()
        p = ctx.Process(target=_wrap, args=(fn, i, args, q), daemon=daemon)
        p.start()
        error_queues.append(q)
        processes.append(p)
    context = ProcessContext(processes, error_queues)
    if not join:
        return context
    while not context.join():
        pass
    return None


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """torch.multiprocessing.spawn: start_processes with the 'spawn' start method."""
    return start_processes(fn, args, nprocs, join, daemon, start_method)
