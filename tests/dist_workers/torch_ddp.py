"""MPI worker: PyTorch's torch.distributed names (init_process_group, the in-place collectives)
and DistributedDataParallel: gradients equal the average of the ranks' gradients computed
without the wrapper, parameters stay bitwise identical across ranks, no_sync accumulation,
unused parameters, buffers, bucket pieces, gradient views; bad arguments raise on every rank."""
import os

import numpy as np

import pyengine as pe
import pyengine.distributed as dist
import pyengine.nn as nn
import pyengine.nn.functional as F
from common import assert_same_on_all_ranks
from pyengine.nn.parallel import DistributedDataParallel as DDP


def raises(exc, text, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except exc as e:
        assert text in str(e), f"{fn.__name__}: {e}"
        return
    raise AssertionError(f"{fn.__name__}{args}{kwargs} did not raise {exc.__name__}")


# ---- before init: arguments that never reach MPI ------------------------------------------
raises(RuntimeError, "needs CUDA GPUs", dist.init_process_group, "nccl")
raises(ValueError, "unknown backend 'foo'", dist.init_process_group, "foo")
raises(ValueError, "timeout=", dist.init_process_group, "gloo", timeout=5)
raises(ValueError, "init_method must be", dist.init_process_group, "gloo", init_method="x")
assert not dist.is_initialized()

# ---- a world size that is not MPI's: an error on every rank, then a proper start ------------
raises(RuntimeError, "mpiexec -n", dist.init_process_group, "gloo", world_size=7)
assert not dist.is_initialized()
dist.init_process_group("gloo", init_method="env://")
rank, size = dist.get_rank(), dist.get_world_size()
assert (rank, size) == (dist.rank(), dist.size()) and dist.get_backend() == "gloo"
assert os.environ["RANK"] == str(rank) and os.environ["WORLD_SIZE"] == str(size)
assert int(os.environ["LOCAL_RANK"]) == dist.local_rank()
raises(RuntimeError, "twice", dist.init_process_group, "gloo")
raises(ValueError, "only the default group", dist.get_rank, group="other")
assert dist.get_rank(group=dist.group.WORLD) == rank

# ---- collectives, in place ----------------------------------------------------------------
t = pe.tensor([float(rank), 1.0])
v0 = t._version
assert dist.all_reduce(t) is None and t.numpy().tolist() == [sum(range(size)), size]
assert t._version == v0 + 1  # an in-place write, seen by autograd's version checks
a = np.full(3, rank + 1, np.float32)
work = dist.all_reduce(a, op=dist.ReduceOp.AVG, async_op=True)
assert work.wait() and work.is_completed()
assert np.array_equal(a, np.full(3, np.float32(sum(range(1, size + 1))) / np.float32(size)))
m = pe.tensor([rank, -rank])
dist.all_reduce(m, op=dist.ReduceOp.MAX)
assert m.numpy().tolist() == [size - 1, 0]
bits = np.array([1 << rank], np.int64)
dist.all_reduce(bits, op=dist.ReduceOp.BOR)
assert bits[0] == (1 << size) - 1
raises(TypeError, "integer or bool", dist.all_reduce, np.zeros(2), op=dist.ReduceOp.BAND)
strided = np.arange(8, dtype=np.float64).reshape(2, 4)[:, ::2] * (rank + 1)  # not contiguous
dist.all_reduce(strided)
assert np.array_equal(strided, np.array([[0, 2], [4, 6]]) * (size * (size + 1) / 2))

r = np.full(2, float(rank + 1))
dist.reduce(r, dst=size - 1)
assert np.array_equal(r, np.full(2, size * (size + 1) / 2 if rank == size - 1 else rank + 1.0))

b = pe.tensor([float(rank)] * 4)
assert dist.broadcast(b, src=size - 1) is None and b.numpy().tolist() == [size - 1.0] * 4
b2 = pe.tensor([float(rank)] * 2)
c = dist.broadcast(b2, root_rank=0)  # Horovod's form: a copy, the argument untouched
assert c.numpy().tolist() == [0.0, 0.0] and b2.numpy().tolist() == [float(rank)] * 2

outs = [pe.zeros(2, 3) for _ in range(size)]
dist.all_gather(outs, pe.full((2, 3), float(rank)))
assert [o.numpy()[0, 0] for o in outs] == list(range(size))
raises(ValueError, f"a list of {size} tensors", dist.all_gather, outs + outs[:1], pe.zeros(2, 3))
flat = np.zeros((2 * size, 3), np.float32)
dist.all_gather_into_tensor(flat, np.full((2, 3), rank, np.float32))
assert flat[::2, 0].tolist() == list(range(size))

gl = [np.zeros(2) for _ in range(size)] if rank == 0 else None
dist.gather(np.full(2, rank * 10.0), gl, dst=0)
assert rank != 0 or [g[0] for g in gl] == [10.0 * k for k in range(size)]
s = np.zeros(3)
dist.scatter(s, [np.full(3, 100.0 + k) for k in range(size)] if rank == 1 % size else None,
             src=1 % size)
assert np.array_equal(s, np.full(3, 100.0 + rank))

objs = [None] * size
dist.all_gather_object(objs, {"rank": rank, "name": f"r{rank}"})
assert [o["rank"] for o in objs] == list(range(size))
lst = [rank, "x"] if rank == 0 else [None, None]
dist.broadcast_object_list(lst, src=0)
assert lst == [0, "x"]
assert dist.barrier() is None


# ---- DistributedDataParallel ---------------------------------------------------------------
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.spare = nn.Linear(5, 8), nn.Linear(8, 3), nn.Linear(8, 3)
        self.bn = nn.BatchNorm1d(8)

    def forward(self, x, use_spare=False):
        h = F.relu(self.bn(self.fc1(x)))
        out = self.fc2(h)
        return out + self.spare(h) if use_spare else out


def make(seed):
    pe.manual_seed(seed)
    return Net()


rng = np.random.default_rng(0)
X = rng.normal(size=(size * 4 * 6, 5)).astype(np.float32)
Y = rng.integers(0, 3, size=len(X))


def batch(step, r):  # rank r's batch of 4 at this step
    i = (step * size + r) * 4
    return pe.tensor(X[i:i + 4]), pe.tensor(Y[i:i + 4])


def local_grads(model, steps, r, use_spare=True):
    """The sum over `steps` of rank r's gradients, computed without the wrapper."""
    for p in model.parameters():
        p.grad = None
    for step in steps:
        xb, yb = batch(step, r)
        F.cross_entropy(model(xb, use_spare), yb).backward()
    return [None if p.grad is None else p.grad.numpy().copy() for p in model.parameters()]


raises(ValueError, "CUDA devices", DDP, make(0), device_ids=[0])
raises(ValueError, "check_reduction=True", DDP, make(0), check_reduction=True)
raises(ValueError, "bucket_cap_mb", DDP, make(0), bucket_cap_mb=-1)
raises(TypeError, "pyengine.nn.Module", DDP, lambda x: x)

model = make(seed=10 + rank)  # different weights per rank: the wrapper starts them alike
ddp = DDP(model, find_unused_parameters=True)
assert ddp.module is model and list(ddp.state_dict())[0] == "module.fc1.weight"
assert_same_on_all_ranks([p.numpy() for p in model.parameters()], "after DDP()")
# the reference: rank 0's weights, a plain copy that never communicates
ref = make(seed=10)
ref.load_state_dict(model.state_dict())
opt = pe.optim.SGD(ddp.parameters(), lr=0.1)
for step in range(3):
    per_rank = [local_grads(ref, [step], k) for k in range(size)]
    opt.zero_grad()
    xb, yb = batch(step, rank)
    F.cross_entropy(ddp(xb, True), yb).backward()
    for p, *gs in zip(model.parameters(), *per_rank):
        want = sum(gs[1:], gs[0]) / np.float32(size)
        np.testing.assert_allclose(p.grad.numpy(), want, rtol=2e-6, atol=2e-7)
    opt.step()
    ref.load_state_dict(model.state_dict())
    assert_same_on_all_ranks([p.numpy() for p in model.parameters()], f"DDP step {step}")

# no_sync: two local backward passes, then one synchronised: the average of the sums
opt.zero_grad()
sums = [local_grads(ref, [3, 4, 5], k) for k in range(size)]
for step in (3, 4):
    with ddp.no_sync():
        xb, yb = batch(step, rank)
        F.cross_entropy(ddp(xb, True), yb).backward()
local = [p.grad.numpy().copy() for p in model.parameters()]
mine = local_grads(ref, [3, 4], rank)
for g, w in zip(local, mine):  # not yet averaged: this rank's own sum
    np.testing.assert_allclose(g, w, rtol=2e-6, atol=2e-7)
xb, yb = batch(5, rank)
F.cross_entropy(ddp(xb, True), yb).backward()
for p, *gs in zip(model.parameters(), *sums):
    np.testing.assert_allclose(p.grad.numpy(), sum(gs[1:], gs[0]) / np.float32(size),
                               rtol=5e-6, atol=5e-7)

# a parameter unused by every rank keeps grad None; unused on one rank only: zeros from it
opt.zero_grad()
xb, yb = batch(0, rank)
F.cross_entropy(ddp(xb), yb).backward()
assert model.spare.weight.grad is None and model.fc2.weight.grad is not None
opt.zero_grad()
F.cross_entropy(ddp(xb, rank == 0), yb).backward()
if size > 1:
    names = [n for n, _ in ref.named_parameters()]
    spare0 = local_grads(ref, [0], 0)[names.index("spare.weight")]  # rank 0's gradient
    np.testing.assert_allclose(model.spare.weight.grad.numpy(), spare0 / np.float32(size),
                               rtol=2e-6, atol=2e-7)

# without find_unused_parameters: an error on every rank, from backward()
strict = DDP(make(seed=3))
strict.zero_grad()
raises(RuntimeError, "find_unused_parameters=True",
       lambda: F.cross_entropy(strict(xb), yb).backward())
strict.zero_grad()
F.cross_entropy(strict(xb, True), yb).backward()  # all used: fine

# autograd.grad() writes no .grad and does not synchronise
strict.zero_grad()
gw = pe.autograd.grad(F.cross_entropy(strict(xb, True), yb), [strict.module.fc1.weight])[0]
assert strict.module.fc1.weight.grad is None and gw.shape == (8, 5)

# broadcast_buffers: rank 0's BatchNorm statistics before each forward
model.bn.running_mean.numpy()[...] = rank
ddp.eval()
ddp(xb)
assert np.array_equal(model.bn.running_mean.numpy(), np.zeros(8, np.float32))
ddp.train()

# bucket pieces and gradient views give the same averaged gradients
pieces = DDP(make(seed=5), bucket_cap_mb=64 / 2 ** 20, gradient_as_bucket_view=True,
             find_unused_parameters=True)
whole = DDP(make(seed=5), find_unused_parameters=True)
for w in (pieces, whole):
    w.zero_grad()
    F.cross_entropy(w(xb, True), yb).backward()
for p, q in zip(pieces.parameters(), whole.parameters()):
    np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-6, atol=1e-7)
if size > 1:  # views of the one reduction buffer
    grads = [p.grad.numpy() for p in pieces.parameters()]
    assert grads[0].base is not None and grads[0].base is grads[1].base

dist.destroy_process_group()
assert not dist.is_initialized()
dist.init_process_group(backend="mpi")  # again, after destroy
assert dist.get_backend() == "mpi" and dist.get_world_size() == size
print(f"OK torch_ddp rank {rank} of {size}", flush=True)
dist.destroy_process_group()
