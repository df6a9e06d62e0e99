"""``pe.utils.data``: torch.utils.data's names and semantics over pyengine tensors.

>>> ds = TensorDataset(pe.randn(100, 3), pe.arange(100))
>>> train, val = random_split(ds, [0.8, 0.2])
>>> for x, y in DataLoader(train, batch_size=16, shuffle=True, num_workers=2): ...
"""
from .collate import default_collate, default_convert
from .dataloader import DataLoader, get_worker_info
from .dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset, StackDataset,
                      Subset, TensorDataset, random_split)
from .sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler,
                      SubsetRandomSampler, WeightedRandomSampler)

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "StackDataset", "Subset",
           "ConcatDataset", "ChainDataset", "random_split", "Sampler", "SequentialSampler",
           "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler",
           "DataLoader", "get_worker_info", "default_collate", "default_convert"]


def __getattr__(name):
    # torch.utils.data.DistributedSampler: loaded on first use (it needs the MPI extra)
    if name == "DistributedSampler":
        from .distributed import DistributedSampler
        return DistributedSampler
    if name == "distributed":  # torch.utils.data.distributed.DistributedSampler, unimported
        import importlib
        return importlib.import_module(".distributed", __name__)
    raise AttributeError(f"module 'pyengine.utils.data' has no attribute '{name}'")
