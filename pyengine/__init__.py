"""pyengine: a small, fast deep-learning engine."""
from . import _C

__version__ = "0.1.0"
