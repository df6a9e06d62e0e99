"""Activation kernels: pyengine next to NumPy (and PyTorch when it imports), forward and backward,
float32, in the same process run.

    pytest bench/bench_activations.py --benchmark-only     # pytest-benchmark + ratio table
    python bench/bench_activations.py [--threads N] [--sizes 10000 1000000]   # table only

Ratios are numpy_time / pyengine_time and torch_time / pyengine_time (> 1: pyengine is faster),
from the minimum of repeated runs (the machine is shared; minima are the least noisy figure).
Forward goes through the public API (F.relu(t) ...), so it includes the dispatch overhead;
backward times the backend kernel that the autograd node calls.
"""
import argparse
import os
import timeit

# pyengine and torch each bring an OpenMP runtime; with the default active wait policy the idle
# threads of one spin and steal the (2) cores from the other, distorting both timings.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402

# Imports the installed pyengine (for a source tree built in place: PYTHONPATH=.).
import pyengine as pe  # noqa: E402
import pyengine.nn.functional as F  # noqa: E402
from pyengine.backend import cpu  # noqa: E402

try:
    import torch
except ImportError:  # torch is optional, never a dependency
    torch = None

SIZES = (10_000, 1_000_000)


def _np_softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _np_log_softmax(x):
    z = x - x.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def _np_gelu(x):
    # NumPy has no erf ufunc; tanh-form GELU is the usual NumPy stand-in (cheaper than exact).
    return 0.5 * x * (1 + np.tanh(0.7978845608 * (x + 0.044715 * x ** 3)))


def _np_softplus(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


# name -> (pe forward on a Tensor, pe backward (x, y, g) on arrays, numpy forward, numpy backward,
#          torch forward, torch backward (x, y, g))
def _cases():
    c = {
        "relu": (F.relu, lambda x, y, g: cpu.activation_backward("relu", x, None, g),
                 lambda x: np.maximum(x, 0), lambda x, y, g: g * (x > 0),
                 "relu", lambda x, y, g: torch.ops.aten.threshold_backward(g, x, 0)),
        "leaky_relu": (lambda t: F.leaky_relu(t, 0.01),
                       lambda x, y, g: cpu.activation_backward("leaky_relu", x, None, g, 0.01),
                       lambda x: np.where(x > 0, x, 0.01 * x),
                       lambda x, y, g: np.where(x > 0, g, 0.01 * g),
                       "leaky_relu",
                       lambda x, y, g: torch.ops.aten.leaky_relu_backward(g, x, 0.01, False)),
        "elu": (F.elu, lambda x, y, g: cpu.activation_backward("elu", x, y, g, 1.0),
                lambda x: np.where(x > 0, x, np.expm1(x)), lambda x, y, g: np.where(x > 0, g, g * (y + 1)),
                "elu", lambda x, y, g: torch.ops.aten.elu_backward(g, 1.0, 1.0, 1.0, False, y)),
        "gelu": (F.gelu, lambda x, y, g: cpu.activation_backward("gelu", x, None, g),
                 _np_gelu, None,
                 "gelu", lambda x, y, g: torch.ops.aten.gelu_backward(g, x)),
        "sigmoid": (F.sigmoid, lambda x, y, g: cpu.activation_backward("sigmoid", None, y, g),
                    lambda x: 1 / (1 + np.exp(-x)), lambda x, y, g: g * y * (1 - y),
                    "sigmoid", lambda x, y, g: torch.ops.aten.sigmoid_backward(g, y)),
        "tanh": (F.tanh, lambda x, y, g: cpu.activation_backward("tanh", None, y, g),
                 np.tanh, lambda x, y, g: g * (1 - y * y),
                 "tanh", lambda x, y, g: torch.ops.aten.tanh_backward(g, y)),
        "softplus": (F.softplus,
                     lambda x, y, g: cpu.activation_backward("softplus", x, None, g, 1.0, 20.0),
                     _np_softplus, lambda x, y, g: g / (1 + np.exp(-x)),
                     "softplus",
                     lambda x, y, g: torch.ops.aten.softplus_backward(g, x, 1.0, 20.0)),
        "softmax": (lambda t: F.softmax(t, dim=-1),
                    lambda x, y, g: cpu.softmax_backward(y, g, -1),
                    _np_softmax, lambda x, y, g: y * (g - (g * y).sum(-1, keepdims=True)),
                    "softmax",
                    lambda x, y, g: torch.ops.aten._softmax_backward_data(g, y, -1, y.dtype)),
        "log_softmax": (lambda t: F.log_softmax(t, dim=-1),
                        lambda x, y, g: cpu.softmax_backward(y, g, -1, True),
                        _np_log_softmax, lambda x, y, g: g - np.exp(y) * g.sum(-1, keepdims=True),
                        "log_softmax",
                        lambda x, y, g: torch.ops.aten._log_softmax_backward_data(g, y, -1,
                                                                                  y.dtype)),
    }
    return c


CASES = _cases()


def _torch_fwd(name):
    fn = getattr(torch.nn.functional, name)
    if name in ("softmax", "log_softmax"):
        return lambda t: fn(t, dim=-1)
    return fn


def make_calls(name, size, direction):
    """{impl: zero-argument callable} for one case; the inputs are built once, outside the timing."""
    pe_f, pe_b, np_f, np_b, _, th_b = CASES[name]
    rng = np.random.default_rng(0)
    shape = (size // 1000, 1000) if name in ("softmax", "log_softmax") else (size,)
    x = rng.standard_normal(shape).astype(np.float32)
    g = rng.standard_normal(shape).astype(np.float32)
    t = pe.from_numpy(x)
    y = pe_f(t).numpy()
    calls = {}
    if direction == "forward":
        calls["pyengine"] = lambda: pe_f(t)
        calls["numpy"] = lambda: np_f(x)
    else:
        calls["pyengine"] = lambda: pe_b(x, y, g)
        if np_b is not None:
            calls["numpy"] = lambda: np_b(x, y, g)
    if torch is not None:
        tx, tg, ty = torch.from_numpy(x), torch.from_numpy(g), torch.from_numpy(y)
        tf = _torch_fwd(name)
        calls["torch"] = (lambda: tf(tx)) if direction == "forward" else (lambda: th_b(tx, ty, tg))
    return calls


def best_time(fn, min_total=0.2):
    number = 1
    while True:
        t = timeit.timeit(fn, number=number)
        if t > 0.02 or number > 1 << 16:
            break
        number *= 4
    reps = max(3, int(min_total / max(t, 1e-9)))
    return min(timeit.repeat(fn, number=number, repeat=min(reps, 15))) / number


def table(sizes, threads):
    pe.set_num_threads(threads)
    if torch is not None:
        torch.set_num_threads(threads)
    head = f"{'op':<12}{'n':>9} {'dir':<4}{'pyengine us':>12}{'numpy us':>10}{'np/pe':>7}"
    if torch is not None:
        head += f"{'torch us':>10}{'torch/pe':>9}"
    print(f"pyengine {pe.__version__}, ISA {pe._C.cpu_isa()}, threads {threads}, float32"
          + (f", torch {torch.__version__}" if torch is not None else ", torch not installed"))
    print(head)
    for name in CASES:
        for size in sizes:
            for direction in ("forward", "backward"):
                times = {k: best_time(f) for k, f in make_calls(name, size, direction).items()}
                p = times["pyengine"]
                row = f"{name:<12}{size:>9} {direction[:3]:<4}{p * 1e6:>12.1f}"
                if "numpy" in times:
                    row += f"{times['numpy'] * 1e6:>10.1f}{times['numpy'] / p:>7.2f}"
                else:
                    row += f"{'-':>10}{'-':>7}"
                if "torch" in times:
                    row += f"{times['torch'] * 1e6:>10.1f}{times['torch'] / p:>9.2f}"
                print(row, flush=True)


# ---- pytest-benchmark suite ------------------------------------------------------------------
def _params():
    out = []
    for name in CASES:
        for size in SIZES:
            for direction in ("forward", "backward"):
                for impl in ("pyengine", "numpy", "torch"):
                    out.append((name, size, direction, impl))
    return out


try:
    import pytest
except ImportError:
    pytest = None

if pytest is not None:
    @pytest.mark.parametrize("name,size,direction,impl", _params(),
                             ids=lambda v: str(v))
    def test_activation(benchmark, name, size, direction, impl):
        calls = make_calls(name, size, direction)
        if impl not in calls:
            pytest.skip(f"{impl} not available for {name} {direction}")
        benchmark.group = f"{name}-{direction}-{size}"
        benchmark.extra_info["impl"] = impl
        benchmark(calls[impl])


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=pe.get_num_threads())
    ap.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    args = ap.parse_args()
    table(args.sizes, args.threads)
