"""torch.nn.parallel's names (`import torch.nn.parallel` opens many course programs).
DataParallel / data_parallel: without CUDA devices torch runs the module as is, and so does
pyengine. DistributedDataParallel trains across MPI processes (pyengine.distributed.ddp); it is
imported on first use; without the [dist] extra (mpi4py), making one raises the ImportError
that names the extra."""
from .layers.data_parallel import DataParallel

__all__ = ["DataParallel", "data_parallel"]


def data_parallel(module, inputs, device_ids=None, output_device=None, dim=0,
                  module_kwargs=None):
    """The functional form of DataParallel: module(*inputs, **module_kwargs) on this process."""
    if not callable(module):
        raise TypeError(f"[data_parallel] module must be callable (an nn.Module), got "
                        f"{type(module).__name__}")
    if device_ids or output_device is not None:
        raise RuntimeError(f"[data_parallel] device_ids={device_ids!r} / output_device="
                           f"{output_device!r}: pyengine has no CUDA devices to run replicas on")
    if not isinstance(dim, int) or isinstance(dim, bool):
        raise TypeError(f"[data_parallel] dim must be an int, got {dim!r}")
    if module_kwargs is not None and not isinstance(module_kwargs, dict):
        raise TypeError(f"[data_parallel] module_kwargs must be a dict, got "
                        f"{type(module_kwargs).__name__}")
    if not isinstance(inputs, tuple):
        inputs = () if inputs is None else (inputs,)
    return module(*inputs, **(module_kwargs or {}))


def __getattr__(name):
    if name == "DistributedDataParallel":  # made without mpi4py, it names the [dist] extra
        from ..distributed.ddp import DistributedDataParallel
        return DistributedDataParallel
    raise AttributeError(f"module 'pyengine.nn.parallel' has no attribute {name!r}")
