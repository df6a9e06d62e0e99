"""DataLoader workers: threads (what pe.utils.data uses) vs processes, same process, several runs.

    PYTHONPATH=. python3 bench/bench_dataloader.py [--runs 3]

Three per-sample workloads: "io" (a slow __getitem__ that waits 0.5 ms, as reading a file or
a network store does), "numpy" (an augmentation on a 3x96x96 image: flip, normalise, a 3x3 box
blur; NumPy releases the GIL) and "python" (a pure-Python loop holding the GIL). The process
variant maps the same batches over a multiprocessing Pool ("forkserver": fork-safe), pickling
each batch back, which is what a process-based loader must pay.

The "ahead" lines measure loading ahead of the model: a loop that does a training step's worth
of C++ work per batch (a 384x384 matmul chain, GIL released) on the "io" dataset, with
num_workers=0 (load, then compute) and num_workers=2 (the next batches load during the step).
"""
import argparse
import multiprocessing as mp
import time

import numpy as np

from pyengine.utils.data import DataLoader, Dataset, default_collate


class Aug(Dataset):
    def __init__(self, n, kind):
        self.n, self.kind = n, kind
        self.img = np.random.default_rng(0).random((3, 96, 96), dtype=np.float32)

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if self.kind == "io":
            time.sleep(0.0005)
            return self.img[0, :8, :8].copy(), i
        if self.kind == "numpy":
            x = self.img[:, :, ::-1] * 0.5 - 0.25
            x = (x[:, :-2, :-2] + x[:, 1:-1, 1:-1] + x[:, 2:, 2:]) / 3.0
            return np.ascontiguousarray(x), i
        s = 0
        for k in range(3000):
            s += k * i % 7
        return np.float32(s), i


def _batch(args):
    ds, idx = args
    return default_collate([ds[i] for i in idx])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--n", type=int, default=512)
    a = ap.parse_args()
    ctx = mp.get_context("forkserver")
    for kind in ("io", "numpy", "python"):
        ds = Aug(a.n, kind)
        batches = [list(range(k, min(k + 32, a.n))) for k in range(0, a.n, 32)]
        with ctx.Pool(2) as pool:
            pool.map(_batch, [(ds, batches[0])])  # start-up not timed
            for r in range(a.runs):
                t = {}
                for name, w in (("serial", 0), ("threads x2", 2)):
                    t0 = time.perf_counter()
                    for _ in DataLoader(ds, batch_size=32, num_workers=w):
                        pass
                    t[name] = time.perf_counter() - t0
                t0 = time.perf_counter()
                for _ in pool.imap(_batch, [(ds, b) for b in batches]):
                    pass
                t["processes x2"] = time.perf_counter() - t0
                print(f"{kind:7s} run {r}: " + "  ".join(
                    f"{k} {v * 1e3:7.1f} ms ({t['serial'] / v:4.2f}x)" for k, v in t.items()))
    ahead(a.runs, a.n)


def ahead(runs, n):
    """Loading overlapped with compute: the time of a loop over the 'io' dataset with a fixed
    amount of GIL-free work per batch, num_workers 0 vs 2."""
    import pyengine as pe
    ds = Aug(n, "io")
    w = pe.randn(384, 384) * 0.05
    h = pe.randn(32, 384)

    def step():
        y = h
        for _ in range(12):
            y = (y @ w).tanh()
        return y
    for r in range(runs):
        t = {}
        for name, workers in (("compute only", None), ("serial", 0), ("workers x2", 2)):
            t0 = time.perf_counter()
            if workers is None:
                for _ in range(0, n, 32):
                    step()
            else:
                for _ in DataLoader(ds, batch_size=32, num_workers=workers):
                    step()
            t[name] = time.perf_counter() - t0
        print(f"ahead   run {r}: " + "  ".join(f"{k} {v * 1e3:7.1f} ms" for k, v in t.items())
              + f"  serial/workers {t['serial'] / t['workers x2']:4.2f}x")


if __name__ == "__main__":
    main()
