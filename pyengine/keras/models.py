"""keras.models: Model (functional and subclassed), Sequential, load_model."""
from .model import Model
from .saving import load_model
from .sequential import Sequential

__all__ = ["Model", "Sequential", "load_model"]
