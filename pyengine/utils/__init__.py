"""PyTorch-shaped utilities: ``pe.utils.data`` (Dataset, DataLoader, samplers).
See docs/data.md."""
from . import data
from . import checkpoint  # torch.utils.checkpoint (activation checkpointing), checkpoint.py
from ._swap import swap_tensors

__all__ = ["data", "checkpoint", "swap_tensors", "benchmark"]


def __getattr__(name):
    if name == "benchmark":  # torch.utils.benchmark (Timer, Measurement, Compare): on first use
        import importlib
        return importlib.import_module(".benchmark", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
