"""GEMM throughput: pyengine (`_C.matmul`) next to NumPy (OpenBLAS) and, if importable, PyTorch.

    python bench/bench_gemm.py [passes=3] [--peak GFLOPS]   # the table (square sizes, seed shapes)
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE PYTHONPATH=. python3 bench/bench_gemm.py 5
                                     # NumPy at its native kernel: the issue's comparison
    python bench/bench_gemm.py cpu1            # square sizes, 1 thread, CPU time (shared machine)
    pytest bench/bench_gemm.py       # the same cases as a pytest-benchmark suite

Each case computes out = a @ b into a preallocated out for every library, with the same strided
views for the transposed backward-pass shapes. Each library is timed alone (best of several
repeats) after a pause, so that one library's idle-spinning worker threads do not steal one of
the two cores from the next.
"""
import os
import sys
import time

import numpy as np

# Imports the installed pyengine (for a source tree built in place: PYTHONPATH=.).
from pyengine import _C  # noqa: E402

import fma_peak as peak  # noqa: E402  (bench/fma_peak.py: the script's folder is on sys.path)

try:
    import torch
except ImportError:
    torch = None

# fp32 FMA peak of all cores: measured at start-up with ../shared/tools/fma_peak.c (gcc needed),
# or given by --peak / PYENGINE_PEAK_GFLOPS; this fallback is the 2-core Zen 4 VM's measured value.
PEAK_GFLOPS = max(peak.FALLBACK_GFLOPS.values())


def measure_peak():
    """(GFLOP/s, how it was found): --peak / PYENGINE_PEAK_GFLOPS, else fma_peak.c compiled and
    run here (its all-cores line), else the PEAK_GFLOPS fallback."""
    for i, a in enumerate(sys.argv):
        if a == "--peak":
            return float(sys.argv[i + 1]), "--peak"
    if os.environ.get("PYENGINE_PEAK_GFLOPS"):
        return float(os.environ["PYENGINE_PEAK_GFLOPS"]), "PYENGINE_PEAK_GFLOPS"
    measured = peak.measure(warn=lambda m: print(m, file=sys.stderr))
    if measured:
        top = max(measured)
        return measured[top], "fma_peak.c: " + "; ".join(
            f"threads {t}: {g:.1f} GFLOP/s" for t, g in sorted(measured.items()))
    return PEAK_GFLOPS, "fallback constant (2-core Zen 4 VM)"


def numpy_kernel():
    """OpenBLAS's core type as threadpoolctl reports it (the issue asks which kernel ran)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (pip install threadpoolctl)"
    return ", ".join(f"{i['internal_api']} {i.get('version')} {i.get('architecture')} "
                     f"{i.get('num_threads')} threads" for i in threadpool_info()
                     if i.get("user_api") == "blas") or "no BLAS found"
SQUARE = [64, 128, 256, 512, 1024, 2048]
# (label, M, K, N, a transposed, b transposed): the seed models' forward and backward products.
SEED = [
    ("churn fwd 10x11 @ 11x6", 10, 11, 6, False, False),
    ("churn dW  (11x10).T-view @ 10x6", 11, 10, 6, True, False),
    ("churn dX  10x6 @ (6x11).T-view", 10, 6, 11, False, True),
    ("churn fwd 10x6 @ 6x1", 10, 6, 1, False, False),
    ("mnist fwd 32x784 @ 784x128", 32, 784, 128, False, False),
    ("mnist dW  784x32 @ 32x128 (a.T)", 784, 32, 128, True, False),
    ("mnist dX  32x128 @ 128x784 (b.T)", 32, 128, 784, False, True),
    ("mnist fwd 32x128 @ 128x10", 32, 128, 10, False, False),
    ("mnist dW  128x32 @ 32x10 (a.T)", 128, 32, 10, True, False),
    ("mnist dX  32x10 @ 10x128 (b.T)", 32, 10, 128, False, True),
]
CASES = [(f"square {n}", n, n, n, False, False) for n in SQUARE] + SEED


def operands(m, k, n, ta, tb, dtype=np.float32):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((k, m) if ta else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if tb else (k, n)).astype(dtype)
    return (a.T if ta else a), (b.T if tb else b), np.empty((m, n), dtype)


def runners(a, b, c):
    """name -> zero-argument callable computing c = a @ b with that library."""
    out = {"pyengine": lambda: _C.matmul(a, b, c), "numpy": lambda: np.matmul(a, b, out=c)}
    if torch is not None:
        ta, tb, tc = torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(c)
        out["torch"] = lambda: torch.matmul(ta, tb, out=tc)
    return out


def best_seconds(fn, flops, budget=1.0, repeats=15):
    """Best per-call time over `repeats` samples; each sample loops enough calls to be timeable."""
    fn()
    calls = max(1, int(2e-3 / max(flops / 100e9, 1e-7)))  # ~2 ms per sample at 100 GFLOP/s
    best = float("inf")
    start = time.perf_counter()
    for r in range(repeats):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - t0) / calls)
        if r >= 2 and time.perf_counter() - start > budget:
            break
    return best


def table(rounds):
    """Measures every case `rounds` times (whole passes, so a burst of load from other processes
    hits one pass, not every sample of one case) and prints the best GFLOP/s per cell."""
    libs = ["pyengine", "numpy"] + (["torch"] if torch is not None else [])
    best = {}
    for _ in range(rounds):
        for label, m, k, n, ta, tb in CASES:
            a, b, c = operands(m, k, n, ta, tb)
            flops = 2.0 * m * n * k
            for lib, fn in runners(a, b, c).items():
                time.sleep(0.3)  # let the previous library's worker threads go idle
                gf = flops / best_seconds(fn, flops) / 1e9
                best[label, lib] = max(best.get((label, lib), 0.0), gf)
    peak, how = measure_peak()
    head = f"{'shape (M x K x N)':44s} " + " ".join(f"{lib + ' GF/s':>13s}" for lib in libs)
    head += f" {'pe/np':>6s} {'pe/peak':>7s}" + (f" {'pe/torch':>8s}" if torch else "")
    print(f"threads={_C.get_num_threads()} isa={_C.cpu_isa()} blocks={_C.gemm_blocks()['float32']}"
          f" best of {rounds} passes")
    print(f"peak={peak:.0f} GFLOP/s fp32 ({how})")
    print(f"NumPy BLAS: {numpy_kernel()}"
          + ("" if "OPENBLAS_CORETYPE" not in os.environ else
             f"  [OPENBLAS_CORETYPE={os.environ['OPENBLAS_CORETYPE']} is set: run under "
             "env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE for the native kernel]"))
    print(head)
    print("-" * len(head))
    for label, m, k, n, ta, tb in CASES:
        gf = {lib: best[label, lib] for lib in libs}
        row = f"{label + f' ({m}x{k}x{n})':44s} " + " ".join(f"{gf[lib]:13.1f}" for lib in libs)
        row += f" {gf['pyengine'] / gf['numpy']:6.2f} {gf['pyengine'] / peak:7.2f}"
        if torch is not None:
            row += f" {gf['pyengine'] / gf['torch']:8.2f}"
        print(row, flush=True)
    # issue 12 item 4: >= NumPy from 256 up, >= 85 % of peak from 512 up, >= 0.8x NumPy at 64/128
    verdict = []
    for n in SQUARE:
        pe_gf, np_gf = best[f"square {n}", "pyengine"], best[f"square {n}", "numpy"]
        need_np = 1.0 if n >= 256 else 0.8
        ok = pe_gf >= need_np * np_gf and (n < 512 or pe_gf >= 0.85 * peak)
        verdict.append(f"{n}: {'ok' if ok else 'MISS'} ({pe_gf / np_gf:.2f}x np"
                       + (f", {pe_gf / peak:.0%} peak)" if n >= 512 else ")"))
    print("item 4 targets: " + "; ".join(verdict))


# ---- pytest-benchmark suite (pytest is a test extra; the table above needs only NumPy) --------
try:
    import pytest
except ImportError:
    pytest = None

if pytest is not None:
    @pytest.mark.parametrize("lib", ["pyengine", "numpy", "torch"])
    @pytest.mark.parametrize("case", CASES, ids=[c[0].split(" (")[0] for c in CASES])
    def test_gemm(benchmark, case, lib):
        label, m, k, n, ta, tb = case
        if lib == "torch" and torch is None:
            pytest.skip("torch not installed")
        a, b, c = operands(m, k, n, ta, tb)
        benchmark.extra_info["gflop"] = 2.0 * m * n * k / 1e9
        benchmark(runners(a, b, c)[lib])


def single_thread_cpu_table(sizes=(64, 128, 256, 512, 1024), rounds=5):
    """One thread each, timed with the process's CPU time (robust when the machine is shared),
    pyengine and NumPy alternating; median per-round speed ratio and its range."""
    import pyengine as pe
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        sys.exit("single-thread table: pip install threadpoolctl (to pin and name OpenBLAS)")
    pe.set_num_threads(1)
    kernel = [i.get("architecture") for i in threadpool_info() if i["internal_api"] == "openblas"]
    print(f"blocks {_C.gemm_blocks()['float32']}, NumPy OpenBLAS kernel {kernel}, 1 thread, "
          "CPU time")
    with threadpool_limits(1):
        for n in sizes:
            a, b = (np.random.rand(n, n).astype(np.float32) for _ in range(2))
            c = np.empty((n, n), np.float32)
            flops, reps = 2 * n ** 3, max(2, int(3e8 / (2 * n ** 3)))
            best, ratios = {"pe": 1e9, "np": 1e9}, []
            for _ in range(rounds):
                t = {}
                for k, fn in (("pe", lambda: _C.matmul(a, b, c)),
                              ("np", lambda: np.matmul(a, b, out=c))):
                    t0 = time.process_time()
                    for _ in range(reps):
                        fn()
                    t[k] = (time.process_time() - t0) / reps
                    best[k] = min(best[k], t[k])
                ratios.append(t["np"] / t["pe"])
            ratios.sort()
            print(f"{n:5d}  pe {flops / best['pe'] / 1e9:6.1f} GF/s  np "
                  f"{flops / best['np'] / 1e9:6.1f} GF/s  pe/np speed "
                  f"{ratios[len(ratios) // 2]:.2f} ({ratios[0]:.2f}-{ratios[-1]:.2f})")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "cpu1":
        single_thread_cpu_table()
    else:
        args = [a for i, a in enumerate(sys.argv[1:], 1)
                if a != "--peak" and sys.argv[i - 1] != "--peak"]
        table(int(args[0]) if args else 3)
