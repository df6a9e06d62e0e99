"""Layer modules, one file per family."""
from .activation import (ELU, GELU, Hardtanh, LeakyReLU, LogSoftmax, ReLU, ReLU6, Sigmoid, SiLU,
                         Softmax, Softplus, Tanh)
from .container import ModuleDict, ModuleList, Sequential
from .dropout import Dropout, Dropout1d, Dropout2d
from .linear import Flatten, Identity, Linear, Unflatten

__all__ = [n for n in dir() if not n.startswith("_")]
