"""One DistributedDataParallel program, run by torch (torchrun, gloo) or by pyengine (mpiexec)
with only the imports switched (LIB=pe): different initial weights per rank, BatchNorm, momentum
SGD, a no_sync step, a parameter unused on one rank. Saves the final weights and BatchNorm
statistics of each rank to $OUT/<lib>_<rank>.npy (tests/test_distributed.py compares them)."""
import os

import numpy as np

if os.environ.get("LIB") == "pe":
    import pyengine as torch
    import pyengine.nn as nn
    import pyengine.nn.functional as F
    import pyengine.distributed as dist
    from pyengine.nn.parallel import DistributedDataParallel as DDP
else:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel as DDP
    torch.set_num_threads(1)

dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.bn = nn.Linear(6, 16), nn.BatchNorm1d(16)
        self.fc2, self.extra = nn.Linear(16, 3), nn.Linear(16, 3)

    def forward(self, x, use_extra):
        h = F.relu(self.bn(self.fc1(x)))
        return self.fc2(h) + (self.extra(h) if use_extra else 0)


net = Net()
rng = np.random.default_rng(rank)   # different init per rank: DDP must unify to rank 0's
with torch.no_grad():
    for p in net.parameters():
        p.copy_(torch.from_numpy(rng.normal(size=tuple(p.shape)).astype(np.float32) * 0.3))
model = DDP(net, find_unused_parameters=True)
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
data = np.random.default_rng(100).normal(size=(64, 6)).astype(np.float32)
lab = np.random.default_rng(101).integers(0, 3, 64)
for step in range(4):
    i = (step * world + rank) * 8
    x, y = torch.from_numpy(data[i:i + 8]), torch.from_numpy(lab[i:i + 8])
    opt.zero_grad()
    if step == 1:
        with model.no_sync():
            F.cross_entropy(model(x, True), y).backward()
    F.cross_entropy(model(x, step != 2 or rank == 0), y).backward()
    opt.step()
w = np.concatenate([p.detach().numpy().ravel() for p in net.parameters()]
                   + [net.bn.running_mean.numpy(), net.bn.running_var.numpy()])
np.save(os.path.join(os.environ["OUT"], f"{os.environ.get('LIB', 'torch')}_{rank}.npy"), w)
t = torch.tensor([float(rank + 1)] * 3)
dist.all_reduce(t, op=dist.ReduceOp.MAX)
objs = [None] * world
dist.all_gather_object(objs, {"r": rank})
assert t.tolist() == [float(world)] * 3 and [o["r"] for o in objs] == list(range(world))
print(f"OK ddp_vs_torch rank {rank}", flush=True)
dist.destroy_process_group()
