"""PyTorch-shaped utilities: ``pe.utils.data`` (Dataset, DataLoader, samplers).
See docs/data.md."""
from . import data

__all__ = ["data"]
