"""MNIST trained data-parallel with PyTorch's names: init_process_group, DistributedDataParallel,
DistributedSampler, on MPI ranks.

    mpiexec -n 2 python examples/ddp_mnist.py --data ../shared/data/mnist.npz
    python examples/ddp_mnist.py --data ../shared/data/mnist.npz                # one rank

Written as a torch.distributed program would be (`import pyengine as torch`); mpiexec takes
torchrun's place. Every rank holds the whole convnet, DistributedSampler gives it its part of
each epoch, and backward() leaves the gradients averaged over the ranks, so the optimizer is
the plain one. Rank 0 prints the loss, the test accuracy and checks that the ranks' weights are
identical. Needs pip install 'pyengine[dist]'.
"""
import argparse
import os
import time

import numpy as np

import pyengine as torch
import pyengine.distributed as dist
import pyengine.nn as nn
import pyengine.nn.functional as F
from pyengine.nn.parallel import DistributedDataParallel as DDP
from pyengine.utils.data import DataLoader, TensorDataset
from pyengine.utils.data.distributed import DistributedSampler


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3)
        self.conv2 = nn.Conv2d(16, 32, 3)
        self.fc1 = nn.Linear(32 * 5 * 5, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))


def main():
    ap = argparse.ArgumentParser(description="DistributedDataParallel MNIST on MPI ranks")
    ap.add_argument("--data", required=True, help="path of a Keras-format mnist.npz")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=64, help="samples per rank per step")
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--train-samples", type=int, default=12000,
                    help="use the first N training images (all: 60000)")
    args = ap.parse_args()

    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    with np.load(os.path.abspath(args.data), allow_pickle=False) as f:
        n = args.train_samples
        x_train = f["x_train"][:n, None].astype(np.float32) / 255.0
        y_train = f["y_train"][:n].astype(np.int64)
        x_test = f["x_test"][:, None].astype(np.float32) / 255.0
        y_test = f["y_test"].astype(np.int64)
    train_set = TensorDataset(torch.from_numpy(x_train), torch.from_numpy(y_train))
    sampler = DistributedSampler(train_set, shuffle=True, seed=0)
    loader = DataLoader(train_set, batch_size=args.batch_size, sampler=sampler)

    torch.manual_seed(rank)  # different starts: DDP gives every rank rank 0's weights
    model = DDP(Net())
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    if rank == 0:
        print(f"{world} rank(s) ({dist.get_backend()}), {len(sampler)} samples per rank per "
              f"epoch, {torch.get_num_threads()} thread(s) per rank", flush=True)
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        model.train()
        start, total, steps = time.perf_counter(), 0.0, 0
        for x, y in loader:
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            total, steps = total + loss.item(), steps + 1
        mean = torch.tensor([total / max(steps, 1)])
        dist.all_reduce(mean, op=dist.ReduceOp.AVG)
        if rank == 0:
            print(f"epoch {epoch + 1}: mean loss over ranks {mean.item():.4f}, "
                  f"{(time.perf_counter() - start) * 1e3 / max(steps, 1):.1f} ms/step", flush=True)

    model.eval()
    with torch.no_grad():
        pred = model.module(torch.from_numpy(x_test)).argmax(1).numpy()
    weights = np.concatenate([p.detach().numpy().ravel() for p in model.module.parameters()])
    first = weights.copy()
    dist.broadcast(first, src=0)
    same = torch.tensor([int(np.array_equal(first, weights))])
    dist.all_reduce(same, op=dist.ReduceOp.MIN)
    if rank == 0:
        print(f"test accuracy {np.mean(pred == y_test):.4f}; weights identical on every rank: "
              f"{bool(same.item())}", flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
