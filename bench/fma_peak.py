"""The machine's fp32 FMA peak, measured where the benchmark runs, for quoting kernels as a
fraction of it: ../shared/tools/fma_peak.c (found beside the checkout or any folder above it)
compiled with gcc and run once. Used by bench_gemm.py and bench_rnn.py."""
import os
import shutil
import subprocess
import tempfile

# This VM's quiet-machine figures (docs/gemm.md), used when fma_peak.c cannot be built or run.
FALLBACK_GFLOPS = {1: 117.0, 2: 191.0}


def find_fma_peak_c():
    d = os.path.dirname(os.path.abspath(__file__))
    while True:
        cand = os.path.join(d, "shared", "tools", "fma_peak.c")
        if os.path.exists(cand) or os.path.dirname(d) == d:
            return cand
        d = os.path.dirname(d)


def measure(warn=print):
    """{threads: GFLOP/s} from fma_peak.c's 'threads N: X GFLOP/s' lines; {} when it cannot run
    (no source, no gcc, or a failure, which `warn` reports)."""
    src = find_fma_peak_c()
    if not (os.path.exists(src) and shutil.which("gcc")):
        return {}
    with tempfile.TemporaryDirectory() as d:
        exe = os.path.join(d, "fma_peak")
        try:
            subprocess.run(["gcc", "-O2", "-mavx512f", "-fopenmp", src, "-o", exe],
                           check=True, capture_output=True)
            out = subprocess.run([exe], check=True, capture_output=True, text=True).stdout
            return {int(ln.split(":")[0].split()[1]): float(ln.split(":")[1].split()[0])
                    for ln in out.splitlines() if ln.startswith("threads")}
        except (subprocess.CalledProcessError, OSError, IndexError, ValueError) as e:
            warn(f"fma_peak.c failed ({e}); using this VM's fallback peak")
            return {}
