"""keras.preprocessing: the Keras 2 locations of sequence padding, time-series windows, the text
Tokenizer and ImageDataGenerator (Keras 3 serves the sequence functions from keras.utils too), and of
image_dataset_from_directory and text_dataset_from_directory."""
from . import image, sequence, text
from .image_dataset import image_dataset_from_directory
from .text_dataset import text_dataset_from_directory
from .timeseries import timeseries_dataset_from_array

__all__ = ["image", "sequence", "text", "timeseries_dataset_from_array", "image_dataset_from_directory",
           "text_dataset_from_directory"]
