"""Neural-network building blocks (PyTorch-style)."""
from . import functional
