"""RBM training speed: pyengine's BernoulliRBM next to scikit-learn's, and one CD-1 update
next to the same update in NumPy and PyTorch, in the same process.

    python bench/bench_rbm.py            # table of times and ratios (several runs, min)
    python bench/bench_rbm.py --runs 5

Workloads:
  digits fit   scikit-learn's digit example: 7188 x 64 nudged digits (float32), 100 hidden units,
               lr 0.06, batch 10, 10 epochs of persistent CD-1. pyengine's fit also records the
               per-epoch history (reconstruction error and pseudo-likelihood on 1000 rows);
               scikit-learn's computes nothing extra (verbose=0).
  cd1 784x500  one CD-1 update on a batch of 100 MNIST-sized rows, 500 hidden units, float32:
               pyengine's fused kernel vs the same math written in NumPy (sigmoid, uniform,
               matmuls) and in PyTorch.
Ratio > 1 means pyengine is faster. The machine may be shared: compare ratios, not times; the
CPU-time ratio of the digits fit (time.process_time, every thread of the process) does not
depend on what else runs on the machine. pyengine's fit runs each epoch in one kernel call.
"""
import argparse
import time

import numpy as np

import pyengine as pe
from pyengine.backend import cpu as backend
from pyengine.models import BernoulliRBM

try:
    import sklearn
    from sklearn.neural_network import BernoulliRBM as SkRBM
except ImportError:
    sklearn = None
try:
    import torch
except ImportError:
    torch = None


def best(fn, runs):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def digits():
    from scipy.ndimage import convolve
    from sklearn.datasets import load_digits
    from sklearn.preprocessing import minmax_scale
    X, _ = load_digits(return_X_y=True)
    X = np.asarray(X, "float32")
    shifts = [[[0, 1, 0], [0, 0, 0], [0, 0, 0]], [[0, 0, 0], [1, 0, 0], [0, 0, 0]],
              [[0, 0, 0], [0, 0, 1], [0, 0, 0]], [[0, 0, 0], [0, 0, 0], [0, 1, 0]]]
    X = np.concatenate([X] + [np.apply_along_axis(
        lambda x, w: convolve(x.reshape(8, 8), mode="constant", weights=w).ravel(), 1, X, w)
        for w in shifts])
    return minmax_scale(X)[:int(0.8 * len(X))]


def bench_digits(runs):
    if sklearn is None:
        print("digits fit: scikit-learn not installed, skipped")
        return
    X = digits()
    kw = dict(n_components=100, learning_rate=0.06, n_iter=10, random_state=0)
    wall = {"pe": [], "batch": [], "sk": []}
    cpu = {"pe": [], "batch": [], "sk": []}
    for _ in range(runs):  # interleaved, so that all see the same machine load
        for name, cls in (("pe", BernoulliRBM), ("batch", PerBatchRBM), ("sk", SkRBM)):
            t0, c0 = time.perf_counter(), time.process_time()
            cls(**kw).fit(X)
            wall[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
    t_pe, t_sk = min(wall["pe"]), min(wall["sk"])
    print(f"digits fit {X.shape} {X.dtype}: pyengine {t_pe:.3f}s  scikit-learn {t_sk:.3f}s  "
          f"ratio sklearn/pyengine {t_sk / t_pe:.2f}x (min of {runs}; all runs pyengine "
          f"{' '.join(f'{t:.2f}' for t in wall['pe'])}, scikit-learn "
          f"{' '.join(f'{t:.2f}' for t in wall['sk'])})")
    c_pe, c_sk = min(cpu["pe"]), min(cpu["sk"])
    print(f"digits fit CPU time (all threads; insensitive to other processes): pyengine "
          f"{c_pe:.3f}s  scikit-learn {c_sk:.3f}s  ratio {c_sk / c_pe:.2f}x")
    print(f"digits fit, one kernel call per batch instead of per epoch: wall "
          f"{min(wall['batch']):.3f}s, CPU {min(cpu['batch']):.3f}s")


class PerBatchRBM(BernoulliRBM):
    """fit with one rbm_cd_step call per batch (the loop before rbm_cd_epoch; same model)."""

    def _update(self, X, momentum, bounds=None):
        if bounds is None:
            return super()._update(X, momentum)
        return sum(super(PerBatchRBM, self)._update(X[a:b], momentum)
                   for a, b in zip(bounds[:-1], bounds[1:]))


def cd1_numpy(v, W, bh, bv, rng, lr=0.01):
    h = 1 / (1 + np.exp(-(v @ W.T + bh)))
    hs = (rng.random(h.shape, np.float32) < h).astype(np.float32)
    vm = 1 / (1 + np.exp(-(hs @ W + bv)))
    vs = (rng.random(vm.shape, np.float32) < vm).astype(np.float32)
    hn = 1 / (1 + np.exp(-(vs @ W.T + bh)))
    W += lr * (h.T @ v - hn.T @ vs) / len(v)
    bh += lr * (h - hn).mean(0)
    bv += lr * (v - vs).mean(0)


def cd1_torch(v, W, bh, bv, lr=0.01):
    h = torch.sigmoid(v @ W.T + bh)
    hs = (torch.rand_like(h) < h).float()
    vm = torch.sigmoid(hs @ W + bv)
    vs = (torch.rand_like(vm) < vm).float()
    hn = torch.sigmoid(vs @ W.T + bh)
    W += lr * (h.T @ v - hn.T @ vs) / len(v)
    bh += lr * (h - hn).mean(0)
    bv += lr * (v - vs).mean(0)


def bench_cd1(runs, batch=100, nv=784, nh=500, reps=20):
    rng = np.random.default_rng(0)
    v = (rng.random((batch, nv)) < 0.2).astype(np.float32)
    W = rng.normal(0, 0.01, (nh, nv)).astype(np.float32)
    bh, bv = np.zeros(nh, np.float32), np.zeros(nv, np.float32)
    vel = (np.zeros_like(W), np.zeros_like(bh), np.zeros_like(bv))

    def ours():
        for i in range(reps):
            backend.rbm_cd_step(v, W, bh, bv, *vel, None, 1, "bernoulli", 0.01, 0.0, 0.0, 0.1,
                                0.0, 1, i * 4)
    t_pe = best(ours, runs) / reps
    t_np = best(lambda: [cd1_numpy(v, W.copy(), bh.copy(), bv.copy(), rng)
                         for _ in range(reps)], runs) / reps
    line = (f"cd1 {batch}x{nv}->{nh} float32: pyengine {t_pe * 1e3:.2f} ms  numpy "
            f"{t_np * 1e3:.2f} ms ({t_np / t_pe:.2f}x)")
    if torch is not None:
        tv, tW = torch.from_numpy(v), torch.from_numpy(W.copy())
        tbh, tbv = torch.zeros(nh), torch.zeros(nv)
        t_t = best(lambda: [cd1_torch(tv, tW, tbh, tbv) for _ in range(reps)], runs) / reps
        line += f"  torch {t_t * 1e3:.2f} ms ({t_t / t_pe:.2f}x)"
    print(line)


def main():
    ap = argparse.ArgumentParser(description="RBM benchmarks")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    print(f"pyengine threads {pe.get_num_threads()}, ISA {pe._C.cpu_isa()}")
    bench_cd1(args.runs)
    bench_digits(args.runs)


if __name__ == "__main__":
    main()
