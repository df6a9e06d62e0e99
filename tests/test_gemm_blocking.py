"""GEMM cache blocks derived from the cache sizes found at run time (csrc/gemm/blocking.cpp):
what is reported, how the blocks scale, and that other blocks still give correct and
thread-count-independent products (each case in a fresh process, since the sizes are read once).
"""
import json
import os
import subprocess
import sys

import pytest

from pyengine import _C

# the directory the tested pyengine was imported from (source tree or site-packages); children
# run there too, since `python -c` puts its working directory first on sys.path
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(_C.__file__)))

_CHILD = r"""
import json, numpy as np, pyengine as pe
from pyengine import _C
rng = np.random.default_rng(0)
out = {"blocks": _C.gemm_blocks()}
worst = 0.0
for m, k, n in [(300, 700, 260), (1, 900, 33), (97, 1300, 129)]:
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    res = []
    for nt in (1, 2):
        pe.set_num_threads(nt)
        c = np.empty((m, n), np.float32)
        _C.matmul(a, b, c)
        res.append(c)
    assert np.array_equal(res[0], res[1]), "threads differ"
    ref = a.astype(np.float64) @ b.astype(np.float64)
    worst = max(worst, float(np.max(np.abs(res[0] - ref) / (np.abs(ref) + 1))))
out["worst"] = worst
print(json.dumps(out))
"""


def _run(env_extra):
    env = dict(os.environ)
    env.update(env_extra)
    env["PYTHONPATH"] = _ROOT + os.pathsep + env.get("PYTHONPATH", "")
    p = subprocess.run([sys.executable, "-c", _CHILD], env=env, capture_output=True, text=True,
                       cwd=_ROOT,
                       timeout=300)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout.strip().splitlines()[-1])


def test_reported_cache_sizes_and_blocks():
    info = _C.gemm_blocks()
    assert info["source"].split("+")[0] in ("sysfs", "cpuid", "default", "env")
    assert info["l1d"] > 0 and info["l2"] > 0 and info["l3"] > 0
    for dt in ("float32", "float64"):
        b = info[dt]
        assert b["kc"] % 8 == 0 and b["nc"] % b["nr"] == 0 and b["mc"] % b["mr"] == 0
        assert b["kc"] >= 64 and b["nc"] >= b["nr"] and b["mc"] >= b["mr"]


@pytest.mark.parametrize("env", [
    {"PYENGINE_L1D": "32K", "PYENGINE_L2": "1M", "PYENGINE_L3": "32M"},   # the reference caches
    {"PYENGINE_L1D": "48K", "PYENGINE_L2": "1M"},                           # Zen 5
    {"PYENGINE_L1D": "32K", "PYENGINE_L2": "256K", "PYENGINE_L3": "8M"},    # small L2
    {"PYENGINE_L1D": "8K", "PYENGINE_L2": "64K", "PYENGINE_L3": "64K"},     # tiny: clamped
])
def test_blocks_follow_caches_and_products_stay_correct(env):
    out = _run(env)
    info = out["blocks"]
    assert info["source"].endswith("env")
    if env.get("PYENGINE_L1D") == "32K" and env.get("PYENGINE_L2") == "1M":
        if info["float32"]["mr"] == 12:  # the AVX-512 table's own values on its caches
            assert (info["float32"]["mc"], info["float32"]["kc"], info["float32"]["nc"]) == (
                240, 384, 384)
    if env.get("PYENGINE_L1D") == "48K" and info["float32"]["mr"] == 12:
        assert info["float32"]["kc"] == 576  # KC scales with L1d
    assert out["worst"] < 1e-4


def test_bad_env_values_are_ignored():
    out = _run({"PYENGINE_L1D": "garbage", "PYENGINE_L2": "-5"})
    assert out["blocks"]["l1d"] > 0 and out["blocks"]["l2"] > 0
    assert out["worst"] < 1e-4
