"""MPI worker: init() gives each rank on this machine its share of the cores when neither
OMP_NUM_THREADS nor set_num_threads chose (argv[1] == 'chosen': the program set 3 first)."""
import os
import sys

import pyengine as pe
import pyengine.distributed as dist

if sys.argv[1] == "chosen":
    pe.set_num_threads(3)
dist.init_process_group("gloo")
cores = len(os.sched_getaffinity(0))
if sys.argv[1] == "chosen":
    assert pe.get_num_threads() == 3, pe.get_num_threads()
else:
    assert pe.get_num_threads() <= max(1, cores // dist.local_size()), (pe.get_num_threads(), cores)
print(f"OK threads_share rank {dist.get_rank()} threads {pe.get_num_threads()} cores {cores}",
      flush=True)
dist.destroy_process_group()
