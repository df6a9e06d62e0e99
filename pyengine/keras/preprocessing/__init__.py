"""keras.preprocessing: the legacy (Keras 2) data utilities tutorials still import."""
from . import image  # noqa: F401
