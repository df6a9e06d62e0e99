"""Activations by Keras name: strings or callables on Tensors."""
from ..nn import functional as F
from .utils import resolve


def linear(x):
    return x


def relu(x):
    return F.relu(x)


def sigmoid(x):
    return F.sigmoid(x)


def tanh(x):
    return F.tanh(x)


def softmax(x, axis=-1):
    return F.softmax(x, axis=axis)


def elu(x):
    return F.elu(x)


def gelu(x):
    return F.gelu(x)


def softplus(x):
    return F.softplus(x)


def leaky_relu(x):
    return F.leaky_relu(x, 0.2)


def log_softmax(x, axis=-1):
    return F.log_softmax(x, axis=axis)


_TABLE = {f.__name__: f for f in (linear, relu, sigmoid, tanh, softmax, elu, gelu, softplus,
                                  leaky_relu, log_softmax)}


def get(identifier):
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        resolve("activation", identifier, {k: (lambda: None) for k in _TABLE})  # checks the name
        return _TABLE[identifier.lower()]
    return resolve("activation", identifier, {})


def name_of(fn):
    """The Keras name of a built-in activation, or None for user callables."""
    return next((k for k, v in _TABLE.items() if v is fn), None)
