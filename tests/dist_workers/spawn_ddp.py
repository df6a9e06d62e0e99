"""A PyTorch-style CPU DDP program started by mp.spawn (test_distributed.py runs it without
mpiexec): `python spawn_ddp.py MODE OUTDIR`.
- train: 2 ranks, different starting weights and data, 3 DDP steps of SGD with momentum; the
  parent checks both ranks' weights against one process training on the mean of the two losses.
- fail: rank 1 raises while rank 0 waits in all_reduce; the parent must get the error.
- queue: an argument that can only be inherited (a Queue): spawn falls back to plain processes.
Prints OK when the parent's checks pass."""
import os
import sys

import numpy as np

import pyengine as torch
import pyengine.distributed as dist
import pyengine.multiprocessing as mp
import pyengine.nn as nn
from pyengine.nn.parallel import DistributedDataParallel as DDP

STEPS = 3


def make_model(seed):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))


def data(rank):
    rng = np.random.default_rng(100 + rank)
    return (torch.tensor(rng.standard_normal((5, 6)).astype(np.float32)),
            torch.tensor(rng.standard_normal((5, 3)).astype(np.float32)))


def train(rank, world_size, outdir):
    os.environ["MASTER_ADDR"] = "localhost"
    os.environ["MASTER_PORT"] = "12355"
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    assert dist.get_rank() == rank and dist.get_world_size() == world_size
    model = make_model(rank)  # different per rank: DDP broadcasts rank 0's
    ddp = DDP(model)
    opt = torch.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
    x, y = data(rank)
    for _ in range(STEPS):
        opt.zero_grad()
        nn.functional.mse_loss(ddp(x), y).backward()
        opt.step()
    np.save(os.path.join(outdir, f"w{rank}.npy"),
            np.concatenate([p.detach().numpy().ravel() for p in model.parameters()]))
    dist.destroy_process_group()


def reference(world_size):
    model = make_model(0)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    batches = [data(r) for r in range(world_size)]
    for _ in range(STEPS):
        opt.zero_grad()
        loss = sum(nn.functional.mse_loss(model(x), y) for x, y in batches) / world_size
        loss.backward()
        opt.step()
    return np.concatenate([p.detach().numpy().ravel() for p in model.parameters()])


def fail(rank, world_size):
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    if rank == 1:
        raise ValueError("broken on rank one")
    dist.all_reduce(torch.ones(3))  # rank 1 never comes: the job must be aborted


def put_rank(rank, queue):
    queue.put(rank)


if __name__ == "__main__":
    mode, outdir = sys.argv[1], sys.argv[2]
    if mode == "train":
        mp.spawn(train, args=(2, outdir), nprocs=2)
        w0, w1 = (np.load(os.path.join(outdir, f"w{r}.npy")) for r in (0, 1))
        np.testing.assert_array_equal(w0, w1)
        np.testing.assert_allclose(w0, reference(2), rtol=1e-5, atol=1e-6)
    elif mode == "fail":
        try:
            mp.spawn(fail, args=(2,), nprocs=2)
            raise AssertionError("no exception from the failing rank")
        except mp.ProcessRaisedException as e:
            assert e.error_index == 1 and "broken on rank one" in str(e), str(e)
    elif mode == "queue":
        q = mp.get_context("spawn").SimpleQueue()
        mp.spawn(put_rank, args=(q,), nprocs=2)
        assert sorted(q.get() for _ in range(2)) == [0, 1]
    print("OK")
