"""DataLoader workers: threads (what pe.utils.data uses) vs processes, same process, several runs.

    PYTHONPATH=. python3 bench/bench_dataloader.py [--runs 3]

Two per-sample workloads: "numpy" (an augmentation on a 3x96x96 image: flip, normalise, a
3x3 box blur; NumPy releases the GIL) and "python" (a pure-Python loop holding the GIL). The
process variant maps the same batches over a multiprocessing Pool ("forkserver": fork-safe),
pickling each batch back, which is what a process-based loader must pay.
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
    for kind in ("numpy", "python"):
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


if __name__ == "__main__":
    main()
