"""Convolution and pooling benchmarks, pyengine next to PyTorch CPU (when installed).

    python bench/bench_conv.py            # one table: ms forward, ms forward+backward, ratios
    pytest bench/bench_conv.py  # the same cases as a pytest-benchmark suite

Ratio = torch time / pyengine time (> 1: pyengine is faster). Both run on the same number of
threads (PYENGINE_BENCH_THREADS, default 2); best of several repeats, since the machine is shared.

The script runs with glibc's mmap threshold raised (it re-executes itself once with
MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ set). Without it, PyTorch's allocator maps fresh
pages for every large output: measured here, about 3800 page faults per call for the 11 MiB
output of MNIST conv1, whose time then swung between 1 and 15 ms from run to run. With it, both
libraries reuse freed memory and the table compares kernels, not page faults (NumPy's arrays,
which pyengine returns, already fault less: it asks for huge pages for large arrays).
"""
import os
import sys
import time

import numpy as np

# Imports the installed pyengine (for a source tree built in place: PYTHONPATH=.).
import pyengine as pe  # noqa: E402
import pyengine.nn.functional as F  # noqa: E402

try:
    import torch
except ImportError:  # torch is optional: its columns are left out
    torch = None

THREADS = int(os.environ.get("PYENGINE_BENCH_THREADS", "2"))

# name: (input shape, weight shape or None for pooling, conv/pool keyword arguments, input grad?)
CASES = {
    "mnist conv1 1->32 3x3 28x28 b128": ((128, 1, 28, 28), (32, 1, 3, 3), {}, False),
    "mnist conv2 32->64 3x3 13x13 b128": ((128, 32, 13, 13), (64, 32, 3, 3), {}, True),
    "cifar conv1 3->32 3x3 p1 32x32 b128": ((128, 3, 32, 32), (32, 3, 3, 3), {"padding": 1}, False),
    "resnet 64->64 3x3 p1 56x56 b8": ((8, 64, 56, 56), (64, 64, 3, 3), {"padding": 1}, True),
    "depthwise 64ch 3x3 p1 56x56 b8": ((8, 64, 56, 56), (64, 1, 3, 3),
                                       {"padding": 1, "groups": 64}, True),
    "max_pool2d 2x2 32ch 26x26 b128": ((128, 32, 26, 26), None, {"kernel_size": 2}, True),
}


def make_case(name, lib):
    """Returns (forward, forward_backward) closures for `lib` in ('pe', 'torch')."""
    xs, ws, kw, x_grad = CASES[name]
    rng = np.random.default_rng(0)
    x = rng.standard_normal(xs).astype(np.float32)
    w = None if ws is None else (rng.standard_normal(ws) * 0.1).astype(np.float32)
    b = None if ws is None else rng.standard_normal(ws[0]).astype(np.float32)
    if lib == "pe":
        mk = lambda a, g: pe.tensor(a, requires_grad=g)  # noqa: E731
        conv, pool, grad_ctx = F.conv2d, F.max_pool2d, pe.no_grad
    else:
        mk = lambda a, g: torch.tensor(a, requires_grad=g)  # noqa: E731
        conv, pool, grad_ctx = torch.nn.functional.conv2d, torch.nn.functional.max_pool2d, \
            torch.no_grad
    X = mk(x, x_grad)
    params = [] if w is None else [mk(w, True), mk(b, True)]
    if w is None:
        op = lambda: pool(X, **kw)  # noqa: E731
    else:
        op = lambda: conv(X, params[0], params[1], **kw)  # noqa: E731
    gy = None

    def forward():
        with grad_ctx():
            return op()

    def forward_backward():
        nonlocal gy
        for t in [X] + params:
            t.grad = None
        y = op()
        if gy is None:
            gy = mk(np.ones(tuple(y.shape), np.float32), False)
        y.backward(gy)

    return forward, forward_backward


def time_once(fn, min_time=0.02, max_calls=20):
    """Mean time of back-to-back calls over at least min_time seconds."""
    n, t0 = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        el = time.perf_counter() - t0
        if el >= min_time or n >= max_calls:
            return el / n


def measure(fns, rounds):
    """Best time (ms) of each fn. The fns take turns within each round, so pyengine and torch see
    the same background load on a shared machine."""
    for f in fns:
        f()  # warm-up (allocations, lazy init)
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for i, f in enumerate(fns):
            best[i] = min(best[i], time_once(f))
    return [b * 1e3 for b in best]


def steady_allocator():
    """Re-executes this script once with glibc's mmap threshold raised (see the docstring)."""
    if sys.platform.startswith("linux") and "MALLOC_MMAP_THRESHOLD_" not in os.environ:
        env = dict(os.environ, MALLOC_MMAP_THRESHOLD_=str(1 << 30),
                   MALLOC_TRIM_THRESHOLD_=str(1 << 30))
        os.execve(sys.executable, [sys.executable] + sys.argv, env)


def main():
    rounds = int(os.environ.get("PYENGINE_BENCH_ROUNDS", "15"))
    pe.set_num_threads(THREADS)
    if torch is not None:
        torch.set_num_threads(THREADS)
    print(f"pyengine {pe.__version__} isa={pe._C.cpu_isa()} threads={THREADS} rounds={rounds}; "
          f"torch {torch.__version__ if torch else 'not installed'}")
    head = f"{'layer':36s} {'pe fwd':>8s} {'pe f+b':>8s}"
    if torch is not None:
        head += f" {'torch fwd':>9s} {'torch f+b':>9s} {'ratio fwd':>9s} {'ratio f+b':>9s}"
    print(head + "   (ms; ratio = torch / pyengine, >1 = pyengine faster)")
    for name in CASES:
        fns = list(make_case(name, "pe")) + (list(make_case(name, "torch")) if torch else [])
        t = measure(fns, rounds)
        row = f"{name:36s} {t[0]:8.3f} {t[1]:8.3f}"
        if torch is not None:
            row += f" {t[2]:9.3f} {t[3]:9.3f} {t[2] / t[0]:9.2f} {t[3] / t[1]:9.2f}"
        print(row, flush=True)


# ---- pytest-benchmark suite -------------------------------------------------------------------
try:
    import pytest

    @pytest.mark.parametrize("mode", ["fwd", "fwd+bwd"])
    @pytest.mark.parametrize("name", list(CASES))
    @pytest.mark.parametrize("lib", ["pe", "torch"])
    def test_conv_bench(benchmark, lib, name, mode):
        if lib == "torch":
            if torch is None:
                pytest.skip("torch not installed")
            torch.set_num_threads(THREADS)
        pe.set_num_threads(THREADS)
        f, fb = make_case(name, lib)
        benchmark.group = f"{name} {mode}"
        benchmark(f if mode == "fwd" else fb)
except ImportError:
    pass

if __name__ == "__main__":
    steady_allocator()
    main()
