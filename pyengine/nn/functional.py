"""Functional forms of the ops, PyTorch names and argument names (`import pyengine.nn.functional
as F`). Each is one line over an op in pyengine/ops; see there for forward and backward."""
from ..ops import elementwise as _ew
from ..ops.activation import Activation, Softmax
from ..tensor import Tensor


def relu(x, inplace=False):
    """relu(x) = max(x, 0), elementwise; any shape.

    >>> F.relu(pe.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """
    return Activation.apply(x, name="relu")


def leaky_relu(x, negative_slope=0.01, inplace=False):
    """leaky_relu(x) = x if x > 0 else negative_slope * x, elementwise.

    >>> F.leaky_relu(pe.tensor([-1.0, 2.0]), 0.1)
    tensor([-0.1,  2. ])
    """
    return Activation.apply(x, name="leaky_relu", p0=float(negative_slope))


def elu(x, alpha=1.0, inplace=False):
    """elu(x) = x if x > 0 else alpha * (exp(x) - 1), elementwise.

    >>> F.elu(pe.tensor([0.0, 2.0]))
    tensor([0., 2.])
    """
    return Activation.apply(x, name="elu", p0=float(alpha))


def gelu(x, approximate="none"):
    """gelu(x) = x * Phi(x), Phi the standard normal CDF (exact erf form), elementwise.

    >>> F.gelu(pe.tensor([0.0, 10.0]))
    tensor([ 0., 10.])
    """
    if approximate != "none":
        raise ValueError(f"[gelu] only approximate='none' is supported, got {approximate!r}")
    return Activation.apply(x, name="gelu")


def sigmoid(x):
    """sigmoid(x) = 1 / (1 + exp(-x)), elementwise.

    >>> F.sigmoid(pe.tensor([0.0]))
    tensor([0.5])
    """
    return Activation.apply(x, name="sigmoid")


def tanh(x):
    """tanh(x), elementwise.

    >>> F.tanh(pe.tensor([0.0]))
    tensor([0.])
    """
    return Activation.apply(x, name="tanh")


def softplus(x, beta=1.0, threshold=20.0):
    """softplus(x) = (1/beta) * log(1 + exp(beta * x)), linear where beta * x > threshold.

    >>> F.softplus(pe.tensor([30.0]))
    tensor([30.])
    """
    if beta <= 0:
        raise ValueError(f"[softplus] beta must be positive, got {beta}")
    return Activation.apply(x, name="softplus", p0=float(beta), p1=float(threshold))


def softmax(x, dim=-1, axis=None):
    """softmax(x)_i = exp(x_i) / sum_j exp(x_j) along `dim`; output has x's shape.

    >>> F.softmax(pe.tensor([[0.0, 0.0]]), dim=1)
    tensor([[0.5, 0.5]])
    """
    return Softmax.apply(x, axis=dim if axis is None else axis, log=False)


def log_softmax(x, dim=-1, axis=None):
    """log_softmax(x)_i = x_i - logsumexp(x) along `dim`, computed stably; x's shape.

    >>> F.log_softmax(pe.tensor([[0.0, 0.0]]), dim=1).exp()
    tensor([[0.5, 0.5]])
    """
    return Softmax.apply(x, axis=dim if axis is None else axis, log=True)


def linear(x, weight, bias=None):
    """x @ weight.T + bias, weight of shape (out_features, in_features)."""
    if x.shape[-1] != weight.shape[-1]:
        raise ValueError(f"[linear] input has {x.shape[-1]} features but weight expects "
                         f"{weight.shape[-1]} (input {x.shape}, weight {weight.shape})")
    y = x @ weight.T
    return y if bias is None else y + bias


def where(condition, x, y):
    return _ew.where(condition, x, y)


__all__ = [n for n in dir() if not n.startswith("_") and n != "Tensor"]
