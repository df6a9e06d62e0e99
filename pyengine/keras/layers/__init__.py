"""Keras layers by their Keras names (channels_last images)."""
from .base import Input, InputLayer, Layer
from .core import Activation, Dense, Dropout, Flatten, ReLU, Reshape, Softmax

__all__ = [n for n in dir() if not n.startswith("_")]
