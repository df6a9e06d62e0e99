"""The kernels' OpenMP thread count for the calling thread (OpenMP's nthreads ICV).

pyengine/__init__.py builds the public set_num_threads / get_num_threads (argument checks, the
fork guard) on these two; only backend/ calls the compiled extension (DESIGN.md).
"""
from .. import _C

set_num_threads = _C.set_num_threads
get_num_threads = _C.get_num_threads
