"""One step of Adadelta / Adamax / NAdam: pyengine's fused C++ update vs torch.optim (its default
foreach path), same process, same parameter shapes (an MLP-sized set, ~1.2M parameters).

    PYTHONPATH=. python3 bench/bench_optim_extra.py [--runs 5] [--threads N]

Prints the median time per step over `--runs` runs of 50 steps and pe/torch (below 1: pyengine
faster)."""
import argparse
import time

import numpy as np

import pyengine as pe

SHAPES = [(784, 512), (512,), (512, 512), (512,), (512, 512), (512,), (512, 10), (10,)]


def _time(step, n=50):
    step()
    t0 = time.perf_counter()
    for _ in range(n):
        step()
    return (time.perf_counter() - t0) / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=None, help="both libraries (default: pe's)")
    a = ap.parse_args()
    if a.threads:
        pe.set_num_threads(a.threads)
    try:
        import torch
        torch.set_num_threads(pe.get_num_threads())
    except ImportError:
        torch = None
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    grads = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    for name in ("Adadelta", "Adamax", "NAdam"):
        ps = [pe.tensor(x, requires_grad=True) for x in arrays]
        for p, g in zip(ps, grads):
            p.grad = pe.tensor(g)
        opt = getattr(pe.optim, name)(ps, lr=1e-3)
        pe_t = sorted(_time(opt.step) for _ in range(a.runs))[a.runs // 2]
        line = f"{name:9s} pyengine {pe_t * 1e3:7.3f} ms/step"
        if torch is not None:
            tp = [torch.tensor(x, requires_grad=True) for x in arrays]
            for p, g in zip(tp, grads):
                p.grad = torch.tensor(g)
            topt = getattr(torch.optim, name)(tp, lr=1e-3)
            t_t = sorted(_time(topt.step) for _ in range(a.runs))[a.runs // 2]
            line += f"   torch {t_t * 1e3:7.3f} ms/step   pe/torch {pe_t / t_t:5.2f}"
        print(line)


if __name__ == "__main__":
    main()
