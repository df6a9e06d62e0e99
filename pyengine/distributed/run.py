"""torchrun's command line on one machine: `python -m pyengine.distributed.run --nproc-per-node 2
train.py args` starts the script's ranks with mpiexec (`mpiexec -n 2 python train.py args`), so a
program written for torchrun keeps its launch line with `torch.distributed.run` (torchrun)
replaced by `pyengine.distributed.run`.

Options are torchrun's, for a single node: --nproc-per-node N (or auto / cpu: the cores this
process may use), --nnodes 1, --node-rank 0, --standalone, -m (run a module), --no-python (run
a program, not a Python script), --master-addr / --master-port / --rdzv-endpoint (torchrun's
rendezvous address: MPI connects the ranks itself, so any value is valid and none is dialled,
as with init_process_group's init_method). Several nodes (--nnodes > 1) are an MPI job started
with the cluster's own mpiexec (docs/distributed.md), so they raise here. init_process_group
sets RANK, WORLD_SIZE, LOCAL_RANK and LOCAL_WORLD_SIZE in each rank as torchrun would, and each
rank gets its share of the cores unless OMP_NUM_THREADS is set (torchrun sets it to 1)."""
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
    return [exe, "-n", str(_nprocs(args.nproc_per_node))] + program + args.script_args


def main(argv=None):
    return subprocess.call(command(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    sys.exit(main())
