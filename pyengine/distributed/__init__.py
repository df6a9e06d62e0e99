"""Data-parallel training on MPI (mpi4py), in Horovod's shape.

Needs the extra: ``pip install 'pyengine[dist]'`` (mpi4py + the mpich MPI library). Without it,
``import pyengine.distributed`` still works, as ``import torch.distributed`` does on a build
without distributed support (programs import it at the top and use it only when asked to):
``is_available()`` is False, and ``init()``, ``init_process_group()`` and everything that needs
a job raise an ImportError naming the extra. The rest of pyengine does not import this package.
Importing it does not start MPI: init() does.

    import pyengine as pe
    import pyengine.distributed as hvd

    hvd.init()
    x, y = hvd.shard((x, y))                                   # this rank's samples
    opt = hvd.DistributedOptimizer(pe.optim.SGD(model.parameters(), lr=0.01 * hvd.size()))
    hvd.broadcast_parameters(model.state_dict(), root_rank=0)
    for xb, yb in batches(x, y):
        opt.zero_grad(); loss_fn(model(xb), yb).backward(); opt.step()

    mpiexec -n 2 python train.py

PyTorch's names work too (process_group.py, ddp.py): ``import pyengine.distributed as dist``,
``dist.init_process_group("gloo")``, ``DistributedDataParallel(model)``, ``dist.all_reduce(t)``.

Keras (compile / fit, callbacks): pyengine.distributed.keras. Contract, cluster use and
measurements: docs/distributed.md.
"""
from ._mpi import (comm, init, is_initialized, local_rank, local_size, rank,  # noqa: E402
                   size)
from .collectives import (Average, Max, Min, Product, ReduceOp, Sum, allgather,  # noqa: E402
                          allreduce, broadcast, broadcast_, broadcast_object,
                          broadcast_parameters)
from .optimizer import DistributedOptimizer, broadcast_optimizer_state  # noqa: E402
from .sharding import DistributedSampler, ShardedDataset, shard, shard_indices  # noqa: E402
from .process_group import (GroupMember, Work, all_gather, all_gather_into_tensor,  # noqa: E402
                            all_gather_object, all_reduce, barrier, broadcast_object_list,
                            destroy_process_group, gather, get_backend, get_rank,
                            get_world_size, group, init_process_group, is_available,
                            is_gloo_available, is_mpi_available, is_nccl_available,
                            is_torchelastic_launched, reduce, scatter)
from .ddp import DistributedDataParallel  # noqa: E402

__all__ = ["init", "is_initialized", "comm", "rank", "size", "local_rank", "local_size",
           "barrier", "ReduceOp", "Average", "Sum", "Min", "Max", "Product", "allreduce",
           "allgather", "broadcast", "broadcast_", "broadcast_object", "broadcast_parameters",
           "broadcast_optimizer_state", "DistributedOptimizer", "shard", "shard_indices",
           "ShardedDataset", "DistributedSampler",
           # PyTorch's names (process_group.py, ddp.py)
           "init_process_group", "destroy_process_group", "is_available", "is_mpi_available",
           "is_gloo_available", "is_nccl_available", "is_torchelastic_launched", "get_rank",
           "get_world_size", "get_backend", "all_reduce", "reduce", "all_gather",
           "all_gather_into_tensor", "gather", "scatter", "all_gather_object",
           "broadcast_object_list", "group", "GroupMember", "Work", "DistributedDataParallel"]
