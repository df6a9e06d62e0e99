"""keras.backend: the common functions Keras 2 programs call (`from keras import backend as K`),
each an alias of the same functions keras.ops uses."""
from . import ops as _ops
from . import random as _random
from .utils import _name_counts

mean, sum, max, min, square, exp, log, sqrt, abs = (
    _ops.mean, _ops.sum, _ops.max, _ops.min, _ops.square, _ops.exp, _ops.log, _ops.sqrt, _ops.abs)
reshape, cast, maximum, minimum, clip, one_hot, prod = (
    _ops.reshape, _ops.cast, _ops.maximum, _ops.minimum, _ops.clip, _ops.one_hot, _ops.prod)


def shape(x):
    """Keras 2's K.shape: the sizes at run time. On eager tensors a tuple of ints (so
    `K.shape(z)[0]` sizes a K.random_normal); on graph tensors a graph node giving the int64
    shape vector when the graph runs (deep_dream's `K.prod(K.cast(K.shape(x), 'float32'))`),
    where keras.ops.shape would give the static shape with None."""
    from .symbolic import KerasTensor, symbolic_op
    if isinstance(x, KerasTensor):
        return symbolic_op(_runtime_shape, x, name="shape")
    return _ops.shape(x)


def _runtime_shape(t):
    from ..creation import tensor as _tensor
    import numpy as np
    return _tensor(np.asarray(t.shape, np.int64))
var, std = _ops.var, _ops.std  # population statistics (ddof 0), as K.var / K.std
softmax, relu, sigmoid, tanh, argmax, transpose = (
    _ops.softmax, _ops.relu, _ops.sigmoid, _ops.tanh, _ops.argmax, _ops.transpose)
ones, zeros, ones_like, zeros_like, dot = _ops.ones, _ops.zeros, _ops.ones_like, _ops.zeros_like, \
    _ops.matmul


equal, not_equal, greater, less, expand_dims, squeeze, stack, pow = (
    _ops.equal, _ops.not_equal, _ops.greater, _ops.less, _ops.expand_dims, _ops.squeeze,
    _ops.stack, _ops.power)


def flatten(x):
    """Keras 2's K.flatten: all of x as one vector (batch included)."""
    return _ops.reshape(x, (-1,))


def batch_flatten(x):
    """Keras 2's K.batch_flatten: (batch, everything else)."""
    n = 1
    for d in _ops.shape(x)[1:]:
        if d is None:
            raise ValueError(f"[batch_flatten] every dimension but the batch must be known. "
                             f"Received: shape={_ops.shape(x)}")
        n *= d
    return _ops.reshape(x, (-1, n))


def ndim(x):
    return len(x.shape)


def permute_dimensions(x, pattern):
    return _ops.transpose(x, tuple(pattern))


def concatenate(tensors, axis=-1):
    return _ops.concatenate(tensors, axis)


def l2_normalize(x, axis=None):
    """Keras 2's K.l2_normalize (tf.nn.l2_normalize): x / sqrt(max(sum(x ** 2, axis), 1e-12)),
    over all elements when axis is None."""
    sq = _ops.sum(_ops.square(x), axis=axis, keepdims=True)
    return x / _ops.sqrt(_ops.maximum(sq, 1e-12))


def function(inputs, outputs, updates=None, name=None, **kwargs):
    """Keras 2's K.function: a callable that maps a list of arrays for the symbolic `inputs` to
    NumPy arrays of `outputs` (a list when `outputs` is a list or tuple), computed in inference
    mode (K.set_learning_phase(1): training mode), as `K.function([model.input], [layer.output])` is used to read a layer's activations.
    Variable `updates` are not supported (train with fit or a GradientTape-style loop)."""
    if updates:
        raise NotImplementedError("[K.function] updates are not supported; train with "
                                  "model.fit / train_on_batch or a custom loop instead")
    if kwargs:
        raise TypeError(f"[K.function] Unrecognized keyword arguments: {sorted(kwargs)}")
    from .model import Model
    as_list = isinstance(outputs, (list, tuple))
    ins = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    model = Model(ins, list(outputs) if as_list else outputs, name=name)

    def run(values):
        values = list(values) if isinstance(values, (list, tuple)) else [values]
        if len(values) != len(ins):
            raise ValueError(f"[K.function] expected {len(ins)} input arrays, received "
                             f"{len(values)}")
        from ..autograd import no_grad
        from .backend_graph import learning_phase
        with no_grad():  # (a K.gradients node differentiates its own sub-graph inside)
            out = model(values if len(values) > 1 else values[0],
                        training=bool(learning_phase()))
        if as_list:
            return [_ops.convert_to_numpy(o) for o in (out if isinstance(out, (list, tuple))
                                                        else [out])]
        return _ops.convert_to_numpy(out)
    return run


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    return _random.normal(shape, mean, stddev, dtype=dtype, seed=seed)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    return _random.uniform(shape, minval, maxval, dtype=dtype, seed=seed)


def int_shape(x):
    return tuple(x.shape)


def backend():
    """The backend's name, as keras.config.backend() (Keras 3 exposes it here too)."""
    from .config import backend as _name
    return _name()


def epsilon():
    return 1e-7


def floatx():
    return "float32"


from .layers.data_format import image_data_format, set_image_data_format  # noqa: E402,F401


def image_dim_ordering():
    """Keras 1's name, kept by Keras 2.0-2.2: 'tf' (channels_last) or 'th' (channels_first)."""
    return "th" if image_data_format() == "channels_first" else "tf"


def set_image_dim_ordering(dim_ordering):
    """Keras 1's setter, kept by Keras 2.0-2.2: 'th' sets channels_first, 'tf' channels_last
    (keras-team/keras examples/cifar10_acgan.py: K.set_image_dim_ordering('th'))."""
    formats = {"th": "channels_first", "tf": "channels_last"}
    if dim_ordering not in formats:
        raise ValueError(f"[set_image_dim_ordering] expects 'th' or 'tf'. Received: "
                         f"{dim_ordering!r}")
    set_image_data_format(formats[dim_ordering])


def get_value(x):
    return _ops.convert_to_numpy(x)


def set_value(x, value):
    """Keras 2's K.set_value: writes `value` into the variable `x` (a weight, or what
    `optimizer.learning_rate` / `optimizer.lr` returns)."""
    import numpy as np
    from ..autograd import no_grad
    from ..tensor import Tensor
    if hasattr(x, "assign"):  # keras weights, optimizer.learning_rate
        x.assign(value)
        return
    if not isinstance(x, Tensor):
        raise TypeError(f"[set_value] expected a variable (a weight Tensor or "
                        f"optimizer.learning_rate), received {type(x).__name__}; a plain "
                        "number cannot be written in place")
    arr = np.asarray(getattr(value, "_data", value))
    if arr.shape != tuple(x.shape):
        raise ValueError(f"[set_value] the value has shape {arr.shape}, the variable "
                         f"{tuple(x.shape)}")
    with no_grad():
        np.copyto(x._data, arr, casting="same_kind")


def clear_session():
    """Restarts automatic layer names (dense, dense_1 ...)."""
    _name_counts.clear()


# CTC for TF-Keras 2 programs (keras/ctc.py)
from .ctc import backend_ctc_decode as ctc_decode, ctc_batch_cost  # noqa: E402,F401

# Keras 2's graph mode: placeholder, variable, gradients (keras/backend_graph.py)
from .backend_graph import (gradients, learning_phase, placeholder,  # noqa: E402,F401
                            set_learning_phase, variable)

# K.batch_dot, K.conv1d, K.local_conv1d (keras/backend_math.py)
from .backend_math import batch_dot, conv1d, local_conv1d  # noqa: E402,F401

# keras_core 0.1's backend.Variable (Keras 3 exports it as keras.Variable): the same class
from .variables import Variable  # noqa: E402,F401
