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
best of `--runs` runs (as bench_conv: the machine is shared), all in one process on
PYENGINE_BENCH_THREADS threads (default 2).
The "kernel %" column is the share of the pe.nn training step spent in the recurrent kernel's
forward + backward calls (the rest: the head, loss, optimizer and Python dispatch).
"""
import argparse
import os
import time

import numpy as np

import pyengine as pe

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


def timed(fn, runs):
    fn()  # warm-up: allocations, lazy builds
    times = []
    for _ in range(runs):
        t = CLOCK()
        fn()
        times.append(CLOCK() - t)
    return min(times)  # best of the runs: on a shared machine noise only ever adds time


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
    args = ap.parse_args()
    if args.cpu_time:
        global CLOCK
        CLOCK = time.process_time
    pe.set_num_threads(THREADS)
    if torch is not None:
        torch.set_num_threads(THREADS)
    cases = [(k, h, b) for k in ("LSTM", "GRU") for h in (64, 256) for b in (32, 128)]
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
    for kind, hidden, batch in cases:
        x, y = data(batch, args.batches)
        per = 1e3 / args.batches
        t_train, t_infer = pe_nn(kind, hidden, x, y)
        row = [f"{kind} H={hidden} B={batch}"]
        pe_tr, pe_inf = timed(t_train, args.runs) * per, timed(t_infer, args.runs) * per
        if torch is not None:
            tt_train, tt_infer = torch_nn(kind, hidden, x, y)
            th_tr, th_inf = timed(tt_train, args.runs) * per, timed(tt_infer, args.runs) * per
        else:
            th_tr = th_inf = float("nan")
        share = kernel_share(kind, hidden, x, y, max(1, args.runs // 2))
        row += [f"{pe_tr:.2f}", f"{th_tr:.2f}", f"{pe_tr / th_tr:.2f}", f"{100 * share:.0f}"]
        if not args.no_keras:
            k_train, k_infer = pe_keras(kind, hidden, x, y)
            k_tr, k_inf = timed(k_train, args.runs) * per, timed(k_infer, args.runs) * per
            row += [f"{k_tr:.2f}", f"{k_tr / th_tr:.2f}"]
        row += [f"{pe_inf:.2f}", f"{th_inf:.2f}", f"{pe_inf / th_inf:.2f}"]
        if not args.no_keras:
            row += [f"{k_inf:.2f}", f"{k_inf / th_inf:.2f}"]
        print("| " + " | ".join(row) + " |", flush=True)


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
