"""keras.preprocessing: sequence padding and time-series windows (Keras 2 locations; Keras 3
serves the same functions from keras.utils)."""
from . import sequence
from .timeseries import timeseries_dataset_from_array

__all__ = ["sequence", "timeseries_dataset_from_array"]
