"""MPI worker: rank 1 raises while rank 0 waits in a collective; the job must end with rank 1's
error (the abort hook installed by init), not hang."""
import numpy as np

import pyengine.distributed as hvd

hvd.init()
if hvd.rank() == 1:
    raise RuntimeError("deliberate failure on rank 1")
hvd.allreduce(np.ones(3, np.float32))  # without the abort, rank 0 would wait here forever
print("rank 0 passed the allreduce: the abort did not happen", flush=True)
