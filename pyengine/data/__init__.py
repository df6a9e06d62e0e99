"""pe.data: tf.data-style input pipelines (``tf.data`` under ``import pyengine as tf``).
See docs/data.md and `Dataset`."""
from . import experimental
from .dataset import AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, Dataset
from .options import Options, ThreadingOptions
from .structure import TensorSpec
from .text_line import TextLineDataset

__all__ = ["Dataset", "TextLineDataset", "AUTOTUNE", "TensorSpec", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY",
           "experimental", "Options", "ThreadingOptions"]
