"""Times one small pyengine training loop with and without PyTorch imported in the same process,
in both import orders (two OpenMP runtimes present with the repaired wheel), and prints
import time / RSS. Usage:
    python3 tools/openmp_interop.py [--path DIR] [--runs 5]
DIR is put first on PYTHONPATH (default: the source tree; pass an unpacked wheel to time the
wheel). Each scenario runs in a fresh interpreter; medians of --runs loops are printed."""
import argparse
import os
import statistics
import subprocess
import sys

LOOP = """
import time, resource, sys
t0 = time.perf_counter()
{imports}
t_import = time.perf_counter() - t0
rss_import = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
import pyengine as pe
pe.manual_seed(0)
x = pe.randn(512, 64); y = (x[:, 0] * x[:, 1] > 0).long()
model = pe.nn.Sequential(pe.nn.Linear(64, 256), pe.nn.ReLU(), pe.nn.Linear(256, 256), pe.nn.ReLU(),
                         pe.nn.Linear(256, 2))
opt = pe.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
times = []
for _ in range({runs}):
    t = time.perf_counter()
    for _ in range(50):
        opt.zero_grad(); loss = pe.nn.functional.cross_entropy(model(x), y); loss.backward(); opt.step()
    times.append(time.perf_counter() - t)
if "torch" in sys.modules:
    import torch; torch.ones(64, 64) @ torch.ones(64, 64)
print(t_import, rss_import, *times)
"""

SCENARIOS = {"pyengine only": "import pyengine", "torch then pyengine": "import torch\nimport pyengine",
             "pyengine then torch": "import pyengine\nimport torch"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--path", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    env = dict(os.environ, PYTHONPATH=args.path)
    for name, imports in SCENARIOS.items():
        code = LOOP.format(imports=imports, runs=args.runs)
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
        if out.returncode:
            print(f"{name}: FAILED\n{out.stderr[-2000:]}")
            continue
        vals = [float(v) for v in out.stdout.split()]
        loop_ms = statistics.median(vals[2:]) * 1000
        print(f"{name:22s} import {vals[0]:.3f} s  max RSS after import {vals[1]:.0f} MB  "
              f"50 steps median {loop_ms:.1f} ms (runs: {', '.join(f'{v * 1000:.0f}' for v in vals[2:])})")


if __name__ == "__main__":
    main()
