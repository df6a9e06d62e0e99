"""Hogwild training on MNIST (Recht et al. 2011), the shape of pytorch/examples' mnist_hogwild on
pyengine: `import torch.multiprocessing as mp` became `import pyengine.multiprocessing as mp`.

    python examples/mnist_hogwild.py --data ../shared/data/mnist.npz   # 2 processes, 1 epoch
    python examples/mnist_hogwild.py --quick                           # seconds, tiny

The parent builds the model and moves its weights into shared memory (`model.share_memory()`);
each of --num-processes children (started with 'spawn': pyengine's OpenMP pool does not survive
fork) receives the model by reference, runs its own data loader and optimizer, and writes its
SGD steps straight into the shared weights without locks. The parent then tests the model the
children trained. Each child runs one kernel thread (OMP_NUM_THREADS=1 is set for them unless
the environment sets it), so the processes, not threads, share the cores.
"""
import argparse
import os
import time

import numpy as np

import pyengine as torch                    # was: import torch
import pyengine.multiprocessing as mp       # was: import torch.multiprocessing as mp
import pyengine.nn as nn                    # was: import torch.nn as nn
import pyengine.nn.functional as F          # was: import torch.nn.functional as F
from pyengine.utils.data import DataLoader, TensorDataset

from _pictures import load_mnist, synthetic_digits


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
        self.conv2_drop = nn.Dropout2d()
        self.fc1 = nn.Linear(320, 50)
        self.fc2 = nn.Linear(50, 10)

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
        x = x.view(-1, 320)
        x = F.relu(self.fc1(x))
        x = F.dropout(x, training=self.training)
        return F.log_softmax(self.fc2(x), dim=1)


def train(rank, args, model, dataset):
    """One Hogwild worker: its own shuffling and optimizer, the shared weights."""
    torch.manual_seed(args.seed + rank)
    loader = DataLoader(dataset, batch_size=args.batch_size, shuffle=True)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    model.train()
    for epoch in range(1, args.epochs + 1):
        for batch_idx, (data, target) in enumerate(loader):
            optimizer.zero_grad()
            loss = F.nll_loss(model(data), target)
            loss.backward()
            optimizer.step()
            if batch_idx % args.log_interval == 0:
                print(f"{os.getpid()}\tTrain Epoch: {epoch} [{batch_idx * len(data)}/"
                      f"{len(loader.dataset)}]\tLoss: {loss.item():.6f}", flush=True)


def test(model, dataset, batch_size):
    model.eval()
    loss, correct = 0.0, 0
    with torch.no_grad():
        for data, target in DataLoader(dataset, batch_size=batch_size):
            output = model(data)
            loss += F.nll_loss(output, target, reduction="sum").item()
            correct += (output.argmax(1) == target).sum().item()
    n = len(dataset)
    print(f"\nTest set: Average loss: {loss / n:.4f}, Accuracy: {correct}/{n} "
          f"({100.0 * correct / n:.2f}%)")
    return correct / n


def as_dataset(images, labels):
    x = (images[:, None] - 0.1307) / 0.3081  # torchvision's MNIST normalisation
    return TensorDataset(torch.from_numpy(x.astype(np.float32)), torch.from_numpy(labels))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description="Hogwild MNIST (pe.multiprocessing)")
    ap.add_argument("--data", help="Keras-format mnist.npz (default: synthetic with --quick)")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--test-batch-size", type=int, default=1000)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--momentum", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--log-interval", type=int, default=100)
    ap.add_argument("--num-processes", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="tiny run (tests): 512 images")
    args = ap.parse_args()
    if args.data:
        (x_train, y_train), (x_test, y_test) = load_mnist(args.data)
    elif args.quick:
        x_train, y_train = synthetic_digits(512, args.seed)
        x_test, y_test = synthetic_digits(256, args.seed + 1)
    else:
        ap.error("--data is required unless --quick")
    if args.quick:
        x_train, y_train, x_test, y_test = x_train[:512], y_train[:512], x_test[:256], y_test[:256]
    train_set, test_set = as_dataset(x_train, y_train), as_dataset(x_test, y_test)

    torch.manual_seed(args.seed)
    mp.set_start_method("spawn", force=True)
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # read by the children as they start
    model = Net()
    model.share_memory()  # gradients are allocated lazily, so they are not shared here

    t0 = time.perf_counter()
    processes = []
    for rank in range(args.num_processes):
        p = mp.Process(target=train, args=(rank, args, model, train_set))
        p.start()
        processes.append(p)
    for p in processes:
        p.join()
    if any(p.exitcode != 0 for p in processes):
        raise SystemExit(f"a worker failed: exit codes {[p.exitcode for p in processes]}")
    print(f"trained {args.epochs} epoch(s) in {args.num_processes} processes in "
          f"{time.perf_counter() - t0:.1f} s")
    test(model, test_set, args.test_batch_size)
