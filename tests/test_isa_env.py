"""PYENGINE_CPU forces an ISA path at import; a bad value fails with a clear message."""
import os
import subprocess
import sys

import numpy as np
import pytest

import pyengine
from pyengine import _C

# The directory the tested pyengine was imported from (source tree or site-packages), so that the
# subprocess imports the same build (run there too: `python -c` puts its working directory first
# on sys.path, and a source checkout's pyengine/ without a built _C would shadow the installed one).
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(pyengine.__file__)))


def _run(env_value, code="import pyengine as pe; print(pe._C.cpu_isa())"):
    env = dict(os.environ, PYENGINE_CPU=env_value, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=60, cwd=ROOT)


@pytest.mark.parametrize("isa", ["generic", "avx2", "avx512"])
def test_env_forces_isa(isa):
    order = ["generic", "avx2", "avx512"]
    r = _run(isa)
    if order.index(isa) > order.index(_C.cpu_isa_detected()):
        assert r.returncode != 0 and "supports at most" in r.stderr
    else:
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == isa


def test_env_bogus_fails_clearly():
    r = _run("bogus")
    assert r.returncode != 0
    assert "unknown ISA 'bogus'" in r.stderr and "generic, avx2, avx512" in r.stderr
    assert "Segmentation" not in r.stderr


def test_set_cpu_isa_roundtrip():
    before = _C.cpu_isa()
    try:
        _C.set_cpu_isa("generic")
        assert _C.cpu_isa() == "generic"
    finally:
        _C.set_cpu_isa(before)


@pytest.mark.parametrize("isa", ["generic", "avx2", "avx512"])
def test_env_forced_path_computes_the_same(isa):
    order = ["generic", "avx2", "avx512"]
    if order.index(isa) > order.index(_C.cpu_isa_detected()):
        pytest.skip(f"CPU supports at most {_C.cpu_isa_detected()}")
    code = ("import numpy as np, pyengine as pe, pyengine.nn.functional as F\n"
            "x = pe.from_numpy(np.linspace(-8, 8, 1001, dtype=np.float32))\n"
            "print([F.gelu(x).numpy().tolist(), x.softmax(0).numpy().tolist()])")
    r = _run(isa, code)
    assert r.returncode == 0, r.stderr
    gelu, soft = (np.array(v) for v in eval(r.stdout))  # noqa: S307 (our own output)
    import pyengine.nn.functional as F
    x = pyengine.from_numpy(np.linspace(-8, 8, 1001, dtype=np.float32))
    np.testing.assert_allclose(gelu, F.gelu(x).numpy(), rtol=3e-6, atol=1e-30)
    np.testing.assert_allclose(soft, x.softmax(0).numpy(), rtol=3e-6, atol=1e-30)
