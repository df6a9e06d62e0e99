"""Attention and Transformer layers: pyengine (pe.nn, pe.keras) next to PyTorch CPU, same process.

    python bench/bench_attention.py              # the table (two sizes), < 2 minutes
    python bench/bench_attention.py --quick      # one small case
    PYENGINE_BENCH_THREADS=1 python bench/bench_attention.py --cpu-time   # one-thread CPU time:
                                                 # the figures that survive a loaded machine

Rows: one training step (forward, MSE against a fixed target, backward, Adam) of
nn.TransformerEncoderLayer (batch_first, dropout 0, d_model D, 4 heads, feed-forward 2D) on a
(batch, seq, D) input; the forward of nn.MultiheadAttention self-attention under no_grad; the
training step of keras MultiHeadAttention (the same sizes) in a GradientTape-free loop through
autograd. PyTorch runs the same modules with the same weights (state_dict copied). Ratio =
pyengine time / torch time, best of --runs runs, PYENGINE_BENCH_THREADS threads (default 2).
The attention layers compose the GEMM, softmax, layer-norm and dropout kernels; there is no fused
attention kernel, so these ratios measure that composition. Last row: pe.erf's forward (NumPy,
backend/cpu_erf.py) against torch.erf (a vectorised C++ kernel) on float32 values.
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


def _timer(cpu):
    return time.process_time if cpu else time.perf_counter


def best_of(fn, runs, reps, cpu):
    clock = _timer(cpu)
    fn()  # warm-up
    best = float("inf")
    for _ in range(runs):
        t0 = clock()
        for _ in range(reps):
            fn()
        best = min(best, (clock() - t0) / reps)
    return best


def _copy_to_torch(pe_module, torch_module):
    sd = {k: torch.tensor(v.detach().numpy()) for k, v in pe_module.state_dict().items()}
    torch_module.load_state_dict(sd)


def encoder_step(batch, seq, d, runs, reps, cpu):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, seq, d)).astype(np.float32)
    y = rng.standard_normal((batch, seq, d)).astype(np.float32)
    pe.manual_seed(0)
    layer = pe.nn.TransformerEncoderLayer(d, 4, 2 * d, dropout=0.0, batch_first=True)
    opt = pe.optim.Adam(layer.parameters(), lr=1e-4)
    xp, yp = pe.tensor(x), pe.tensor(y)

    def pe_step():
        opt.zero_grad()
        loss = pe.nn.functional.mse_loss(layer(xp), yp)
        loss.backward()
        opt.step()

    t_pe = best_of(pe_step, runs, reps, cpu)
    t_torch = None
    if torch is not None:
        tl = torch.nn.TransformerEncoderLayer(d, 4, 2 * d, dropout=0.0, batch_first=True)
        _copy_to_torch(layer, tl)
        topt = torch.optim.Adam(tl.parameters(), lr=1e-4)
        xt, yt = torch.tensor(x), torch.tensor(y)

        def torch_step():
            topt.zero_grad()
            loss = torch.nn.functional.mse_loss(tl(xt), yt)
            loss.backward()
            topt.step()

        t_torch = best_of(torch_step, runs, reps, cpu)
    return t_pe, t_torch


def mha_forward(batch, seq, d, runs, reps, cpu):
    x = np.random.default_rng(1).standard_normal((batch, seq, d)).astype(np.float32)
    pe.manual_seed(0)
    m = pe.nn.MultiheadAttention(d, 4, batch_first=True).eval()
    xp = pe.tensor(x)

    def pe_fwd():
        with pe.no_grad():
            m(xp, xp, xp, need_weights=False)

    t_pe = best_of(pe_fwd, runs, reps, cpu)
    t_torch = None
    if torch is not None:
        tm = torch.nn.MultiheadAttention(d, 4, batch_first=True).eval()
        _copy_to_torch(m, tm)
        xt = torch.tensor(x)

        def torch_fwd():
            with torch.no_grad():
                tm(xt, xt, xt, need_weights=False)

        t_torch = best_of(torch_fwd, runs, reps, cpu)
    return t_pe, t_torch


def keras_mha_step(batch, seq, d, runs, reps, cpu):
    from pyengine.keras import layers
    rng = np.random.default_rng(2)
    x = pe.tensor(rng.standard_normal((batch, seq, d)).astype(np.float32))
    y = pe.tensor(rng.standard_normal((batch, seq, d)).astype(np.float32))
    pe.manual_seed(0)
    mha = layers.MultiHeadAttention(num_heads=4, key_dim=d // 4)
    mha(x, x)
    opt = pe.optim.Adam(mha.trainable_weights, lr=1e-4)

    def step():
        opt.zero_grad()
        loss = ((mha(x, x, training=True) - y) ** 2).mean()
        loss.backward()
        opt.step()

    return best_of(step, runs, reps, cpu)


def erf_forward(n, runs, reps, cpu):
    """pe.erf (Cody's rational approximations in NumPy, float64 inside) against torch.erf
    on n float32 values spread over [-6, 6]."""
    x = np.random.default_rng(0).uniform(-6, 6, n).astype(np.float32)
    xp = pe.tensor(x)
    t_pe = best_of(lambda: pe.erf(xp), runs, reps, cpu)
    t_t = None
    if torch is not None:
        xt = torch.from_numpy(x)
        t_t = best_of(lambda: torch.erf(xt), runs, reps, cpu)
    return t_pe, t_t


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--cpu-time", action="store_true", help="process CPU time, not wall time")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    pe.set_num_threads(THREADS)
    if torch is not None:
        torch.set_num_threads(THREADS)
    cases = [(8, 32, 64)] if args.quick else [(8, 32, 64), (32, 128, 128)]
    clock = "CPU time" if args.cpu_time else "wall time"
    print(f"threads={THREADS}, {clock}, best of {args.runs} runs; ratio = pyengine / torch")
    print(f"{'case':44s} {'pyengine ms':>12s} {'torch ms':>10s} {'ratio':>7s}")
    for batch, seq, d in cases:
        reps = 3 if batch * seq * d > 100000 else 10
        for name, fn in (("TransformerEncoderLayer train step", encoder_step),
                         ("MultiheadAttention forward (no_grad)", mha_forward)):
            t_pe, t_t = fn(batch, seq, d, args.runs, reps, args.cpu_time)
            label = f"{name} {batch}x{seq}x{d}"
            ratio = f"{t_pe / t_t:7.2f}" if t_t else "      -"
            tt = f"{t_t * 1e3:10.2f}" if t_t else "         -"
            print(f"{label:44s} {t_pe * 1e3:12.2f} {tt} {ratio}")
        t_k = keras_mha_step(batch, seq, d, args.runs, reps, args.cpu_time)
        print(f"{'keras MultiHeadAttention train step ' + f'{batch}x{seq}x{d}':44s} "
              f"{t_k * 1e3:12.2f} {'-':>10s} {'-':>7s}")
    n = 100_000 if args.quick else 1_000_000
    t_pe, t_t = erf_forward(n, args.runs, 3, args.cpu_time)
    tt, ratio = (f"{t_t * 1e3:10.2f}", f"{t_pe / t_t:7.2f}") if t_t else ("-" * 10, "-" * 7)
    print(f"{f'erf forward {n} float32':44s} {t_pe * 1e3:12.2f} {tt} {ratio}")


if __name__ == "__main__":
    main()
