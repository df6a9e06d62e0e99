"""spawn()'s processes as the ranks of one MPI world, so that PyTorch's usual CPU data-parallel
program runs: `mp.spawn(train, args=(world_size,), nprocs=world_size)` where train(rank, ...)
calls `dist.init_process_group("gloo", rank=rank, world_size=world_size)` and wraps its model
in DistributedDataParallel. pyengine.distributed's collectives are MPI's (docs/distributed.md),
and processes started one by one cannot form an MPI world afterwards (MPICH refuses to connect
singleton processes: their process ids are not disjoint), so spawn() starts them with mpiexec:

    mpiexec -n nprocs python -c <bootstrap> <payload file> <error folder>

Each child loads the parent's main module as `__mp_main__` (as multiprocessing's 'spawn' start
method does, so functions defined in the script unpickle), runs fn(rank, *args) with rank its
MPI rank, and on an exception writes the traceback to the error folder and aborts the MPI job
(the other ranks may be waiting in a collective). The parent waits for mpiexec and raises
ProcessRaisedException with the lowest failing rank's traceback, as PyTorch's spawn does.

This path is taken when it can be: nprocs > 1, the 'spawn' start method, mpi4py installed,
an `mpiexec` next to the Python executable or on PATH, and fn / args picklable outside
multiprocessing (shared tensors go by reference, as to any spawned child; a Queue or Pipe can
only be inherited, so with one spawn() starts plain processes). PYENGINE_SPAWN_MPI=0 always
starts plain processes."""
import atexit
import importlib.util
import os
import pickle
import shutil
import subprocess
import sys
import tempfile

# The child's first lines: the parent's sys.path before anything is imported (pyengine may be
# importable only through it), then the rest in pyengine.multiprocessing.mpi_launch.child_main.
_BOOTSTRAP = ("import pickle, sys\n"
              "with open(sys.argv[1], 'rb') as f:\n"
              "    d = pickle.load(f)\n"
              "sys.path[:] = d['sys_path']\n"
              "from pyengine.multiprocessing.mpi_launch import child_main\n"
              "child_main(d, sys.argv[2])\n")

# True while a child loads the parent's main module: a spawn() there is the script's top level
# running again without an `if __name__ == "__main__":` guard, which would start processes
# without end; multiprocessing refuses it the same way.
bootstrapping = False

# Rank variables of the launchers (MPICH / Intel MPI hydra, Open MPI, PMIx).
_RANK_VARS = ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK")


def mpiexec():
    """The mpiexec to start ranks with: the one installed beside this Python (the mpich wheel
    puts it in the environment's bin folder, which need not be on PATH), else PATH's."""
    here = os.path.join(os.path.dirname(os.path.abspath(sys.executable)), "mpiexec")
    if os.access(here, os.X_OK):
        return here
    return shutil.which("mpiexec")


def payload(fn, args):
    """(fn, args) pickled as for a spawned child (ForkingPickler: shared tensors by
    reference), or None when they cannot leave through a file (a Queue, a Pipe, a lock)."""
    from multiprocessing.reduction import ForkingPickler
    try:
        return bytes(ForkingPickler.dumps((fn, args)))
    except Exception:  # RuntimeError for inherit-only objects, PicklingError, TypeError, ...
        return None


def usable(nprocs, start_method):
    if os.environ.get("PYENGINE_SPAWN_MPI", "1") == "0":
        return False
    return (nprocs > 1 and start_method == "spawn" and mpiexec() is not None
            and importlib.util.find_spec("mpi4py") is not None)


class MpiProcessContext:
    """What spawn(..., join=False) returns on this path: join() waits for mpiexec."""

    def __init__(self, proc, nprocs, workdir):
        self.proc, self.nprocs, self.workdir = proc, nprocs, workdir

    def pids(self):
        """The children's process ids, once each has started (written by child_main)."""
        out = []
        for i in range(self.nprocs):
            try:
                with open(os.path.join(self.workdir, f"pid{i}")) as f:
                    out.append(int(f.read()))
            except (OSError, ValueError):
                out.append(None)
        return out

    def join(self, timeout=None):
        """True when every rank has finished; False if the timeout passed first. Raises
        ProcessRaisedException (a rank raised) or ProcessExitedException."""
        from . import ProcessExitedException, ProcessRaisedException
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        if code == 0:
            shutil.rmtree(self.workdir, ignore_errors=True)
            return True
        pids = self.pids()
        for i in range(self.nprocs):
            path = os.path.join(self.workdir, f"error{i}")
            if os.path.exists(path):
                with open(path) as f:
                    text = f.read()
                shutil.rmtree(self.workdir, ignore_errors=True)
                raise ProcessRaisedException(f"\n\n-- Process {i} terminated with the "
                                             f"following error:\n{text}", i, pids[i])
        shutil.rmtree(self.workdir, ignore_errors=True)
        raise ProcessExitedException(f"mpiexec running the {self.nprocs} processes exited with "
                                     f"code {code} and no process reported an exception",
                                     0, self.proc.pid, code)


def launch(blob, nprocs, daemon):
    """Starts the nprocs ranks under mpiexec; returns their MpiProcessContext."""
    if bootstrapping:
        raise RuntimeError(
            "[multiprocessing.spawn] a process was started while a spawned child was still "
            "loading the main module: the script calls spawn() at its top level. Use the "
            "idiom\n\n    if __name__ == '__main__':\n        mp.spawn(...)\n")
    workdir = tempfile.mkdtemp(prefix="pyengine_spawn_")
    # The main module as multiprocessing's spawn passes it: by name when run with -m, else
    # by path (none for python -c or an interactive session: fn must then be importable).
    main = sys.modules.get("__main__")
    main_name = getattr(getattr(main, "__spec__", None), "name", None)
    main_path = getattr(main, "__file__", None)
    data = {"sys_path": list(sys.path), "sys_argv": list(sys.argv), "main_name": main_name,
            "main_path": os.path.abspath(main_path) if main_path else None, "payload": blob}
    path = os.path.join(workdir, "payload")
    with open(path, "wb") as f:
        pickle.dump(data, f)
    proc = subprocess.Popen([mpiexec(), "-n", str(nprocs), sys.executable, "-c", _BOOTSTRAP,
                             path, workdir])
    if daemon:  # daemonic children end with the parent, as multiprocessing's do
        atexit.register(lambda: proc.poll() is None and proc.terminate())
    return MpiProcessContext(proc, nprocs, workdir)


def _rank():
    for var in _RANK_VARS:
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    from mpi4py import MPI
    return MPI.COMM_WORLD.Get_rank()


def child_main(data, workdir):
    """One rank: the parent's main module as __mp_main__, then fn(rank, *args)."""
    import traceback
    rank = _rank()
    with open(os.path.join(workdir, f"pid{rank}"), "w") as f:
        f.write(str(os.getpid()))
    try:
        sys.argv[:] = data["sys_argv"]
        from multiprocessing import spawn as _spawn  # what a spawned child does
        global bootstrapping
        bootstrapping = True
        try:
            if data["main_name"]:
                _spawn._fixup_main_from_name(data["main_name"])
            elif data["main_path"] and os.path.exists(data["main_path"]):
                _spawn._fixup_main_from_path(data["main_path"])
        finally:
            bootstrapping = False
        fn, args = pickle.loads(data["payload"])
        fn(rank, *args)
    except KeyboardInterrupt:
        sys.exit(1)
    except BaseException:
        with open(os.path.join(workdir, f"error{rank}"), "w") as f:
            f.write(traceback.format_exc())
        mpi = sys.modules.get("mpi4py.MPI")
        if mpi is not None and mpi.Is_initialized() and not mpi.Is_finalized() \
                and mpi.COMM_WORLD.Get_size() > 1:
            sys.stderr.flush()
            mpi.COMM_WORLD.Abort(1)  # the others may wait in a collective for this rank
        sys.exit(1)
