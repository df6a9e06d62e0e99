"""keras.preprocessing: the Keras 2 locations of sequence padding, time-series windows and
ImageDataGenerator (Keras 3 serves the sequence functions from keras.utils too)."""
from . import image, sequence
from .timeseries import timeseries_dataset_from_array

__all__ = ["image", "sequence", "timeseries_dataset_from_array"]
