"""Functional forms of the ops, PyTorch names and argument names (`import pyengine.nn.functional
as F`). Each is one line over an op in pyengine/ops; see there for forward and backward."""
from ..ops import elementwise as _ew
from ..ops.activation import Activation, Softmax
from ..ops.conv import conv1d, conv2d  # noqa: F401
from ..ops.pool import adaptive_avg_pool2d, avg_pool2d, max_pool2d  # noqa: F401
from ..tensor import Tensor


def relu(x, inplace=False):
    """max(x, 0)."""
    return Activation.apply(x, name="relu")


def leaky_relu(x, negative_slope=0.01, inplace=False):
    """x if x > 0 else negative_slope * x."""
    return Activation.apply(x, name="leaky_relu", p0=float(negative_slope))


def elu(x, alpha=1.0, inplace=False):
    """x if x > 0 else alpha * (exp(x) - 1)."""
    return Activation.apply(x, name="elu", p0=float(alpha))


def gelu(x, approximate="none"):
    """x * Phi(x), Phi the standard normal CDF (exact erf form)."""
    if approximate != "none":
        raise ValueError(f"[gelu] only approximate='none' is supported, got {approximate!r}")
    return Activation.apply(x, name="gelu")


def sigmoid(x):
    """1 / (1 + exp(-x))."""
    return Activation.apply(x, name="sigmoid")


def tanh(x):
    return Activation.apply(x, name="tanh")


def softplus(x, beta=1.0, threshold=20.0):
    """(1/beta) * log(1 + exp(beta * x)), linear where beta * x > threshold."""
    if beta <= 0:
        raise ValueError(f"[softplus] beta must be positive, got {beta}")
    return Activation.apply(x, name="softplus", p0=float(beta), p1=float(threshold))


def softmax(x, dim=-1, axis=None):
    """exp(x_i) / sum_j exp(x_j) along `dim`."""
    return Softmax.apply(x, axis=dim if axis is None else axis, log=False)


def log_softmax(x, dim=-1, axis=None):
    """x_i - logsumexp(x) along `dim`, computed stably."""
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
