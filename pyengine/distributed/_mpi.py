"""The MPI side: loading mpi4py with a clear error, init(), the communicator every collective
uses, rank / size / local_rank, and the exception hook that aborts the whole job when one rank
raises (otherwise the other ranks would wait forever in their next collective).

MPI itself is initialised by `init()` (mpi4py initialises it on first import of mpi4py.MPI), not
by `import pyengine.distributed`, so importing the package costs nothing and starts nothing."""
import os
import sys
import traceback

_EXTRA_HINT = ("pip install 'pyengine[dist]' (installs mpi4py and the mpich MPI library; on a "
               "cluster, `pip install mpi4py` built against the cluster's own MPI)")


def have_mpi4py():
    """Whether mpi4py is installed (the package only: importing it does not start MPI)."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


def require_mpi4py():
    """Raise an ImportError naming the extra when mpi4py is not installed."""
    if not have_mpi4py():
        raise ImportError(f"[pyengine.distributed] needs mpi4py and an MPI library: "
                          f"{_EXTRA_HINT}")


class _State:
    MPI = None        # the mpi4py.MPI module once init() ran
    comm = None       # a duplicate of the user's communicator: never mixes with their messages
    local_comm = None
    previous_hook = None


_state = _State()


def _load_mpi():
    require_mpi4py()
    try:
        from mpi4py import MPI
    except (ImportError, RuntimeError, OSError) as e:  # mpi4py present but no libmpi to load
        raise ImportError(f"[pyengine.distributed] mpi4py is installed but cannot load an MPI "
                          f"library ({e}): {_EXTRA_HINT}") from e
    return MPI


def init(comm=None):
    """Start MPI (if not yet started) and set the communicator of every later call.

    comm: an mpi4py communicator to train over (default MPI.COMM_WORLD); it is duplicated, so
    pyengine's collectives never interleave with the caller's own messages on it. Calling init()
    again with no argument keeps the current communicator. When the job has more than one rank,
    an uncaught exception on any rank prints its traceback (prefixed with the rank) and aborts
    the whole job, so `mpiexec` fails with that error instead of hanging.

    >>> import pyengine.distributed as hvd
    >>> hvd.init(); print(hvd.rank(), hvd.size())
    """
    MPI = _load_mpi()
    if comm is None and _state.comm is not None:
        return
    if comm is None:
        comm = MPI.COMM_WORLD
    if not isinstance(comm, MPI.Intracomm):
        raise TypeError(f"[init] comm must be an mpi4py intra-communicator, got "
                        f"{type(comm).__name__}")
    if comm == MPI.COMM_WORLD:
        _check_launcher(MPI, comm.Get_size())
    _state.MPI = MPI
    _state.comm = comm.Dup()
    _state.local_comm = _state.comm.Split_type(MPI.COMM_TYPE_SHARED)
    _share_cores(_state.local_comm.Get_size())
    if _state.comm.Get_size() > 1 and _state.previous_hook is None:
        _state.previous_hook = sys.excepthook
        sys.excepthook = _abort_on_exception


def _share_cores(ranks_here):
    """Give each of the ranks on this machine its share of the cores, unless the program chose
    (OMP_NUM_THREADS, or pyengine.set_num_threads before init). Every rank would otherwise start
    an OpenMP team as large as the machine: 2 ranks x 2 threads on 2 cores made a convnet step
    5-17x slower than 2 ranks x 1 thread (examples/ddp_mnist.py: 53-166 against 9.7 ms). torchrun sets
    OMP_NUM_THREADS=1 for several processes per node for the same reason."""
    import pyengine
    if ranks_here < 2 or os.environ.get("OMP_NUM_THREADS") or pyengine._thread_choice.by_program:
        return
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    share = max(1, (cores or 1) // ranks_here)
    if pyengine.get_num_threads() > share:
        pyengine.backend.threads.set_num_threads(share)  # not the program's choice: not marked


# Set by launchers for each process they start (Open MPI, MPICH / Intel MPI hydra, MVAPICH).
_LAUNCHER_SIZE_VARS = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "MV2_COMM_WORLD_SIZE")


def _check_launcher(MPI, world_size):
    """A launcher of one MPI starting ranks that load another MPI (e.g. a cluster's mpiexec
    with the mpich wheel's library) gives N processes that each see a world of 1: N separate
    trainings, silently. Catch it from the launcher's environment."""
    for var in _LAUNCHER_SIZE_VARS:
        launched = os.environ.get(var, "")
        if launched.isdigit() and int(launched) > 1 and world_size == 1:
            raise RuntimeError(
                f"[init] the launcher started {launched} processes ({var}={launched}) but MPI "
                f"sees one: mpi4py loaded another MPI library than the launcher's "
                f"({' '.join(MPI.Get_library_version().split()[:3])}). "
                "Launch with the mpiexec of the MPI that mpi4py uses (python -c \"from mpi4py "
                "import MPI; print(MPI.Get_library_version())\"), or install mpi4py against "
                "the cluster's MPI without the mpich wheel")


def _abort_on_exception(exc_type, exc, tb):
    """sys.excepthook under MPI: report the error with the rank, then end every rank."""
    rank = _state.comm.Get_rank()
    text = "".join(traceback.format_exception(exc_type, exc, tb))
    sys.stderr.write("".join(f"[rank {rank}] {line}\n" for line in text.rstrip().split("\n")))
    sys.stderr.write(f"[rank {rank}] pyengine.distributed: aborting the MPI job after an "
                     f"uncaught {exc_type.__name__} on rank {rank}\n")
    sys.stderr.flush()
    sys.stdout.flush()
    _state.MPI.COMM_WORLD.Abort(1)


def shutdown():
    """Free the communicators init() made and restore sys.excepthook (destroy_process_group);
    init() may run again. MPI itself stays initialised until the process exits."""
    if _state.comm is None:
        return
    _state.local_comm.Free()
    _state.comm.Free()
    _state.comm = _state.local_comm = None
    if _state.previous_hook is not None:
        sys.excepthook = _state.previous_hook
        _state.previous_hook = None


def is_initialized():
    """Whether init() (or init_process_group()) has run and the group is in effect."""
    return _state.comm is not None


def comm():
    """The communicator pyengine's collectives use (an mpi4py Intracomm)."""
    if _state.comm is None:
        require_mpi4py()  # without the extra, say so rather than "call init()", which would fail
        raise RuntimeError("[pyengine.distributed] not initialized: call "
                           "pyengine.distributed.init() first")
    return _state.comm


def mpi():
    comm()
    return _state.MPI


def rank():
    """This process' index in the job, 0 .. size() - 1."""
    return comm().Get_rank()


def size():
    """The number of processes in the job."""
    return comm().Get_size()


def local_rank():
    """This process' index among the ranks on the same machine (e.g. to pick its cores)."""
    comm()
    return _state.local_comm.Get_rank()


def local_size():
    """The number of ranks on this machine."""
    comm()
    return _state.local_comm.Get_size()


def barrier():
    """Wait until every rank has reached this call."""
    comm().Barrier()


def check_root(root_rank, what):
    n = size()
    if not isinstance(root_rank, int) or isinstance(root_rank, bool) or not 0 <= root_rank < n:
        raise ValueError(f"[{what}] root_rank must be an int in [0, {n}), got {root_rank!r}")
