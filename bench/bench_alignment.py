"""How the data's alignment moves a streaming AVX-512 kernel: the channels-last depthwise 3x3
forward (bench_conv.py's depthwise row, 8x56x56x64, pad 1) with input and output placed 0 or 16
bytes past a 64-byte boundary, then as the engine allocates them (pe.tensor's copy and the
kernel's output: 64-byte aligned, csrc/bindings/output_array.cpp).

    PYTHONPATH=. python3 bench/bench_alignment.py

glibc hands NumPy's large blocks out 16 bytes past a 64-byte boundary, which is the "+16" case.
Best of 300 calls each, PYENGINE_BENCH_THREADS threads (default 2). The input and the output lie
in one buffer, a whole number of 4 KiB pages plus 64 KiB apart (x and y at the same offset within
a page: no 4K aliasing between the loads of one and the stores of the other).
"""
import os
import time

import numpy as np

import pyengine as pe
import pyengine.nn.functional as F

SHAPE = (8, 56, 56, 64)
THREADS = int(os.environ.get("PYENGINE_BENCH_THREADS", "2"))


def best_ms(f, calls=300):
    for _ in range(20):
        f()
    best = float("inf")
    for _ in range(calls):
        t0 = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t0)
    return best * 1e3


def main():
    pe.set_num_threads(THREADS)
    rng = np.random.default_rng(0)
    w = (rng.standard_normal((3, 3, 1, 64)) * 0.1).astype(np.float32)
    b = rng.standard_normal(64).astype(np.float32)
    n = int(np.prod(SHAPE))
    buf = np.zeros(2 * n + (1 << 16), np.float32)
    page = (-buf.__array_interface__["data"][0] % 4096) // 4  # first page boundary, in floats
    gap = n + (1 << 14)  # n floats are a whole number of pages; plus 64 KiB
    print(f"depthwise 3x3 NHWC forward {SHAPE}, {THREADS} threads, isa={pe._C.cpu_isa()}; "
          f"_C.conv2d_nhwc_forward into a preallocated output (ms):")
    for xo, yo in ((0, 0), (0, 16), (16, 0), (16, 16)):
        x = buf[page + xo // 4:page + xo // 4 + n].reshape(SHAPE)
        y = buf[page + gap + yo // 4:page + gap + yo // 4 + n].reshape(SHAPE)
        x[...] = rng.standard_normal(SHAPE)
        ms = best_ms(lambda: pe._C.conv2d_nhwc_forward(x, w, b, y, 1, 1, 1, 1, 1, 1, 1, 1, 64,
                                                       None, 0.0))
        print(f"  input +{xo:2d} B, output +{yo:2d} B: {ms:.3f}")
    X, W, B = pe.tensor(rng.standard_normal(SHAPE).astype(np.float32)), pe.tensor(w), pe.tensor(b)

    def engine():
        with pe.no_grad():
            return F.conv2d_nhwc(X, W, B, padding=1, groups=64)

    print(f"  as the engine allocates (pe.tensor input, a new output per call; F.conv2d_nhwc): "
          f"{best_ms(engine):.3f}")


if __name__ == "__main__":
    main()
