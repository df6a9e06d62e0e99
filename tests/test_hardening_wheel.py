"""The installed package next to other OpenMP users (issue 13 item 5): threadpoolctl sees and caps
pyengine's pool; `import torch` before or after `import pyengine` both work and both train.
Runs against whatever `import pyengine` finds (the source tree, or the repaired wheel in
.ci/run's fresh venv). Timings of the same loop: tools/openmp_interop.py (docs/hardening.md)."""
import os
import subprocess
import sys
import textwrap

import pytest

from hardening_battery import package_path

TRAIN = """
import time, numpy as np, pyengine as pe
pe.manual_seed(0)
x = pe.randn(256, 32); y = (x[:, 0] * x[:, 1] > 0).long()
model = pe.nn.Sequential(pe.nn.Linear(32, 64), pe.nn.ReLU(), pe.nn.Linear(64, 2))
opt = pe.optim.Adam(model.parameters(), lr=1e-2)
losses = []
for _ in range(30):
    opt.zero_grad(); loss = pe.nn.functional.cross_entropy(model(x), y); loss.backward(); opt.step()
    losses.append(loss.item())
assert losses[-1] < 0.5 * losses[0], losses
"""


def python(code):
    env = dict(os.environ, PYTHONPATH=package_path())
    p = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, cwd=package_path(),
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    return p.stdout


def test_threadpoolctl_sees_and_caps_pyengine_threads():
    pytest.importorskip("threadpoolctl")
    out = python("""
        import pyengine as pe, threadpoolctl
        pe.set_num_threads(2)
        mine = [i for i in threadpoolctl.threadpool_info() if i["internal_api"] == "openmp"
                and i["num_threads"] == 2]
        assert mine, threadpoolctl.threadpool_info()
        with threadpoolctl.threadpool_limits(limits=1, user_api="openmp"):
            inside = pe.get_num_threads()
        print(inside, pe.get_num_threads())
    """)
    assert out.split() == ["1", "2"]


@pytest.mark.parametrize("order", ["torch_first", "pyengine_first"])
def test_torch_and_pyengine_in_one_process(order):
    pytest.importorskip("torch")
    first, second = ("torch", "pyengine") if order == "torch_first" else ("pyengine", "torch")
    out = python(f"import {first}, {second}\nimport torch\n" + textwrap.dedent(TRAIN) + """
t = torch.nn.Linear(32, 2)(torch.randn(64, 32)).sum()
t.backward()
print("ok", pe.get_num_threads() >= 1, torch.get_num_threads() >= 1)
""")
    assert out.strip() == "ok True True"


def test_import_is_light():
    """`import pyengine` loads no optional subpackage (keras, optim...) and no torch."""
    out = python("""
        import sys, pyengine
        heavy = [m for m in ("pyengine.keras", "pyengine.optim", "torch", "scipy") if m in sys.modules]
        print(heavy)
    """)
    assert out.strip() == "[]"
