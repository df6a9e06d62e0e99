"""Layer: Keras 3's contract. `__init__` stores and validates config, `build(input_shape)` creates
the weights at the first call (input sizes are inferred), `call(x, training)` is the math.
Layers are callable on NumPy arrays or Tensors and return Tensors."""
import numpy as np

from ...nn.module import Parameter
from ...tensor import Tensor
from .. import initializers as _init
from ..utils import snake_case, unique_name


def to_tensor(x):
    if isinstance(x, Tensor):
        return x
    a = np.asarray(x)
    if a.dtype.kind in "biu" or a.dtype == np.float64:
        a = a.astype(np.float32)  # Keras computes in float32 (floatx)
    return Tensor._wrap(np.ascontiguousarray(a))


class KerasTensor(Tensor):
    """What layers and models return: a Tensor whose .numpy() works even when it carries a
    gradient graph, as TensorFlow's eager tensors do (`model(x).numpy()`)."""
    __slots__ = ()

    def numpy(self):
        return self.data


def as_output(t):
    if type(t) is Tensor:
        t.__class__ = KerasTensor
    return t


class Variable(Parameter):
    """A layer weight: a Parameter that knows its path ('dense/kernel')."""
    __slots__ = ("path",)


class Layer:
    def __new__(cls, *args, **kwargs):
        obj = super().__new__(cls)
        obj._init_args = (args, kwargs)  # the layer's config, for model.save / load_model
        return obj

    def get_config(self):
        """{'class_name', 'args', 'kwargs'} as given to __init__ (nested layers included)."""
        args, kwargs = self._init_args
        kwargs = dict(kwargs)
        kwargs["name"] = self.name
        return {"class_name": type(self).__name__, "args": list(args), "kwargs": kwargs}

    def __init__(self, name=None, trainable=True, dtype=None, input_shape=None, input_dim=None,
                 batch_input_shape=None, **kwargs):
        if kwargs:
            raise TypeError(f"[{type(self).__name__}] unrecognized keyword arguments: "
                            f"{sorted(kwargs)}")
        self.name = name or unique_name(snake_case(type(self).__name__))
        self._trainable = bool(trainable)
        self._weights = []          # Tensors in creation order
        self._trainable_flags = []  # per weight: trainable when the layer is
        self._regularizers = []     # (weight, regularizer)
        self.built = False
        self.output_shape_ = None
        if input_dim is not None:
            input_shape = (input_dim,)
        if batch_input_shape is not None:
            input_shape = tuple(batch_input_shape)[1:]
        self._input_shape_arg = None if input_shape is None else tuple(input_shape)

    # ---- weights --------------------------------------------------------------------------
    def add_weight(self, shape, initializer="glorot_uniform", name=None, trainable=True,
                   regularizer=None):
        arr = _init.get(initializer)(tuple(int(s) for s in shape), "float32")
        w = Variable(Tensor._wrap(np.ascontiguousarray(arr, dtype=np.float32)),
                     requires_grad=bool(trainable and self._trainable))
        w.path = f"{self.name}/{name or 'weight'}"
        self._weights.append(w)
        self._trainable_flags.append(bool(trainable))
        if regularizer is not None:
            self._regularizers.append((w, regularizer))
        return w

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        for w, t in zip(self._weights, self._trainable_flags):
            w.requires_grad = self._trainable and t
        for sub in self._sublayers():
            sub.trainable = value

    def _sublayers(self):
        return []

    @property
    def weights(self):
        return list(self._weights) + [w for s in self._sublayers() for w in s.weights]

    @property
    def trainable_weights(self):
        if not self._trainable:
            return []
        own = [w for w, t in zip(self._weights, self._trainable_flags) if t]
        return own + [w for s in self._sublayers() for w in s.trainable_weights]

    @property
    def non_trainable_weights(self):
        ids = {id(w) for w in self.trainable_weights}
        return [w for w in self.weights if id(w) not in ids]

    trainable_variables = trainable_weights
    variables = weights

    @property
    def losses(self):
        """Regularization penalties of this layer's weights (Tensors)."""
        out = [r(w) for w, r in self._regularizers]
        return out + [p for s in self._sublayers() for p in s.losses]

    def get_weights(self):
        return [w.data.copy() for w in self.weights]

    def set_weights(self, weights):
        mine = self.weights
        if len(weights) != len(mine):
            raise ValueError(f"[{self.name}] set_weights expected {len(mine)} arrays, received "
                             f"{len(weights)}")
        for w, v in zip(mine, weights):
            v = np.asarray(v)
            if v.shape != w.shape:
                raise ValueError(f"[{self.name}] weight {w.path} has shape {w.shape}, "
                                 f"received {v.shape}")
        for w, v in zip(mine, weights):
            np.copyto(w.data, np.asarray(v), casting="unsafe")  # in place: optimizers keep refs

    def count_params(self):
        return int(sum(w.data.size for w in self.weights))

    # ---- calling ---------------------------------------------------------------------------
    def build(self, input_shape):
        self.built = True

    def call(self, x, training=False):
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        return input_shape

    def __call__(self, x, training=False):
        x = to_tensor(x)
        if not self.built:
            self.build(tuple(x.shape))
            self.built = True
        y = self.call(x, training=training)
        self.output_shape_ = (None,) + tuple(y.shape[1:])
        return as_output(y)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


class InputLayer(Layer):
    """The declared input of a model: `keras.Input(shape=(11,))` or `layers.InputLayer(...)`."""

    def __init__(self, shape=None, batch_size=None, name=None, input_shape=None, **kwargs):
        shape = shape if shape is not None else input_shape
        if shape is None:
            raise ValueError("[Input] a shape is required, e.g. keras.Input(shape=(11,))")
        if isinstance(shape, int):
            shape = (shape,)
        super().__init__(name=name, **kwargs)
        self.shape = (batch_size,) + tuple(shape)
        self._input_shape_arg = tuple(shape)

    def call(self, x, training=False):
        return x


def Input(shape=None, batch_size=None, name=None, **kwargs):
    return InputLayer(shape=shape, batch_size=batch_size, name=name, **kwargs)
