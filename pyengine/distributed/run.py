"""torchrun's command line on one machine: `python -m pyengine.distributed.run --nproc-per-node 2
train.py args` starts the script's ranks with mpiexec (`mpiexec -n 2 python train.py args`), so a
program written for torchrun keeps its launch line with `torch.distributed.run` (torchrun)
replaced by `pyengine.distributed.run`.

Options are torchrun's, for a single node: --nproc-per-node N (or auto / cpu: the cores this
process may use), --nnodes 1, --node-rank 0, --standalone, -m (run a module), --no-python (run
a program, not a Python script), --master-addr / --master-port / --rdzv-endpoint / --rdzv-backend
/ --rdzv-id (torchrun's rendezvous; the id becomes TORCHELASTIC_RUN_ID, and for the address and
backend: MPI connects the ranks itself, so any value is valid and none is dialled,
as with init_process_group's init_method). Several nodes (--nnodes > 1) are an MPI job started
with the cluster's own mpiexec (docs/distributed.md), so they raise here.

Each rank starts with torchrun's variables already set, since programs read them before
init_process_group: RANK, LOCAL_RANK, GROUP_RANK, ROLE_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE,
ROLE_WORLD_SIZE, MASTER_ADDR / MASTER_PORT (the values given, else torchrun's defaults) and
TORCHELASTIC_RUN_ID (the --rdzv-id, else torchrun's "none"). A short bootstrap reads the rank
from the launcher's variables, sets them and execs the program. Each rank gets its share of the
cores unless OMP_NUM_THREADS is set (torchrun sets it to 1)."""
import argparse
import os
import subprocess
import sys


def _parser():
    p = argparse.ArgumentParser(prog="python -m pyengine.distributed.run",
                                description="torchrun's single-node launch, over mpiexec")
    p.add_argument("--nproc-per-node", "--nproc_per_node", default="1",
                   help="processes to start: a number, or auto / cpu (the usable cores)")
    p.add_argument("--nnodes", default="1", help="must be 1 (or 1:1)")
    p.add_argument("--node-rank", "--node_rank", type=int, default=0, help="must be 0")
    p.add_argument("--standalone", action="store_true", help="one node (the only mode here)")
    for name in ("--master-addr", "--master_addr", "--master-port", "--master_port",
                 "--rdzv-endpoint", "--rdzv_endpoint", "--rdzv-backend", "--rdzv_backend",
                 "--rdzv-id", "--rdzv_id"):
        p.add_argument(name, dest=name.lstrip("-").replace("-", "_"),
                       help="torchrun's rendezvous: MPI connects the ranks, nothing is dialled")
    p.add_argument("-m", "--module", action="store_true",
                   help="run the script argument as a module (python -m)")
    p.add_argument("--no-python", "--no_python", action="store_true",
                   help="run the script argument as a program, not with python")
    p.add_argument("script", help="the training script (or module / program)")
    p.add_argument("script_args", nargs=argparse.REMAINDER)
    return p


# Sets torchrun's per-rank variables from the MPI launcher's (hydra: PMI_*, Open MPI:
# OMPI_COMM_WORLD_*), then execs the program; argv: master address, port, run id, program...
_RANK_ENV = (
    "import os, sys\n"
    "e = os.environ\n"
    "rank = e.get('PMI_RANK') or e.get('OMPI_COMM_WORLD_RANK') or e.get('PMIX_RANK') or '0'\n"
    "size = e.get('PMI_SIZE') or e.get('OMPI_COMM_WORLD_SIZE') or '1'\n"
    "for k in ('RANK', 'LOCAL_RANK', 'GROUP_RANK', 'ROLE_RANK'):\n"
    "    e[k] = rank if k != 'GROUP_RANK' else '0'\n"
    "for k in ('WORLD_SIZE', 'LOCAL_WORLD_SIZE', 'ROLE_WORLD_SIZE'):\n"
    "    e[k] = size\n"
    "e['MASTER_ADDR'], e['MASTER_PORT'], e['TORCHELASTIC_RUN_ID'] = sys.argv[1:4]\n"
    "os.execvp(sys.argv[4], sys.argv[4:])\n")


def _rendezvous(args):
    """torchrun's MASTER_ADDR / MASTER_PORT / run id for these arguments."""
    addr = args.master_addr or "127.0.0.1"
    port = args.master_port or "29500"
    if args.rdzv_endpoint:
        host, _, p = args.rdzv_endpoint.rpartition(":")
        addr, port = (host or addr), (p or port)
    return [addr, str(port), args.rdzv_id or "none"]


def _nprocs(value):
    if value in ("auto", "cpu"):
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") \
            else (os.cpu_count() or 1)
    if not value.isdigit() or int(value) < 1:
        raise SystemExit(f"[pyengine.distributed.run] --nproc-per-node must be a positive "
                         f"number, auto or cpu, got {value!r} (gpu: there are no CUDA ranks)")
    return int(value)


def command(argv):
    """The mpiexec command line for torchrun's arguments argv."""
    from ..multiprocessing.mpi_launch import mpiexec
    args = _parser().parse_args(argv)
    if args.nnodes not in ("1", "1:1") or args.node_rank != 0:
        raise SystemExit("[pyengine.distributed.run] one node only (--nnodes 1, --node-rank 0): "
                         "start a multi-node job with your cluster's mpiexec and "
                         "`python train.py` on each rank (docs/distributed.md)")
    exe = mpiexec()
    if exe is None:
        raise SystemExit("[pyengine.distributed.run] no mpiexec found beside this Python or on "
                         "PATH: pip install 'pyengine[dist]'")
    if args.no_python:
        program = [args.script]
    else:
        program = [sys.executable] + (["-m"] if args.module else []) + [args.script]
    return ([exe, "-n", str(_nprocs(args.nproc_per_node)), sys.executable, "-c", _RANK_ENV]
            + _rendezvous(args) + program + args.script_args)


def main(argv=None):
    return subprocess.call(command(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    sys.exit(main())
