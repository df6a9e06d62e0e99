"""TensorFlow's spellings, so programs written `import tensorflow as tf` run as
`import pyengine as tf`: each is a one-line alias of pe.nn.functional / creation, named as
TensorFlow names it (reduce_* over `axis`, concat, cast ...). tf.random.normal / uniform live in
pyengine/random.py, tf.GradientTape in pyengine/gradient_tape.py, tf.keras is pe.keras."""
import functools
import sys
import types

import numpy as np

from . import dtypes as _dt
from .creation import tensor as _tensor
from .nn import functional as F
from .tensor import Tensor


def _t(x):
    return x if isinstance(x, Tensor) else _tensor(x)


def symbolic_aware(fn):
    """fn, recording a node of a Keras functional graph when called on KerasTensors (as
    TensorFlow wraps a tf op called on Keras symbolic tensors). Keras' symbolic module is looked
    up only if it was imported: before that no KerasTensor exists."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        sym = sys.modules.get("pyengine.keras.symbolic")
        if sym is not None and _has_symbolic(args, kwargs, sym.KerasTensor):
            return sym.symbolic_op(fn, *args, name=fn.__name__, **kwargs)
        return fn(*args, **kwargs)
    return wrapper


def _has_symbolic(args, kwargs, kind):
    # arguments and the items of list / tuple arguments (tf.concat([a, b])): cheap enough for
    # the torch face's pe.matmul / pe.exp, which are these wrappers too
    for a in (*args, *kwargs.values()):
        if isinstance(a, kind) or (isinstance(a, (list, tuple))
                                   and any(isinstance(b, kind) for b in a)):
            return True
    return False


@symbolic_aware
def shape(x):
    """The shape as a 1-D int32 tensor, as TensorFlow returns it: tf.shape(x)[0] is the batch
    size, usable as an int (`__index__`) and in tf ops. keras.ops.shape returns a tuple."""
    return Tensor._wrap(np.asarray(getattr(x, "shape", np.shape(x)), dtype=np.int32))


@symbolic_aware
def reduce_mean(x, axis=None, keepdims=False): return F.mean(x, axis, keepdims)
@symbolic_aware
def reduce_sum(x, axis=None, keepdims=False): return F.sum(x, axis, keepdims)
@symbolic_aware
def reduce_max(x, axis=None, keepdims=False): return F.max(x, axis=axis, keepdims=keepdims)
@symbolic_aware
def reduce_min(x, axis=None, keepdims=False): return F.min(x, axis=axis, keepdims=keepdims)
@symbolic_aware
def square(x): return F.square(x)
@symbolic_aware
def concat(values, axis): return F.cat([_t(v) for v in values], axis)
@symbolic_aware
def expand_dims(x, axis): return F.unsqueeze(_t(x), axis)


@symbolic_aware
def one_hot(indices, depth, on_value=1.0, off_value=0.0, dtype=None):
    """float32 one-hot of integer `indices`: (...) -> (..., depth)."""
    out = F.one_hot(indices, depth).data.astype(np.float32)
    if on_value != 1.0 or off_value != 0.0:
        out = np.where(out > 0, np.float32(on_value), np.float32(off_value))
    return cast(Tensor._wrap(out), dtype) if dtype is not None else Tensor._wrap(out)


@symbolic_aware
def cast(x, dtype):
    return _t(x).astype(_dt.as_dtype(dtype))


def constant(value, dtype=None):
    return _tensor(value, dtype=None if dtype is None else _dt.as_dtype(dtype))


convert_to_tensor = constant


# tf.nn.* activations (pe.nn re-exports them: `import pyengine as tf` makes tf.nn pe.nn)
def _nn_act(fn, name):
    def act(features, name=None):
        return fn(features)
    act.__name__ = act.__qualname__ = name
    act.__doc__ = f"tf.nn.{name}: pe.nn.functional.{fn.__name__}."
    return symbolic_aware(act)


nn_relu = _nn_act(F.relu, "relu")
nn_sigmoid = _nn_act(F.sigmoid, "sigmoid")
nn_tanh = _nn_act(F.tanh, "tanh")
nn_elu = _nn_act(F.elu, "elu")
nn_gelu = _nn_act(F.gelu, "gelu")
nn_softplus = _nn_act(F.softplus, "softplus")


@symbolic_aware
def nn_silu(features, beta=1.0, name=None):
    x = _t(features)
    return x * F.sigmoid(x * beta) if beta != 1.0 else x * F.sigmoid(x)


@symbolic_aware
def nn_leaky_relu(features, alpha=0.2, name=None): return F.leaky_relu(features, alpha)
@symbolic_aware
def nn_softmax(logits, axis=None, name=None): return F.softmax(logits, axis=-1 if axis is None else axis)
@symbolic_aware
def nn_log_softmax(logits, axis=None, name=None): return F.log_softmax(logits, axis=-1 if axis is None else axis)


# tf.math.*: the same functions under TensorFlow's math namespace
math = types.ModuleType("pyengine.math", "tf.math: TensorFlow's math names (aliases).")
for _name, _fn in dict(
        reduce_mean=reduce_mean, reduce_sum=reduce_sum, reduce_max=reduce_max,
        reduce_min=reduce_min, square=square, exp=F.exp, log=F.log, log1p=F.log1p,
        sqrt=F.sqrt, abs=F.abs, maximum=F.maximum, minimum=F.minimum, sigmoid=F.sigmoid,
        tanh=F.tanh, sin=F.sin, cos=F.cos, argmax=F.argmax, argmin=F.argmin,
        reduce_logsumexp=F.logsumexp, softplus=F.softplus).items():
    setattr(math, _name, _fn if _fn.__module__ == __name__ else symbolic_aware(_fn))
