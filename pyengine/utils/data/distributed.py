"""torch.utils.data.distributed.DistributedSampler, at PyTorch's import path: pyengine's
(pyengine/distributed/sharding.py, the same permutation on every rank from seed + epoch),
which needs the MPI extra (pip install 'pyengine[dist]') for its default rank and size: without
mpi4py it works with num_replicas= and rank= given, and raises the ImportError that names the
extra without them."""
from ...distributed.sharding import DistributedSampler  # noqa: F401

__all__ = ["DistributedSampler"]
