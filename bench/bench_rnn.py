"""Recurrent layers: training and inference, pyengine (pe.nn and pe.keras) next to PyTorch CPU.

    python bench/bench_rnn.py                 # the table (LSTM and GRU, hidden 64 / 256, batch 32 /
                                              # 128, 40 steps x 8 features)
    python bench/bench_rnn.py --quick         # one case, a smoke run
    PYENGINE_BENCH_THREADS=1 python bench/bench_rnn.py --cpu-time   # CPU time, one thread: the
                                              # figures that survive a loaded machine
    pytest bench/bench_rnn.py                 # two cases as a pytest-benchmark suite

One training step: the recurrent layer, a Linear(H, 1) on the last state, MSE, backward, Adam.
pe.keras runs the same model through Sequential.fit (one epoch of `--batches` batches), compared
with the PyTorch loop over the same batches. Inference: the forward of the recurrent layer and the
head under no_grad / predict. Ratio = pyengine time / torch time (< 0.5 is the issue's target);
best of `--runs` runs taken in turn (pe.nn, torch, Keras, run after run, so that load hits
them alike; the machine is shared), all in one process on
PYENGINE_BENCH_THREADS threads (default 2).
The "kernel %" column is the share of the pe.nn training step spent in the recurrent kernel's
forward + backward calls (the rest: the head, loss, optimizer and Python dispatch).

A second table bounds every cell by arithmetic (see `flops`): the FLOPs of one batch, the
GFLOP/s that half of PyTorch's time would require, against this machine's fp32 FMA peak on
PYENGINE_BENCH_THREADS threads (measured by ../shared/tools/fma_peak.c, or --peak), and what
pe.nn, PyTorch and a GEMM of the per-step shape alone (csrc/gemm through _C.matmul, T calls)
reach. A cell whose requirement exceeds the peak cannot meet 1/2 on this machine.
"""
import argparse
import os
import time

import numpy as np

import pyengine as pe

import fma_peak as peak  # bench/fma_peak.py (the script's folder is on sys.path)

try:
    import torch
except ImportError:
    torch = None

THREADS = int(os.environ.get("PYENGINE_BENCH_THREADS", "2"))
STEPS, FEATURES = 40, 8


def data(batch, nbatches, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((nbatches, batch, STEPS, FEATURES)).astype(np.float32)
    y = rng.standard_normal((nbatches, batch, 1)).astype(np.float32)
    return x, y


def pe_nn(kind, hidden, x, y):
    rnn = getattr(pe.nn, kind)(FEATURES, hidden, batch_first=True)
    head = pe.nn.Linear(hidden, 1)
    opt = pe.optim.Adam(list(rnn.parameters()) + list(head.parameters()), lr=1e-3)
    xs = [pe.tensor(b) for b in x]
    ys = [pe.tensor(b) for b in y]

    def train():
        for xb, yb in zip(xs, ys):
            out, _ = rnn(xb)
            loss = pe.nn.functional.mse_loss(head(out[:, -1]), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()

    def infer():
        with pe.no_grad():
            for xb in xs:
                out, _ = rnn(xb)
                head(out[:, -1])
    return train, infer


def torch_nn(kind, hidden, x, y):
    rnn = getattr(torch.nn, kind)(FEATURES, hidden, batch_first=True)
    head = torch.nn.Linear(hidden, 1)
    opt = torch.optim.Adam(list(rnn.parameters()) + list(head.parameters()), lr=1e-3)
    xs = [torch.from_numpy(b) for b in x]
    ys = [torch.from_numpy(b) for b in y]

    def train():
        for xb, yb in zip(xs, ys):
            out, _ = rnn(xb)
            loss = torch.nn.functional.mse_loss(head(out[:, -1]), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()

    def infer():
        with torch.no_grad():
            for xb in xs:
                out, _ = rnn(xb)
                head(out[:, -1])
    return train, infer


def pe_keras(kind, hidden, x, y):
    from pyengine import keras
    model = keras.Sequential([keras.Input((STEPS, FEATURES)), getattr(keras.layers, kind)(hidden),
                              keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    batch = x.shape[1]
    xa, ya = x.reshape(-1, STEPS, FEATURES), y.reshape(-1, 1)

    def train():
        model.fit(xa, ya, batch_size=batch, epochs=1, verbose=0, shuffle=False)

    def infer():
        model.predict(xa, batch_size=batch, verbose=0)
    return train, infer


CLOCK = time.perf_counter  # --cpu-time: time.process_time (this process's CPU seconds)

GATES = {"LSTM": 4, "GRU": 3}




def flops(kind, hidden, batch, train):
    """FLOPs of one batch (multiply-add = 2). Forward: the input projection (T*B, F) x (F, G*H)
    and T recurrent products (B, H) x (H, G*H), G = 4 (LSTM) or 3 (GRU). Backward (training):
    dh_prev = dG W_hh per step and dW_hh = dG^T h_prev (each the size of the recurrent products)
    and dW_ih = dG^T x (the size of the projection; the input needs no gradient here). Gate
    math, the head, loss and optimizer are O(T*B*G*H) or less and left out."""
    gh = GATES[kind] * hidden
    proj, rec = 2 * STEPS * batch * FEATURES * gh, 2 * STEPS * batch * hidden * gh
    return 3 * rec + 2 * proj if train else rec + proj


def fma_peak(threads, given=None):
    """(fp32 GFLOP/s of `threads` cores, where it came from): --peak, else fma_peak.c compiled
    and run here (its line for that thread count), else this VM's measured value."""
    if given:
        return given, "--peak"
    measured = peak.measure()
    if threads in measured:
        return measured[threads], "fma_peak.c"
    return peak.FALLBACK_GFLOPS.get(threads, 117.0 * threads), "fallback (this VM, quiet)"


def step_gemm_rate(kind, hidden, batch, runs):
    """GFLOP/s of T products (B, H) @ (H, G*H) through _C.matmul (csrc/gemm) alone, each a
    Python call: the GEMM of the recurrent step, outside the kernel."""
    from pyengine import _C
    rng = np.random.default_rng(0)
    a = rng.standard_normal((batch, hidden)).astype(np.float32)
    w = rng.standard_normal((hidden, GATES[kind] * hidden)).astype(np.float32)
    out = np.empty((batch, w.shape[1]), np.float32)

    def products():
        for _ in range(STEPS):
            _C.matmul(a, w, out)
    t = timed(products, runs)
    return 2 * STEPS * batch * hidden * w.shape[1] / t / 1e9


def timed(fn, runs):
    fn()  # warm-up: allocations, lazy builds
    times = []
    for _ in range(runs):
        t = CLOCK()
        fn()
        times.append(CLOCK() - t)
    return min(times)  # best of the runs: on a shared machine noise only ever adds time


def timed_interleaved(fns, runs):
    """`timed` of every callable in `fns` (None: skipped, nan), the runs taken in turn (run 1 of
    each, then run 2 of each, ...), so that a phase of load on the shared machine hits pyengine
    and PyTorch alike instead of one of them."""
    for fn in fns:
        if fn is not None:
            fn()
    best = [float("inf") if fn is not None else float("nan") for fn in fns]
    for _ in range(runs):
        for i, fn in enumerate(fns):
            if fn is not None:
                t = CLOCK()
                fn()
                best[i] = min(best[i], CLOCK() - t)
    return best


def kernel_share(kind, hidden, x, y, runs):
    """Share of the pe.nn training step spent inside the recurrent Function's calls."""
    from pyengine.ops import rnn as ops_rnn
    spent = [0.0]
    fwd, bwd = ops_rnn.Recurrence.forward, ops_rnn.Recurrence.backward

    def wrap(f):
        def inner(*a, **k):
            t = CLOCK()
            try:
                return f(*a, **k)
            finally:
                spent[0] += CLOCK() - t
        return staticmethod(inner)
    train, _ = pe_nn(kind, hidden, x, y)
    ops_rnn.Recurrence.forward, ops_rnn.Recurrence.backward = wrap(fwd), wrap(bwd)
    try:
        train()
        spent[0] = 0.0
        t = CLOCK()
        for _ in range(runs):
            train()
        total = CLOCK() - t
    finally:
        ops_rnn.Recurrence.forward, ops_rnn.Recurrence.backward = staticmethod(fwd), \
            staticmethod(bwd)
    return spent[0] / total


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--batches", type=int, default=4, help="batches per timed run")
    ap.add_argument("--quick", action="store_true", help="one small case, one run")
    ap.add_argument("--no-keras", action="store_true")
    ap.add_argument("--cpu-time", action="store_true",
                    help="CPU seconds of the process instead of wall time: robust against other "
                         "programs on a loaded machine, but only meaningful with one thread "
                         "(PYENGINE_BENCH_THREADS=1; with more, waiting threads count too)")
    ap.add_argument("--kinds", default="LSTM,GRU", help="comma-separated: LSTM, GRU")
    ap.add_argument("--hidden", default="64,256", help="comma-separated hidden sizes")
    ap.add_argument("--batch", default="32,128", help="comma-separated batch sizes")
    ap.add_argument("--peak", type=float, default=None,
                    help="fp32 FMA peak in GFLOP/s of PYENGINE_BENCH_THREADS cores (default: "
                         "measured with ../shared/tools/fma_peak.c; give it on a loaded machine)")
    args = ap.parse_args()
    if args.cpu_time:
        global CLOCK
        CLOCK = time.process_time
    pe.set_num_threads(THREADS)
    if torch is not None:
        torch.set_num_threads(THREADS)
    cases = [(k, h, b) for k in args.kinds.split(",") for h in map(int, args.hidden.split(","))
             for b in map(int, args.batch.split(","))]
    if args.quick:
        cases, args.runs, args.batches = [("LSTM", 64, 32)], 1, 2
    print(f"threads={THREADS}, T={STEPS}, features={FEATURES}, {args.batches} batches per run, "
          f"best of {args.runs} runs; ms per batch ({'CPU' if args.cpu_time else 'wall'} time); "
          f"ratio = pyengine / torch; load average {os.getloadavg()[0]:.1f}")
    cols = ["case", "pe.nn train", "torch train", "ratio", "kernel %"]
    if not args.no_keras:
        cols += ["keras fit", "ratio"]
    cols += ["pe.nn infer", "torch infer", "ratio"]
    if not args.no_keras:
        cols += ["keras predict", "ratio"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    bounds = []
    for kind, hidden, batch in cases:
        x, y = data(batch, args.batches)
        per = 1e3 / args.batches
        t_train, t_infer = pe_nn(kind, hidden, x, y)
        row = [f"{kind} H={hidden} B={batch}"]
        tt_train, tt_infer = torch_nn(kind, hidden, x, y) if torch is not None else (None, None)
        k_train, k_infer = pe_keras(kind, hidden, x, y) if not args.no_keras else (None, None)
        pe_tr, th_tr, k_tr, pe_inf, th_inf, k_inf = [
            v * per for v in timed_interleaved(
                [t_train, tt_train, k_train, t_infer, tt_infer, k_infer], args.runs)]
        share = kernel_share(kind, hidden, x, y, max(1, args.runs // 2))
        row += [f"{pe_tr:.2f}", f"{th_tr:.2f}", f"{pe_tr / th_tr:.2f}", f"{100 * share:.0f}"]
        if not args.no_keras:
            row += [f"{k_tr:.2f}", f"{k_tr / th_tr:.2f}"]
        row += [f"{pe_inf:.2f}", f"{th_inf:.2f}", f"{pe_inf / th_inf:.2f}"]
        if not args.no_keras:
            row += [f"{k_inf:.2f}", f"{k_inf / th_inf:.2f}"]
        print("| " + " | ".join(row) + " |", flush=True)
        bounds.append((row[0], kind, hidden, batch, pe_tr, th_tr, pe_inf, th_inf,
                       step_gemm_rate(kind, hidden, batch, args.runs)))
    print_bounds(bounds, *fma_peak(THREADS, args.peak))


def print_bounds(bounds, peak, source):
    """The arithmetic bound of every cell (see `flops`): GFLOP/s = FLOPs / time."""
    print(f"\nBound: fp32 FMA peak {peak:.0f} GFLOP/s on {THREADS} thread(s) ({source}). "
          "'need' = GFLOP/s that half of PyTorch's time requires (% of peak); pe.nn / torch = "
          "GFLOP/s reached (% of peak); step GEMM = T products (B, H) @ (H, G*H) alone through "
          "_C.matmul (csrc/gemm; the kernel's own step product is csrc/rnn/step_gemm.h)")
    cols = ["case", "train MFLOP", "need", "pe.nn", "torch", "infer MFLOP", "need", "pe.nn",
            "torch", "step GEMM", "1/2 reachable?"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))

    def rate(f, ms):
        g = f / (ms * 1e-3) / 1e9
        return f"{g:.0f} ({100 * g / peak:.0f} %)"
    for name, kind, hidden, batch, pe_tr, th_tr, pe_inf, th_inf, gemm in bounds:
        ftr, finf = flops(kind, hidden, batch, True), flops(kind, hidden, batch, False)
        need_tr, need_inf = ftr / (th_tr / 2e3) / 1e9, finf / (th_inf / 2e3) / 1e9
        worst = max(need_tr, need_inf)
        verdict = "no: above peak" if worst > peak else \
            f"needs {100 * worst / peak:.0f} % of peak"
        print("| " + " | ".join([
            name, f"{ftr / 1e6:.0f}", rate(ftr, th_tr / 2), rate(ftr, pe_tr), rate(ftr, th_tr),
            f"{finf / 1e6:.0f}", rate(finf, th_inf / 2), rate(finf, pe_inf), rate(finf, th_inf),
            f"{gemm:.0f} ({100 * gemm / peak:.0f} %)", verdict]) + " |", flush=True)


# ---- pytest-benchmark suite: one training batch per case, pe.nn and torch ----------------------
try:
    import pytest

    @pytest.mark.parametrize("case", [("LSTM", 64, 32), ("GRU", 256, 128)])
    @pytest.mark.parametrize("lib", ["pe", "torch"])
    def test_rnn_train_bench(benchmark, lib, case):
        if lib == "torch" and torch is None:
            pytest.skip("torch not installed")
        kind, hidden, batch = case
        pe.set_num_threads(THREADS)
        if torch is not None:
            torch.set_num_threads(THREADS)
        train, _ = (pe_nn if lib == "pe" else torch_nn)(kind, hidden, *data(batch, 1))
        benchmark.group = f"{kind} H={hidden} B={batch} train"
        benchmark(train)
except ImportError:  # pytest is only needed for the suite
    pass


if __name__ == "__main__":
    main()
