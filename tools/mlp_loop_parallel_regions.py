"""OpenMP parallel regions per training step of bench/bench_mlp_loop.py's cells, on 2 threads.

    PYTHONPATH=. python3 tools/mlp_loop_parallel_regions.py

A cell with no region runs the same code on 1 and 2 threads, so any difference between its two
timings is noise from the machine, not a threading cliff. Builds tools/gomp_parallel_count.c (gcc)
into a temporary folder and re-runs itself with it preloaded.
"""
import ctypes
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SHIM_ENV = "PYENGINE_GOMP_COUNT_SO"

if SHIM_ENV not in os.environ:
    so = os.path.join(tempfile.mkdtemp(), "libgomp_parallel_count.so")
    subprocess.run(["gcc", "-O2", "-shared", "-fPIC", os.path.join(HERE, "gomp_parallel_count.c"),
                    "-o", so, "-ldl"], check=True)
    env = dict(os.environ, LD_PRELOAD=so, GOMP_COUNT_ON="1", **{SHIM_ENV: so})
    sys.exit(subprocess.run([sys.executable] + sys.argv, env=env).returncode)

shim = ctypes.CDLL(os.environ[SHIM_ENV])
sys.path.insert(0, os.path.join(HERE, "..", "bench"))
import bench_mlp_loop as bm  # noqa: E402
import pyengine as pe  # noqa: E402

pe.set_num_threads(2)
print("opt   width batch  regions per step (2 threads)")
for opt in ("sgd", "adam"):
    for width in (16, 32, 64, 128, 256, 512):
        for batch in (10, 32, 64):
            step = bm.make_step(pe, width, batch, opt)
            step()
            step()
            shim.gomp_count_reset()
            for _ in range(10):
                step()
            print(f"{opt:5} {width:5} {batch:5}  {shim.gomp_count_get(2) / 10:g}")
