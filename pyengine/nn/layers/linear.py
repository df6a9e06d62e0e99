"""Linear, Identity, Flatten, Unflatten."""
import math

import numpy as np

from .. import functional as F
from .. import init
from ..module import Module, Parameter
from .activation import ReLU, Sigmoid, Tanh


def _dtype(dtype, device=None):
    """The NumPy dtype of a new layer's parameters (pe.get_default_dtype() by default), after
    checking the layer's `device=` argument the way Tensor.to does: only the CPU holds tensors
    today, so another device raises a clear error rather than being accepted and ignored."""
    from ... import dtypes as _dt
    if device is not None:
        from ...backend import Device, get_backend
        get_backend(Device(device))
    return _dt.default_float_np() if dtype is None else _dt.as_dtype(dtype).np


class Identity(Module):
    """Returns its input unchanged (a placeholder that accepts and ignores any arguments)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x


class Linear(Module):
    """y = x @ weight.T + bias, weight (out_features, in_features), bias (out_features,).

    Default init as PyTorch: weight kaiming_uniform(a=sqrt(5)), i.e. U(-1/sqrt(in), 1/sqrt(in)),
    bias U(-1/sqrt(in), 1/sqrt(in)).

    >>> pe.nn.Linear(20, 30)(pe.randn(128, 20)).shape
    (128, 30)
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        for name, v in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 0:
                raise ValueError(f"[Linear] {name} must be a non-negative int, received {name}={v!r}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        dt = _dtype(dtype, device)
        self.weight = Parameter(np.empty((out_features, in_features), dt))
        self.bias = Parameter(np.empty((out_features,), dt)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_features
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        p = self._parameters  # self.weight goes through Module.__getattr__ (~0.5 us each)
        w = p.get("weight")
        if w is None:  # computed by a forward pre-hook (spectral_norm, prune): an attribute,
            w = self.weight  # or a property (nn.utils.parametrize)
        # bias=False: a None attribute; pruned / parametrized: an attribute / a property
        b = p["bias"] if "bias" in p else self.bias
        return F.linear(x, w, b)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


def fusable_activation(layer, following):
    """The activation name ("relu", "sigmoid", "tanh") when `layer` followed by `following` in a
    Sequential may run as one fused F.linear(..., activation=name), else None.

    Only when the result is provably the same: `layer` is exactly nn.Linear and `following` exactly
    nn.ReLU / nn.Sigmoid / nn.Tanh (a subclass may override forward), neither has a forward or
    forward-pre hook (the only way to see the intermediate tensor inside a Sequential), and the
    fused kernel computes the same arithmetic in the same order as Linear then the activation
    (bitwise equal forward and backward: tests/test_linear_fused.py)."""
    if type(layer) is not Linear or layer._forward_hooks or layer._forward_pre_hooks:
        return None
    name = _FUSED_AFTER_LINEAR.get(type(following))
    if name is None or following._forward_hooks or following._forward_pre_hooks:
        return None
    return name


_FUSED_AFTER_LINEAR = {ReLU: "relu", Sigmoid: "sigmoid", Tanh: "tanh"}


class Flatten(Module):
    """Flattens dims start_dim..end_dim into one (default: all but the batch dim)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Expands dim `dim` into `unflattened_size`."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, x):
        d = self.dim % x.ndim
        return x.reshape(x.shape[:d] + self.unflattened_size + x.shape[d + 1:])

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
