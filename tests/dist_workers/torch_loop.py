"""MPI worker: the collectives, and a PyTorch-style training loop with DistributedOptimizer.
Checks identical parameters across ranks after every step, uneven last batches (ranks' last
batches differ in size), and deterministic mode against a one-process reference that sums the
ranks' batch gradients in rank order and divides by the number of ranks."""
import numpy as np

import pyengine as pe
import pyengine.distributed as hvd
import pyengine.nn as nn
import pyengine.nn.functional as F
from common import assert_same_on_all_ranks

hvd.init()
rank, size = hvd.rank(), hvd.size()
assert 0 <= hvd.local_rank() < hvd.local_size() == size  # one machine
hvd.barrier()

# ---- collectives ------------------------------------------------------------------------
s = hvd.allreduce(pe.tensor([float(rank), 1.0]), op=hvd.Sum)
assert isinstance(s, pe.Tensor) and s.numpy().tolist() == [sum(range(size)), size]
avg = hvd.allreduce(np.full(3, rank + 1, np.float32))
assert np.array_equal(avg, np.full(3, np.float32(sum(range(1, size + 1))) / np.float32(size)))
assert hvd.allreduce(np.array([rank]), op=hvd.Max)[0] == size - 1
g = hvd.allgather(np.full((rank + 1, 2), rank, np.int64))
assert g.shape == (size * (size + 1) // 2, 2) and g[-1, 0] == size - 1 and g[0, 0] == 0
b = hvd.broadcast(pe.tensor([float(rank)] * 4), root_rank=size - 1)
assert b.numpy().tolist() == [size - 1.0] * 4
obj = hvd.broadcast_object({"step": rank, "m": [np.arange(3) + rank, (1, "a")]}, root_rank=1)
assert obj["step"] == 1 and obj["m"][0].tolist() == [1, 2, 3] and obj["m"][1] == (1, "a")
try:  # a shape that differs on one rank: a ValueError on every rank, not a hang
    hvd.allreduce(np.zeros(3 if rank else 4, np.float32))
    raise AssertionError("no error for different shapes")
except ValueError as e:
    assert "ranks disagree" in str(e), e


# ---- model, data -------------------------------------------------------------------------
def make_model(seed):
    pe.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3))


N, B = 23, 4  # rank r reads x[r::size]: 12/11 (2 ranks) or 8/8/7 (3 ranks) samples, 3 / 2 steps
rng = np.random.default_rng(0)
x_all = rng.normal(size=(N, 6)).astype(np.float32)
y_all = rng.integers(0, 3, size=N)


def batches(r):
    xs, ys = x_all[r::size], y_all[r::size]
    return [(pe.tensor(xs[i:i + B]), pe.tensor(ys[i:i + B])) for i in range(0, len(xs), B)]


steps = {len(batches(r)) for r in range(size)}
assert len(steps) == 1, steps
last_sizes = {len(batches(r)[-1][0]) for r in range(size)}
assert len(last_sizes) > 1, "the test needs ranks whose last batches differ in size"

# ---- fast mode: different initial weights per rank, broadcast, then identical every step ---
model = make_model(seed=100 + rank)
opt = hvd.DistributedOptimizer(pe.optim.Adam(model.parameters(), lr=1e-2),
                               named_parameters=model.named_parameters())
assert isinstance(opt, pe.optim.Adam) and type(opt).__name__ == "DistributedAdam"
hvd.broadcast_parameters(model.state_dict(), root_rank=0)
assert_same_on_all_ranks([p.data for p in model.parameters()], "after broadcast_parameters")
for epoch in range(2):
    for xb, yb in batches(rank):
        opt.zero_grad()
        F.cross_entropy(model(xb), yb).backward()
        opt.step()
        assert_same_on_all_ranks([p.data for p in model.parameters()], "fast mode step")

# optimizer state: only rank 0 has stepped this fresh optimizer; broadcast gives it to all
opt2 = pe.optim.Adam(model.parameters(), lr=1e-3)
if rank == 0:
    F.cross_entropy(model(batches(0)[0][0]), batches(0)[0][1]).backward()
    opt2.step()
hvd.broadcast_optimizer_state(opt2, root_rank=0)
state = [opt2.state[p][k] for p in model.parameters() for k in ("exp_avg", "exp_avg_sq")]
assert_same_on_all_ranks(state, "after broadcast_optimizer_state")
assert all(opt2.state[p]["step"] == 1 for p in model.parameters())

# a gradient present on rank 0 only is averaged with zeros; one present nowhere stays None
a = pe.zeros(3, requires_grad=True)
c = pe.zeros(2, requires_grad=True)
opt3 = hvd.DistributedOptimizer(pe.optim.SGD([a, c], lr=1.0))
if rank == 0:
    (a * pe.tensor([1.0, 2.0, 3.0])).sum().backward()
opt3.synchronize()
assert c.grad is None and np.array_equal(a.grad.numpy(),
                                         np.float32([1, 2, 3]) / np.float32(size))
opt3.step()
assert_same_on_all_ranks([a.data], "partial gradients")

# ---- deterministic mode equals the one-process reference, bitwise ------------------------
model = make_model(seed=7)
opt = hvd.DistributedOptimizer(pe.optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
                               deterministic=True)
ref = make_model(seed=7)
ref_opt = pe.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
per_rank = [batches(r) for r in range(size)]
for step in range(len(per_rank[0])):
    xb, yb = per_rank[rank][step]
    opt.zero_grad()
    F.cross_entropy(model(xb), yb).backward()
    opt.step()
    total = None  # the reference: each rank's batch gradient in turn, summed in rank order,
    pe.set_num_threads(2)  # with another thread count than the ranks'
    for r in range(size):
        ref_opt.zero_grad()
        F.cross_entropy(ref(per_rank[r][step][0]), per_rank[r][step][1]).backward()
        grads = [p.grad.numpy().copy() for p in ref.parameters()]
        total = grads if total is None else [t + g for t, g in zip(total, grads)]
    for p, t in zip(ref.parameters(), total):
        p.grad = pe.tensor(t / np.float32(size))
    ref_opt.step()
    pe.set_num_threads(1)
    for p, q in zip(model.parameters(), ref.parameters()):
        assert np.array_equal(p.data, q.data), f"step {step}: differs from the reference"
assert_same_on_all_ranks([p.data for p in model.parameters()], "deterministic mode")
print(f"OK torch_loop rank {rank} of {size}", flush=True)
