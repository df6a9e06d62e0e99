"""Helpers shared by the MPI worker scripts (run by tests/test_distributed.py under mpiexec)."""
import hashlib

import numpy as np

import pyengine.distributed as hvd


def digest(arrays):
    """sha256 of the arrays' bytes, in order."""
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def assert_same_on_all_ranks(arrays, what):
    """Every rank holds bitwise the same arrays."""
    hashes = hvd.comm().allgather(digest(arrays))
    assert len(set(hashes)) == 1, f"{what}: ranks differ: {hashes}"
