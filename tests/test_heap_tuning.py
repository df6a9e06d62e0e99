"""pyengine._C sets glibc's heap thresholds at import (csrc/common/heap_tuning.cpp) so that the
multi-megabyte arrays a training step allocates and frees are reused instead of being faulted
back in every step; PYENGINE_HEAP_TUNING=0 or the user's own malloc settings turn it off."""
import os
import subprocess
import sys
import tempfile

import pytest

import pyengine

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc heap only")

# Hold a large array (as a training set does), then allocate, touch and free 11 MB arrays (a
# convnet activation) with smaller ones in between: page faults per round after a warm-up.
SCRIPT = """
import resource, numpy as np
import pyengine
data = np.ones((60000, 784), np.float32)
def step():
    a = np.ones((128, 26, 26, 32), np.float32); b = np.ones(1 << 20, np.float32)
    c = np.ones((128, 13, 13, 32), np.float32); del a; d = np.ones(3 << 20, np.float32)
    del b, c, d
for _ in range(5): step()
r0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20): step()
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - r0) / 20)
"""


def _faults_per_round(**env):
    full = dict(os.environ, **env)
    for k in ("GLIBC_TUNABLES", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"):
        full.pop(k, None)
    # The child imports the pyengine this test imported (an installed wheel or a built source
    # tree): `python -c` puts the working directory first on sys.path, so it runs from a neutral
    # folder with that pyengine's parent on PYTHONPATH.
    full["PYTHONPATH"] = os.path.dirname(os.path.dirname(os.path.abspath(pyengine.__file__)))
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=full, capture_output=True,
                         text=True, check=True, cwd=tempfile.gettempdir())
    return float(out.stdout.split()[-1])


def test_arrays_freed_and_allocated_again_do_not_fault_pages_in():
    # 11 MB is ~2,700 pages: a round that faulted them in would count thousands (glibc 2.36's
    # defaults: ~2,300 per round with PYENGINE_HEAP_TUNING=0).
    assert _faults_per_round(PYENGINE_HEAP_TUNING="1") < 50

