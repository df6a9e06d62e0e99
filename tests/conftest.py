"""Shared fixtures: every ISA path the CPU can run, and 1 vs 2 threads."""
import pytest

import pyengine as pe
from pyengine import _C

_ISAS = ("generic", "avx2", "avx512")


def _supported(isa):
    return _ISAS.index(isa) <= _ISAS.index(_C.cpu_isa_detected())


@pytest.fixture(params=_ISAS)
def isa(request):
    """Runs the test once per ISA path (skipping those above the CPU's), then restores."""
    if not _supported(request.param):
        pytest.skip(f"CPU supports at most {_C.cpu_isa_detected()}")
    before = _C.cpu_isa()
    _C.set_cpu_isa(request.param)
    yield request.param
    _C.set_cpu_isa(before)


@pytest.fixture
def threads():
    """Call threads(n) to set the kernel thread count; the previous count is restored after."""
    before = pe.get_num_threads()
    yield pe.set_num_threads
    pe.set_num_threads(before)
