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
    if optional:
        raise ValueError("[Input] optional=True is not supported")
    if tensor is not None:
        return _bound_input(tensor, shape, batch_size, dtype, batch_shape, name)
    return InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, name=name,
                      batch_shape=batch_shape, sparse=sparse)._output


def _bound_input(tensor, shape, batch_size, dtype, batch_shape, name):
    """Keras 2's `Input(tensor=value)`: an input bound to an existing (eager) tensor, e.g. the
    masks of neural_doodle.py, `Input(tensor=K.concatenate([mask_a, mask_b]))`. In a graph it is
    a constant: models and K.function built on layer outputs downstream of it do not take it
    as an argument (its value is fed), while a model given it as an input takes data for it
    like any input. `shape` / `batch_shape` / `dtype`, when given, must agree with the tensor."""
    from ..symbolic import KerasTensor
    from ...tensor import Tensor
    if isinstance(tensor, KerasTensor):
        raise NotImplementedError("[Input] tensor= a symbolic (graph) tensor is not supported: "
                                  "use that tensor itself as the model input (the graph is cut "
                                  "there)")
    value = np.asarray(tensor._data if isinstance(tensor, Tensor) else tensor)
    if value.ndim < 1:
        raise ValueError(f"[Input] tensor= needs at least a batch dimension. Received shape "
                         f"{value.shape}")
    want = tuple(batch_shape) if batch_shape is not None else (
        None if shape is None else (batch_size,) + (tuple(shape) if not isinstance(
            shape, (int, np.integer)) else (int(shape),)))
    if want is not None and (len(want) != value.ndim or any(
            d is not None and d != v for d, v in zip(want, value.shape))):
        raise ValueError(f"[Input] the tensor's shape {value.shape} does not match the declared "
                         f"shape {want} (batch included)")
    if dtype is not None and np.dtype(_dtype_name(dtype)) != value.dtype:
        value = value.astype(_dtype_name(dtype))
    layer = InputLayer.__new__(InputLayer)
    layer._bound_value = value  # read by input_tensor (the examples) and Model._run_graph
    InputLayer.__init__(layer, batch_shape=value.shape, dtype=value.dtype, name=name)
    return layer._output
