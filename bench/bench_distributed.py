"""Costs of data-parallel training on MPI ranks (pyengine.distributed), for docs/distributed.md.

    OMP_NUM_THREADS=1 mpiexec -n 2 python bench/bench_distributed.py
    OMP_NUM_THREADS=1 mpiexec -n 1 python bench/bench_distributed.py    # the 1-rank baseline

Prints, on rank 0 (medians over --reps repetitions):
1. allreduce time and bus bandwidth (2 (n-1)/n * bytes / time) for float32 buffers of 4 KB to
   16 MB, each preceded by a barrier so that waiting for a late rank is not counted;
2. one training step of the MNIST MLP (784-128-10, batch 64 per rank), split into forward +
   backward, waiting for the other ranks (a barrier), the gradient average and the update;
3. whether a nonblocking allreduce (Iallreduce) progresses while the rank computes: the time of
   compute + wait against compute alone + a blocking allreduce.
"""
import argparse
import time

import numpy as np

import pyengine as pe
import pyengine.distributed as hvd
import pyengine.nn as nn
import pyengine.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument("--reps", type=int, default=50)
args = ap.parse_args()
hvd.init()
comm, MPI = hvd.comm(), hvd._mpi.mpi()
rank, size = hvd.rank(), hvd.size()


def report(*a):
    if rank == 0:
        print(*a, flush=True)


def median_time(fn, reps, barrier=True):
    times = []
    for _ in range(reps):
        if barrier:
            comm.Barrier()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    # every rank's median, the slowest one reported: the job goes at its slowest rank's pace
    return max(comm.allgather(float(np.median(times))))


library = MPI.Get_library_version().splitlines()[0]
report(f"{size} rank(s), {pe.get_num_threads()} thread(s) per rank, {library}")
report("\n1. allreduce (in place, float32, SUM)")
report(f"{'bytes':>10} {'time us':>10} {'busbw GB/s':>11}")
for nbytes in [4 << 10, 64 << 10, 410 << 10, 1 << 20, 4 << 20, 16 << 20]:
    buf = np.ones(nbytes // 4, np.float32)
    t = median_time(lambda: comm.Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM), args.reps)
    bus = 2 * (size - 1) / size * nbytes / t / 1e9 if size > 1 else float("nan")
    report(f"{nbytes:>10} {t * 1e6:>10.1f} {bus:>11.2f}")

report("\n2. MNIST MLP step (batch 64 per rank), ms")
pe.manual_seed(0)
model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
for det in (False, True):
    opt = hvd.DistributedOptimizer(pe.optim.Adam(model.parameters(), lr=1e-3), deterministic=det)
    rng = np.random.default_rng(rank)
    x = pe.tensor(rng.random((64, 784), dtype=np.float32))
    y = pe.tensor(rng.integers(0, 10, 64))
    parts = {"fwd+bwd": [], "wait": [], "average": [], "update": []}
    for i in range(args.reps + 5):
        t0 = time.perf_counter()
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        t1 = time.perf_counter()
        comm.Barrier()
        t2 = time.perf_counter()
        opt.synchronize()
        t3 = time.perf_counter()
        opt.step()
        t4 = time.perf_counter()
        if i >= 5:
            for k, dt in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
                parts[k].append(dt)
    med = {k: max(comm.allgather(float(np.median(v)))) * 1e3 for k, v in parts.items()}
    total = sum(med.values())
    report(f"deterministic={det}: " + ", ".join(f"{k} {v:.3f}" for k, v in med.items()) +
           f"; total {total:.3f}; average share {100 * med['average'] / total:.1f} %; "
           f"{opt._reducer.bytes_per_step} bytes per step")

if size > 1:
    report("\n3. overlap: Iallreduce of the MLP's gradients during a 256x256x256 GEMM loop, ms")
    buf = np.ones(101780, np.float32)
    a = pe.randn(256, 256)

    def compute():
        for _ in range(8):
            a @ a

    def blocking():
        comm.Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)

    def overlapped():
        req = comm.Iallreduce(MPI.IN_PLACE, buf, op=MPI.SUM)
        compute()
        req.Wait()

    tc, ta, to = (median_time(f, args.reps) for f in (compute, blocking, overlapped))
    report(f"compute {tc * 1e3:.3f}, allreduce {ta * 1e3:.3f}, sum {(tc + ta) * 1e3:.3f}, "
           f"overlapped {to * 1e3:.3f} (saved {(tc + ta - to) * 1e3:.3f} of a possible "
           f"{min(tc, ta) * 1e3:.3f})")
