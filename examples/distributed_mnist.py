"""MNIST trained data-parallel on MPI ranks, twice: with Keras `fit` and with a PyTorch-style loop.

    mpiexec -n 2 python examples/distributed_mnist.py --data ../shared/data/mnist.npz
    python examples/distributed_mnist.py --data ../shared/data/mnist.npz      # one rank

Each rank reads its shard of the training set (pyengine.distributed.shard), the optimizer
averages the gradients of every step across ranks, and rank 0 prints the progress and the test
accuracy. The per-rank batch is fixed (--batch-size), so N ranks take N times larger steps over
the data (weak scaling) and the learning rate is scaled by N, as Horovod recommends. The loop
part prints its step time and the share of it spent averaging gradients. On a cluster, see
docs/distributed.md (hostfile, OMP_NUM_THREADS per rank). Needs pip install 'pyengine[dist]'.
"""
import argparse
import os
import time

import numpy as np

import pyengine as pe
import pyengine.distributed as hvd
import pyengine.distributed.keras as hvd_keras
import pyengine.nn as nn
import pyengine.nn.functional as F
from pyengine import keras

ap = argparse.ArgumentParser(description="data-parallel MNIST on MPI ranks")
ap.add_argument("--data", required=True, help="path of a Keras-format mnist.npz")
ap.add_argument("--mode", choices=["keras", "loop", "both"], default="both")
ap.add_argument("--epochs", type=int, default=2)
ap.add_argument("--batch-size", type=int, default=64, help="samples per rank per step")
ap.add_argument("--lr", type=float, default=1e-3, help="learning rate for one rank")
ap.add_argument("--deterministic", action="store_true",
                help="sum the gradients in rank order (bitwise reproducible reduction)")
ap.add_argument("--seed", type=int, default=0)
args = ap.parse_args()

hvd.init()
rank, size = hvd.rank(), hvd.size()
with np.load(os.path.abspath(args.data), allow_pickle=False) as f:
    x_train, y_train = f["x_train"].astype(np.float32) / 255.0, f["y_train"].astype(np.int64)
    x_test, y_test = f["x_test"].astype(np.float32) / 255.0, f["y_test"].astype(np.int64)
x_shard, y_shard = hvd.shard((x_train, y_train))
if rank == 0:
    print(f"{size} rank(s), {len(x_shard)} training samples per rank, "
          f"{pe.get_num_threads()} thread(s) per rank")


def keras_fit():
    pe.manual_seed(args.seed + rank)  # different starts: the broadcast callback unifies them
    model = keras.Sequential([keras.layers.Flatten(input_shape=(28, 28)),
                              keras.layers.Dense(128, activation="relu"),
                              keras.layers.Dense(10)])
    opt = hvd_keras.DistributedOptimizer(keras.optimizers.Adam(args.lr * size),
                                         deterministic=args.deterministic)
    model.compile(optimizer=opt, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    callbacks = [hvd_keras.callbacks.BroadcastGlobalVariablesCallback(0),
                 hvd_keras.callbacks.MetricAverageCallback()]
    model.fit(x_shard, y_shard, batch_size=args.batch_size, epochs=args.epochs,
              verbose=hvd_keras.verbose(), callbacks=callbacks)
    if rank == 0:
        loss, acc = model.evaluate(x_test, y_test, verbose=0)
        print(f"keras fit: test accuracy {acc:.4f}")


def loop():
    pe.manual_seed(args.seed + rank)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = hvd.DistributedOptimizer(pe.optim.Adam(model.parameters(), lr=args.lr * size),
                                   deterministic=args.deterministic)
    hvd.broadcast_parameters(model.state_dict(), root_rank=0)
    n, bs = len(x_shard), args.batch_size
    step_time = comm_time = 0.0
    steps = 0
    for epoch in range(args.epochs):
        order = np.random.default_rng(args.seed * 1000 + epoch * size + rank).permutation(n)
        total = 0.0
        for start in range(0, n, bs):
            idx = order[start:start + bs]
            t0 = time.perf_counter()
            opt.zero_grad()
            loss = F.cross_entropy(model(pe.tensor(x_shard[idx])), pe.tensor(y_shard[idx]))
            loss.backward()
            t1 = time.perf_counter()
            opt.synchronize()  # the gradient average, timed on its own; step() won't redo it
            t2 = time.perf_counter()
            opt.step()
            t3 = time.perf_counter()
            if epoch > 0 or start > 0:  # the first step builds buffers and state
                step_time += t3 - t0
                comm_time += t2 - t1
                steps += 1
            total += loss.item() * len(idx)
        mean_loss = hvd.allreduce(np.array([total / n]))[0]
        if rank == 0:
            print(f"loop epoch {epoch + 1}/{args.epochs}: loss {mean_loss:.4f}")
    if rank == 0:
        with pe.no_grad():
            pred = model(pe.tensor(x_test)).argmax(1).numpy()
        print(f"loop: test accuracy {np.mean(pred == y_test):.4f}")
        ms, share = 1e3 * step_time / steps, 100 * comm_time / step_time
        print(f"loop: step {ms:.2f} ms per rank (batch {bs}), gradient average {share:.1f} % "
              f"of it ({opt._reducer.bytes_per_step / 1e6:.2f} MB per step)")


if args.mode in ("keras", "both"):
    keras_fit()
if args.mode in ("loop", "both"):
    loop()
