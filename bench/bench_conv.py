"""Convolution and pooling benchmarks, pyengine next to PyTorch CPU (when installed).

    python bench/bench_conv.py            # NCHW table, MNIST step, channels-last (NHWC) table
    python bench/bench_conv.py --cpu-time # the same in CPU time on one thread (shared machine)
    python bench/bench_conv.py --only nhwc  # one section: nchw, grads, step, nhwc or dcgan
    python bench/bench_conv.py --only dcgan # DCGAN's layers (also in the nchw table)
    python bench/bench_conv.py --only grads # NCHW kernels alone: forward and each gradient
    python bench/bench_conv.py --only small # small-plane layers' kernels alone, with the
                                            # algorithm conv2d picks for each pass
    pytest bench/bench_conv.py  # the same cases as a pytest-benchmark suite

Ratio = torch time / pyengine time (> 1: pyengine is faster). The channels-last table runs
pyengine's NHWC kernels (F.conv2d_nhwc with Keras' kernel layout, F.max_pool2d_nhwc) against
PyTorch on the same data in NCHW and in its channels_last memory format; "+relu" rows use the
fused conv + bias + activation op against torch's conv2d followed by relu. Both run on the same number of
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
# --cpu-time: process CPU time on one thread instead of wall time. On a machine shared with
# other jobs (load far above the core count) wall times swing 10x between runs; the CPU time a
# single-threaded kernel consumes swings far less, so the ratios compare the kernels.
CLOCK = time.perf_counter

# name: (input shape, weight shape or None for pooling, conv/pool keyword arguments, input grad?)
CASES = {
    "mnist conv1 1->32 3x3 28x28 b128": ((128, 1, 28, 28), (32, 1, 3, 3), {}, False),
    "mnist conv2 32->64 3x3 13x13 b128": ((128, 32, 13, 13), (64, 32, 3, 3), {}, True),
    "cifar conv1 3->32 3x3 p1 32x32 b128": ((128, 3, 32, 32), (32, 3, 3, 3), {"padding": 1}, False),
    "resnet 64->64 3x3 p1 56x56 b8": ((8, 64, 56, 56), (64, 64, 3, 3), {"padding": 1}, True),
    "depthwise 64ch 3x3 p1 56x56 b8": ((8, 64, 56, 56), (64, 1, 3, 3),
                                       {"padding": 1, "groups": 64}, True),
    "max_pool2d 2x2 32ch 26x26 b128": ((128, 32, 26, 26), None, {"kernel_size": 2}, True),
    # DCGAN's one-channel layers (examples/dcgan_mnist.py, batch 64): the discriminator's first
    # conv and the generator's last transposed conv (its weight is (in 32, out 1, 4, 4)).
    "dcgan D conv1 1->32 4x4 s2 p1 28x28 b64": ((64, 1, 28, 28), (32, 1, 4, 4),
                                                {"stride": 2, "padding": 1}, False),
    "dcgan G convT 32->1 4x4 s2 p1 14x14 b64": ((64, 32, 14, 14), (32, 1, 4, 4),
                                                {"stride": 2, "padding": 1, "transpose": True},
                                                True),
    # DCGAN's small-plane layers (batch 64), blocks of output positions spanning several images
    # in the im2col + GEMM path (docs/conv.md, "Blocks across images"): the discriminator's
    # 32->64 and 64/65->128 strided convs and the generator's 64->32 transposed conv to 14x14.
    "dcgan D 32->64 4x4 s2 p1 14x14 b64": ((64, 32, 14, 14), (64, 32, 4, 4),
                                           {"stride": 2, "padding": 1}, True),
    "dcgan D 64->128 3x3 s2 p1 7x7 b64": ((64, 64, 7, 7), (128, 64, 3, 3),
                                          {"stride": 2, "padding": 1}, True),
    "dcgan D 65->128 3x3 s2 p1 7x7 b64": ((64, 65, 7, 7), (128, 65, 3, 3),
                                          {"stride": 2, "padding": 1}, True),
    "dcgan G convT 64->32 4x4 s2 p1 7x7 b64": ((64, 64, 7, 7), (64, 32, 4, 4),
                                               {"stride": 2, "padding": 1, "transpose": True},
                                               True),
}
# The NCHW-only rows (no channels-last or per-gradient counterpart in the other tables).
DCGAN_CASES = [n for n in CASES if n.startswith("dcgan")]


def make_case(name, lib):
    """Returns (forward, forward_backward) closures for `lib` in ('pe', 'torch')."""
    xs, ws, kw, x_grad = CASES[name]
    kw = dict(kw)
    transpose = kw.pop("transpose", False)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(xs).astype(np.float32)
    w = None if ws is None else (rng.standard_normal(ws) * 0.1).astype(np.float32)
    b = None if ws is None else rng.standard_normal(ws[1 if transpose else 0]).astype(np.float32)
    if lib == "pe":
        mk = lambda a, g: pe.tensor(a, requires_grad=g)  # noqa: E731
        conv, pool, grad_ctx = F.conv2d, F.max_pool2d, pe.no_grad
        if transpose:
            conv = F.conv_transpose2d
    else:
        mk = lambda a, g: torch.tensor(a, requires_grad=g)  # noqa: E731
        conv, pool, grad_ctx = torch.nn.functional.conv2d, torch.nn.functional.max_pool2d, \
            torch.no_grad
        if transpose:
            conv = torch.nn.functional.conv_transpose2d
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


# Channels-last rows: the CASES above (their NCHW shapes, converted), plus fused conv + relu.
NHWC_CASES = [n for n in CASES if n not in DCGAN_CASES] + ["mnist conv1 1->32 3x3 28x28 b128 +relu",
                                   "mnist conv2 32->64 3x3 13x13 b128 +relu"]


def make_nhwc_case(name, lib):
    """(forward, forward_backward) for `lib` in ('pe', 'torch', 'torch_cl'): pyengine NHWC,
    PyTorch NCHW, PyTorch channels_last."""
    relu = name.endswith(" +relu")
    xs, ws, kw, x_grad = CASES[name.replace(" +relu", "")]
    rng = np.random.default_rng(0)
    x = rng.standard_normal(xs).astype(np.float32)
    w = None if ws is None else (rng.standard_normal(ws) * 0.1).astype(np.float32)
    b = None if ws is None else rng.standard_normal(ws[0]).astype(np.float32)
    if lib == "pe":
        X = pe.tensor(np.ascontiguousarray(x.transpose(0, 2, 3, 1)), requires_grad=x_grad)
        params = [] if w is None else [
            pe.tensor(np.ascontiguousarray(w.transpose(2, 3, 1, 0)), requires_grad=True),
            pe.tensor(b, requires_grad=True)]
        if w is None:
            k = kw["kernel_size"]
            op = lambda: F.max_pool2d_nhwc(X, (k, k))  # noqa: E731
        else:
            p = kw.get("padding", 0)
            op = lambda: F.conv2d_nhwc(X, params[0], params[1], padding=p,  # noqa: E731
                                       groups=kw.get("groups", 1),
                                       activation="relu" if relu else None)
        grad_ctx, mk_grad = pe.no_grad, lambda shape: pe.tensor(np.ones(shape, np.float32))
    else:
        fmt = torch.channels_last if lib == "torch_cl" else torch.contiguous_format
        X = torch.tensor(x).to(memory_format=fmt).requires_grad_(x_grad)
        params = [] if w is None else [torch.tensor(w).to(memory_format=fmt).requires_grad_(True),
                                       torch.tensor(b, requires_grad=True)]
        tf = torch.nn.functional
        if w is None:
            op = lambda: tf.max_pool2d(X, **kw)  # noqa: E731
        elif relu:
            op = lambda: tf.relu(tf.conv2d(X, params[0], params[1], **kw))  # noqa: E731
        else:
            op = lambda: tf.conv2d(X, params[0], params[1], **kw)  # noqa: E731
        grad_ctx = torch.no_grad
        mk_grad = lambda shape: torch.ones(shape).to(memory_format=fmt)  # noqa: E731
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
            gy = mk_grad(tuple(y.shape))
        y.backward(gy)

    return forward, forward_backward


def make_mnist_step(lib):
    """One training step of the keras-io MNIST convnet (Conv2D 32 3x3 relu / MaxPool 2 /
    Conv2D 64 3x3 relu / MaxPool 2 / Flatten / Dropout 0.5 / Dense 10, softmax cross-entropy,
    Adam, batch 128) written with functional ops: 'pe_nhwc' (the NHWC ops, fused conv + relu,
    what Keras layers run), 'pe_nchw' (pe.nn's NCHW ops), 'torch' (NCHW)."""
    rng = np.random.default_rng(0)
    x = rng.random((128, 28, 28, 1), np.float32)
    t = rng.integers(0, 10, 128)
    w1 = (rng.standard_normal((3, 3, 1, 32)) * 0.3).astype(np.float32)
    w2 = (rng.standard_normal((3, 3, 32, 64)) * 0.06).astype(np.float32)
    w3 = (rng.standard_normal((1600, 10)) * 0.03).astype(np.float32)
    b1, b2, b3 = (np.zeros(n, np.float32) for n in (32, 64, 10))
    if lib == "torch":
        tf = torch.nn.functional
        X, T = torch.tensor(x.transpose(0, 3, 1, 2).copy()), torch.tensor(t)
        P = [torch.tensor(a, requires_grad=True) for a in (
            w1.transpose(3, 2, 0, 1).copy(), b1, w2.transpose(3, 2, 0, 1).copy(), b2, w3.T.copy(), b3)]
        opt = torch.optim.Adam(P, 1e-3)

        def net():
            h = tf.max_pool2d(tf.relu(tf.conv2d(X, P[0], P[1])), 2)
            h = tf.max_pool2d(tf.relu(tf.conv2d(h, P[2], P[3])), 2)
            return tf.linear(tf.dropout(h.flatten(1), 0.5), P[4], P[5])
        loss_fn = lambda: tf.cross_entropy(net(), T)  # noqa: E731
    else:
        nhwc = lib == "pe_nhwc"
        X, T = pe.tensor(x if nhwc else x.transpose(0, 3, 1, 2).copy()), pe.tensor(t)
        if nhwc:
            P = [pe.tensor(a, requires_grad=True) for a in (w1, b1, w2, b2, w3.T.copy(), b3)]
        else:
            P = [pe.tensor(a, requires_grad=True) for a in (
                w1.transpose(3, 2, 0, 1).copy(), b1, w2.transpose(3, 2, 0, 1).copy(), b2,
                w3.T.copy(), b3)]
        opt = pe.optim.Adam(P, 1e-3)

        def net():
            if nhwc:
                h = F.max_pool2d_nhwc(F.conv2d_nhwc(X, P[0], P[1], activation="relu"), (2, 2))
                h = F.max_pool2d_nhwc(F.conv2d_nhwc(h, P[2], P[3], activation="relu"), (2, 2))
            else:
                h = F.max_pool2d(F.relu(F.conv2d(X, P[0], P[1])), 2)
                h = F.max_pool2d(F.relu(F.conv2d(h, P[2], P[3])), 2)
            return F.linear(F.dropout(h.flatten(1), 0.5), P[4], P[5])
        loss_fn = lambda: F.cross_entropy(net(), T)  # noqa: E731

    def step():
        opt.zero_grad()
        loss_fn().backward()
        opt.step()
    return step


def time_once(fn, min_time=0.02, max_calls=20):
    """Mean time of back-to-back calls over at least min_time seconds."""
    n, t0 = 0, CLOCK()
    while True:
        fn()
        n += 1
        el = CLOCK() - t0
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
    global CLOCK, THREADS
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cpu-time", action="store_true", help="CPU time on one thread")
    ap.add_argument("--only", choices=["nchw", "grads", "step", "nhwc", "dcgan", "small"],
                    help="run one section "
                    "(default: all but grads and small)")
    args = ap.parse_args()
    if args.cpu_time:
        CLOCK, THREADS = time.process_time, 1
    # 40 rounds: the best of 15 still swung the 0.2 ms channels-last depthwise forward by 1.5x
    # between runs (pe 0.21-0.28 ms, torch 0.28-0.35; torch / pe 1.06-1.35 in three runs on
    # 2026-12-01); with 50, two runs gave 1.42 and 1.47. Both libraries get the extra samples.
    rounds = int(os.environ.get("PYENGINE_BENCH_ROUNDS", "40"))
    pe.set_num_threads(THREADS)
    if torch is not None:
        torch.set_num_threads(THREADS)
    print(f"pyengine {pe.__version__} isa={pe._C.cpu_isa()} threads={THREADS} rounds={rounds} "
          f"clock={'process_time' if args.cpu_time else 'perf_counter'}; "
          f"torch {torch.__version__ if torch else 'not installed'}")
    if args.only in (None, "nchw", "dcgan"):
        nchw_table(rounds, DCGAN_CASES if args.only == "dcgan" else list(CASES))
    if args.only == "grads":
        grads_table(rounds)
    if args.only == "small":
        small_planes_table(rounds)
    if torch is None:
        return
    if args.only in (None, "step"):
        t = measure([make_mnist_step(lib) for lib in ("pe_nhwc", "pe_nchw", "torch")], rounds)
        print(f"\nmnist convnet train step, batch 128, Adam (ms): pe NHWC {t[0]:.2f}, pe NCHW "
              f"{t[1]:.2f}, torch NCHW {t[2]:.2f}; torch / pe NHWC {t[2] / t[0]:.2f}, "
              f"torch / pe NCHW {t[2] / t[1]:.2f}", flush=True)
    if args.only in (None, "nhwc"):
        nhwc_table(rounds)


def nchw_table(rounds, names):
    head = f"{'layer':40s} {'pe fwd':>8s} {'pe f+b':>8s}"
    if torch is not None:
        head += f" {'torch fwd':>9s} {'torch f+b':>9s} {'ratio fwd':>9s} {'ratio f+b':>9s}"
    print(head + "   (ms; ratio = torch / pyengine, >1 = pyengine faster)")
    for name in names:
        fns = list(make_case(name, "pe")) + (list(make_case(name, "torch")) if torch else [])
        t = measure(fns, rounds)
        row = f"{name:40s} {t[0]:8.3f} {t[1]:8.3f}"
        if torch is not None:
            row += f" {t[2]:9.3f} {t[3]:9.3f} {t[2] / t[0]:9.2f} {t[3] / t[1]:9.2f}"
        print(row, flush=True)


def make_grad_case(name, lib):
    """(forward, input grad, weight grad, bias grad) kernel closures of a conv case: pyengine's
    backend calls (the kernels F.conv2d and its backward run, without autograd) and PyTorch's
    aten ops (convolution_backward with one gradient asked for at a time)."""
    xs, ws, kw, x_grad = CASES[name]
    rng = np.random.default_rng(0)
    x = rng.standard_normal(xs).astype(np.float32)
    w = (rng.standard_normal(ws) * 0.1).astype(np.float32)
    b = rng.standard_normal(ws[0]).astype(np.float32)
    p, groups = kw.get("padding", 0), kw.get("groups", 1)
    oh, ow = xs[2] + 2 * p - ws[2] + 1, xs[3] + 2 * p - ws[3] + 1
    dy = rng.standard_normal((xs[0], ws[0], oh, ow)).astype(np.float32)
    if lib == "pe":
        from pyengine.backend import cpu as be
        args = (1, 1, p, p, 1, 1, groups)
        fwd = lambda: be.conv2d(x, w, b, dy.shape, args)  # noqa: E731
        grad = lambda m: lambda: be.conv2d_backward(x, dy, w, *m, args)  # noqa: E731
    else:
        tx, tw, tb, tdy = (torch.tensor(a) for a in (x, w, b, dy))
        tf = torch.nn.functional

        def fwd():
            with torch.no_grad():
                return tf.conv2d(tx, tw, tb, padding=p, groups=groups)

        def grad(m):
            return lambda: torch.ops.aten.convolution_backward(
                tdy, tx, tw, [ws[0]], [1, 1], [p, p], [1, 1], False, [0, 0], groups, list(m))
    return [fwd] + [grad(m) for m in ((True, False, False), (False, True, False),
                                      (False, False, True))]


def grads_table(rounds):
    """Where a layer's time goes: the forward and each gradient kernel on its own."""
    print(f"\n{'conv layer (kernels alone)':36s} " + " ".join(
        f"{k:>13s}" for k in ("fwd", "grad input", "grad weight", "grad bias")) +
        "   (ms pe / torch)")
    for name in [n for n in CASES if CASES[n][1] is not None and n not in DCGAN_CASES]:
        fns = make_grad_case(name, "pe") + (make_grad_case(name, "torch") if torch else [])
        t = measure(fns, rounds)
        cols = [f"{t[i]:6.2f}/{t[i + 4]:6.2f}" if torch else f"{t[i]:13.2f}" for i in range(4)]
        print(f"{name:36s} " + " ".join(cols), flush=True)


# Small-plane layers, batch 64, (x shape, weight shape, stride, padding): DCGAN's discriminator
# convs and other shapes whose planes are 256 positions or fewer (the batch-lane kernels' range,
# docs/conv.md "Batch lanes").
SMALL_PLANES = {
    "dcgan D 32->64 4x4 s2 p1 14x14": ((64, 32, 14, 14), (64, 32, 4, 4), 2, 1),
    "dcgan D 64->128 3x3 s2 p1 7x7": ((64, 64, 7, 7), (128, 64, 3, 3), 2, 1),
    "dcgan D 65->128 3x3 s2 p1 7x7": ((64, 65, 7, 7), (128, 65, 3, 3), 2, 1),
    "32->64 5x5 p2 14x14": ((64, 32, 14, 14), (64, 32, 5, 5), 1, 2),
    "32->64 3x3 s2 p1 16x16": ((64, 32, 16, 16), (64, 32, 3, 3), 2, 1),
    "256->128 1x1 7x7": ((64, 256, 7, 7), (128, 256, 1, 1), 1, 0),
    "128->256 3x3 s2 p1 4x4": ((64, 128, 4, 4), (256, 128, 3, 3), 2, 1),
    "20->50 5x5 12x12": ((64, 20, 12, 12), (50, 20, 5, 5), 1, 0),
}


def make_small_plane_case(name, lib):
    """(forward, input grad, weight grad) kernel closures, as make_grad_case, any stride."""
    xs, ws, st, p = SMALL_PLANES[name]
    rng = np.random.default_rng(0)
    x = rng.standard_normal(xs).astype(np.float32)
    w = (rng.standard_normal(ws) * 0.1).astype(np.float32)
    b = rng.standard_normal(ws[0]).astype(np.float32)
    oh, ow = ((xs[2] + 2 * p - ws[2]) // st + 1, (xs[3] + 2 * p - ws[3]) // st + 1)
    dy = rng.standard_normal((xs[0], ws[0], oh, ow)).astype(np.float32)
    if lib == "pe":
        from pyengine.backend import cpu as be
        args = (st, st, p, p, 1, 1, 1)
        fwd = lambda: be.conv2d(x, w, b, dy.shape, args)  # noqa: E731
        grad = lambda m: lambda: be.conv2d_backward(x, dy, w, *m, args)  # noqa: E731
    else:
        tx, tw, tb, tdy = (torch.tensor(a) for a in (x, w, b, dy))

        def fwd():
            with torch.no_grad():
                return torch.nn.functional.conv2d(tx, tw, tb, stride=st, padding=p)

        def grad(m):
            return lambda: torch.ops.aten.convolution_backward(
                tdy, tx, tw, [ws[0]], [st, st], [p, p], [1, 1], False, [0, 0], 1, list(m))
    return [fwd] + [grad(m) for m in ((True, False, False), (False, True, False))]


def small_planes_table(rounds):
    """The small-plane layers' kernels alone, and the algorithm conv2d runs for each pass."""
    print(f"\n{'small-plane layer (kernels alone)':32s} " + " ".join(
        f"{k:>13s}" for k in ("fwd", "grad input", "grad weight")) +
        "   (ms pe / torch; algorithms fwd, input, weight)")
    for name, (xs, ws, st, p) in SMALL_PLANES.items():
        fns = make_small_plane_case(name, "pe") + (
            make_small_plane_case(name, "torch") if torch else [])
        t = measure(fns, rounds)
        cols = [f"{t[i]:6.2f}/{t[i + 3]:6.2f}" if torch else f"{t[i]:13.2f}" for i in range(3)]
        algos = pe._C.conv2d_algorithms(np.zeros(xs, np.float32), np.zeros(ws, np.float32), st,
                                        st, p, p, 1, 1, 1) \
            if hasattr(pe._C, "conv2d_algorithms") else ("(not reported by this build)",)
        print(f"{name:32s} " + " ".join(cols) + "   " + ", ".join(algos), flush=True)


def nhwc_table(rounds):
    print(f"\n{'channels-last layer':40s} {'pe fwd':>7s} {'pe f+b':>7s} {'t fwd':>7s} {'t f+b':>7s} "
          f"{'cl fwd':>7s} {'cl f+b':>7s} {'r fwd':>6s} {'r f+b':>6s} {'rcl fwd':>7s} "
          f"{'rcl f+b':>7s}   (pe NHWC; t torch NCHW; cl torch channels_last; r = t / pe, "
          f"rcl = cl / pe)")
    for name in NHWC_CASES:
        fns = [f for lib in ("pe", "torch", "torch_cl") for f in make_nhwc_case(name, lib)]
        t = measure(fns, rounds)
        print(f"{name:40s} " + " ".join(f"{v:7.3f}" for v in t) +
              f" {t[2] / t[0]:6.2f} {t[3] / t[1]:6.2f} {t[4] / t[0]:7.2f} {t[5] / t[1]:7.2f}",
              flush=True)


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

    @pytest.mark.parametrize("mode", ["fwd", "fwd+bwd"])
    @pytest.mark.parametrize("name", NHWC_CASES)
    @pytest.mark.parametrize("lib", ["pe", "torch", "torch_cl"])
    def test_conv_nhwc_bench(benchmark, lib, name, mode):
        if lib != "pe":
            if torch is None:
                pytest.skip("torch not installed")
            torch.set_num_threads(THREADS)
        pe.set_num_threads(THREADS)
        f, fb = make_nhwc_case(name, lib)
        benchmark.group = f"nhwc {name} {mode}"
        benchmark(f if mode == "fwd" else fb)
except ImportError:
    pass

if __name__ == "__main__":
    steady_allocator()
    main()
