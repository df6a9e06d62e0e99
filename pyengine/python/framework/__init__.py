"""`tensorflow.python.framework`: `tensor_shape` (TensorShape, the module keras-io's
dimension-adaptive pooling layer reads) is pyengine.tensor_shape itself, so both
`from pyengine.python.framework import tensor_shape` and
`import pyengine.python.framework.tensor_shape` find it."""
import sys

from ... import tensor_shape

sys.modules[__name__ + ".tensor_shape"] = tensor_shape
