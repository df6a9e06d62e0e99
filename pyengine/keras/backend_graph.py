"""Keras 2's graph-mode backend functions (`from keras import backend as K`), over pyengine's
functional graphs:

    K.placeholder(shape)         a graph input (keras.Input with that batch shape)
    K.variable(value)            a tensor holding `value`; in a graph it is a constant
    K.gradients(loss, xs)        [d loss / d x for x in xs]. On graph tensors: a graph node that,
                                 when the graph runs, differentiates the sub-graph from x to loss
                                 (summed over the batch, as TensorFlow's tf.gradients); x is an
                                 input of that sub-graph, so loss must depend on no other input.
                                 On eager tensors (inside a Lambda during fit): autograd.grad,
                                 the graph kept for the step's backward.
    K.set_learning_phase(0 | 1)  the `training` flag K.function (keras/backend.py) runs with

conv_filter_visualization, deep_dream and neural_style_transfer build a loss on a model's
layer outputs and ascend its gradient in input space this way."""
import numpy as np

from ..autograd import enable_grad, grad as _autograd_grad
from ..tensor import Tensor
from .symbolic import KerasTensor, is_symbolic, symbolic_op

_phase = {"training": False}


def placeholder(shape=None, ndim=None, dtype=None, name=None):
    from .layers.input_layer import Input
    if shape is None:
        if ndim is None:
            raise ValueError("[placeholder] give shape= (None for unknown sizes) or ndim=")
        shape = (None,) * int(ndim)
    return Input(batch_shape=tuple(shape), dtype=dtype or "float32", name=name)


def variable(value, dtype=None, name=None, constraint=None):
    from .variables import Variable
    if constraint is not None:
        raise ValueError("[variable] constraint= is not supported")
    arr = np.asarray(value._data if isinstance(value, Tensor) else value, dtype=dtype or "float32")
    return Variable(arr, dtype=arr.dtype, name=name)


def set_learning_phase(value):
    if value not in (0, 1):
        raise ValueError(f"[set_learning_phase] expected 0 or 1. Received: {value!r}")
    _phase["training"] = bool(value)


def learning_phase():
    return int(_phase["training"])


def gradients(loss, variables):
    """A list with d loss / d v (same shape as v) for each v in `variables`."""
    vs = list(variables) if isinstance(variables, (list, tuple)) else [variables]
    if is_symbolic(loss):
        return [_symbolic_gradient(loss, v) for v in vs]
    if not isinstance(loss, Tensor) or not loss.requires_grad:
        raise ValueError("[gradients] the loss has no recorded graph: eager K.gradients works "
                         "while training (inside fit / train_on_batch), not under predict's "
                         "no_grad; build the gradient on graph tensors and run it with "
                         "K.function instead")
    needing = [v for v in vs if isinstance(v, Tensor) and v.requires_grad]
    got = dict(zip(map(id, needing), _autograd_grad(loss.sum(), needing, retain_graph=True,
                                                     allow_unused=True))) if needing else {}
    out = []
    for v in vs:
        g = got.get(id(v))
        out.append(Tensor._wrap(np.zeros(v.shape, np.float32)) if g is None else g.detach())
    return out


def _symbolic_gradient(loss, x):
    from .model import Model
    if not isinstance(x, KerasTensor):
        raise TypeError(f"[gradients] with a graph loss, each variable must be a graph tensor "
                        f"(a model's input or a layer's output). Received: {type(x).__name__}")
    try:
        sub = Model(x, loss)
    except ValueError as e:
        raise ValueError(f"[gradients] the loss must depend on {x.name} and on no other graph "
                         f"input: {e}") from None
    return symbolic_op(_gradient_of, sub, x, name="gradients")


def _gradient_of(sub, x):
    with enable_grad():
        xt = Tensor._wrap(np.array(x._data if isinstance(x, Tensor) else x, np.float32))
        xt.requires_grad = True
        out = sub(xt, training=_phase["training"])
        g = _autograd_grad(out.sum(), [xt], allow_unused=True)[0]
    return Tensor._wrap(np.zeros(xt.shape, np.float32)) if g is None else g.detach()
