"""PyTorch-shaped utilities: ``pe.utils.data`` (Dataset, DataLoader, samplers).
See docs/data.md."""
from . import data
from . import checkpoint  # torch.utils.checkpoint (activation checkpointing), checkpoint.py

__all__ = ["data", "checkpoint"]
