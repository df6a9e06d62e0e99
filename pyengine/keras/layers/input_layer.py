"""keras.Input and InputLayer: the declared input of a model (shape with None dimensions,
dtype: numeric or "string", name); its output is the KerasTensor a functional graph starts
from."""
import numpy as np

from ...string_dtype import is_string
from .base import Layer


class InputLayer(Layer):
    """The declared input of a model: `keras.Input(shape=(11,))` makes one and returns its
    symbolic output."""

    def __init__(self, shape=None, batch_size=None, dtype=None, name=None, input_shape=None,
                 batch_shape=None, sparse=None, batch_input_shape=None, **kwargs):
        batch_shape = batch_input_shape if batch_shape is None else batch_shape  # Keras 2 name
        if batch_shape is not None:
            batch_size, shape = batch_shape[0], tuple(batch_shape[1:])
        shape = shape if shape is not None else input_shape
        if shape is None:
            raise ValueError("[Input] a shape is required, e.g. keras.Input(shape=(11,))")
        if sparse:
            raise ValueError("[Input] sparse inputs are not supported. Received: sparse=True")
        if isinstance(shape, (int, np.integer)):
            shape = (int(shape),)
        shape = tuple(None if d is None else int(d) for d in shape)
        if any(d is not None and d < 0 for d in shape):
            raise ValueError(f"[Input] dimensions must be non-negative or None. Received: "
                             f"shape={shape}")
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(
                batch_size, (int, np.integer)) or batch_size < 1):
            raise ValueError(f"[Input] batch_size must be a positive integer or None. "
                             f"Received: batch_size={batch_size!r}")
        batch_size = None if batch_size is None else int(batch_size)
        super().__init__(name=name, **kwargs)
        self.shape = (batch_size,) + shape
        self._batch_size_arg = batch_size
        self.input_dtype = _dtype_name(dtype)
        self._input_shape_arg = shape
        self.built = True
        from ..symbolic import input_tensor
        self._output = input_tensor(self)

    def get_config(self):
        return {"class_name": "InputLayer", "args": [],
                "kwargs": {"shape": list(self.shape[1:]), "batch_size": self.shape[0],
                           "dtype": self.input_dtype, "name": self.name}}

    def call(self, x):
        return x


def _dtype_name(dtype):
    if dtype is None:
        return "float32"
    if is_string(dtype):
        return "string"  # text, for a TextVectorization layer to take
    name = getattr(dtype, "name", None) or str(np.dtype(dtype))
    name = {"float": "float32", "int": "int64"}.get(name, name)
    if np.dtype(name).kind not in "biuf":
        raise ValueError(f"[Input] dtype must be numeric or 'string'. Received: dtype={dtype}")
    return name


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None,
          tensor=None, optional=False):
    """A symbolic input (a KerasTensor) of `shape` (None for a variable dimension; the batch
    dimension is implicit), to build functional models: `keras.Model(inputs, outputs)`."""
    if tensor is not None or optional:
        raise ValueError("[Input] tensor= and optional=True are not supported")
    return InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, name=name,
                      batch_shape=batch_shape, sparse=sparse)._output
