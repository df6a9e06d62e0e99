"""PyTorch-shaped utilities: ``pe.utils.data`` (Dataset, DataLoader, samplers).
See docs/data.md."""
from . import data
from . import checkpoint  # torch.utils.checkpoint (activation checkpointing), checkpoint.py
from ._swap import swap_tensors

__all__ = ["data", "checkpoint", "swap_tensors"]
