"""1-D layers of sequence models, channels-last (batch, steps, channels) as Keras: Conv1D on the
conv1d kernel path (nn.Conv1d's), MaxPooling1D / AveragePooling1D on the 2-D pooling kernels
(height 1), GlobalMaxPooling1D / GlobalAveragePooling1D (mask-aware average)."""
import math

import numpy as np

from ...autograd import Function
from ...nn import functional as F
from ...tensor import Tensor
from .. import activations as _act
from .activation_slot import ActivationSlot
from .. import constraints as _con
from .. import initializers as _init
from . import data_format as _df
from .base import Layer
from .masking import get_mask
from ...ops.shape_errors import InputTooSmallError


def _int(v, name, cls):
    v = v[0] if isinstance(v, (tuple, list)) and len(v) == 1 else v
    if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
        raise ValueError(f"[{cls}] {name} must be a positive integer. Received: {name}={v!r}")
    return int(v)


class _PadSteps(Function):
    """Zero padding of the steps axis of (B, T, C): `left` before, `right` after."""

    @staticmethod
    def forward(ctx, x, left=0, right=0):
        ctx.params = (left, x.shape[1])
        return np.pad(x, ((0, 0), (left, right), (0, 0)))

    @staticmethod
    def backward(ctx, g):
        left, t = ctx.params
        return g[:, left:left + t]


class Conv1D(Layer):
    """y = activation(conv1d(x, kernel) + bias); kernel (kernel_size, channels, filters);
    padding 'valid', 'same' or 'causal' (left padding only: step t sees steps <= t)."""
    activation = ActivationSlot()  # `layer.activation = None` after build: linear

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.filters = _int(filters, "filters", "Conv1D")
        self.kernel_size = _int(kernel_size, "kernel_size", "Conv1D")
        self.strides = _int(strides, "strides", "Conv1D")
        self.dilation_rate = _int(dilation_rate, "dilation_rate", "Conv1D")
        self.groups = _int(groups, "groups", "Conv1D")
        if padding not in ("valid", "same", "causal"):
            raise ValueError("[Conv1D] padding must be 'valid', 'same' or 'causal'. Received: "
                             f"padding={padding!r}")
        _df.resolve(self, data_format, "Conv1D")
        if self.filters % self.groups:
            raise ValueError(f"[Conv1D] filters={self.filters} must be divisible by "
                             f"groups={self.groups}")
        self.padding = padding
        self.activation = _act.get(activation)
        self.use_bias = bool(use_bias)
        self.inits = (_init.get(kernel_initializer), _init.get(bias_initializer))
        self.regs = (kernel_regularizer, bias_regularizer)
        self.kernel_constraint = _con.get(kernel_constraint)
        self.bias_constraint = _con.get(bias_constraint)

    def build(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"[{self.name}] expects (batch, steps, channels) input, received "
                             f"shape {input_shape}")
        c = input_shape[-1]
        if c % self.groups:
            raise ValueError(f"[{self.name}] {c} input channels are not divisible by "
                             f"groups={self.groups}")
        self.kernel = self.add_weight((self.kernel_size, c // self.groups, self.filters),
                                      self.inits[0], name="kernel", regularizer=self.regs[0],
                                      constraint=self.kernel_constraint)
        self.bias = self.add_weight((self.filters,), self.inits[1], name="bias",
                                    regularizer=self.regs[1],
                                    constraint=self.bias_constraint) if self.use_bias else None

    def _pads(self, steps):
        span = self.dilation_rate * (self.kernel_size - 1)
        if self.padding == "valid":
            return 0, 0
        if self.padding == "causal":
            return span, 0
        out = math.ceil(steps / self.strides)
        total = max((out - 1) * self.strides + span + 1 - steps, 0)
        return total // 2, total - total // 2

    def call(self, x):
        if x.ndim != 3:
            raise ValueError(f"[{self.name}] expects (batch, steps, channels) input, received "
                             f"shape {tuple(x.shape)}")
        left, right = self._pads(x.shape[1])
        if left or right:
            x = _PadSteps.apply(x, left=left, right=right)
        if x.shape[1] < self.dilation_rate * (self.kernel_size - 1) + 1:
            raise InputTooSmallError(f"[{self.name}] {x.shape[1]} steps are fewer than the "
                                     f"kernel spans "
                                     f"({self.dilation_rate * (self.kernel_size - 1) + 1})")
        y = F.conv1d(x.transpose(1, 2), self.kernel.transpose(0, 2), self.bias,
                     stride=self.strides, dilation=self.dilation_rate, groups=self.groups)
        return self.activation(y.transpose(1, 2))


class _Pool1D(Layer):
    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        cls = type(self).__name__
        self.pool_size = _int(pool_size, "pool_size", cls)
        self.strides = self.pool_size if strides is None else _int(strides, "strides", cls)
        if padding != "valid":
            raise ValueError(f"[{cls}] only padding='valid' is supported. Received: "
                             f"padding={padding!r}")
        _df.resolve(self, data_format, cls)

    def call(self, x):
        if x.ndim != 3:
            raise ValueError(f"[{self.name}] expects (batch, steps, channels) input, received "
                             f"shape {tuple(x.shape)}")
        b, t, c = x.shape
        if t < self.pool_size:
            raise InputTooSmallError(f"[{self.name}] {t} steps are fewer than "
                                     f"pool_size={self.pool_size}")
        planes = x.transpose(1, 2).reshape(b, c, 1, t)
        y = self.pool(planes, (1, self.pool_size), (1, self.strides))
        return y.reshape(b, c, y.shape[-1]).transpose(1, 2)


class MaxPooling1D(_Pool1D):
    """Max over windows of pool_size steps (stride defaults to pool_size)."""

    def pool(self, x, k, s):
        return F.max_pool2d(x, k, s)


class AveragePooling1D(_Pool1D):
    """Mean over windows of pool_size steps (stride defaults to pool_size)."""

    def pool(self, x, k, s):
        return F.avg_pool2d(x, k, s)


class GlobalAveragePooling1D(Layer):
    """Mean over steps: (batch, steps, channels) -> (batch, channels); masked steps (from
    Embedding(mask_zero=True) / Masking) are left out of the mean."""

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        _df.resolve(self, data_format, type(self).__name__)
        self.keepdims = bool(keepdims)

    def call(self, x, mask=None):
        if x.ndim != 3:
            raise ValueError(f"[{self.name}] expects (batch, steps, channels) input, received "
                             f"shape {tuple(x.shape)}")
        mask = get_mask(x) if mask is None else np.asarray(getattr(mask, "data", mask))
        if mask is None:
            return x.mean(axis=1, keepdims=self.keepdims)
        m = mask.astype(x._data.dtype)[:, :, None]
        count = np.maximum(m.sum(axis=1, keepdims=True), 1.0)
        y = (x * Tensor._wrap(np.ascontiguousarray(m / count))).sum(axis=1, keepdims=True)
        return y if self.keepdims else y.reshape(y.shape[0], y.shape[2])


class GlobalMaxPooling1D(GlobalAveragePooling1D):
    """Max over steps: (batch, steps, channels) -> (batch, channels)."""

    def call(self, x, mask=None):
        if x.ndim != 3:
            raise ValueError(f"[{self.name}] expects (batch, steps, channels) input, received "
                             f"shape {tuple(x.shape)}")
        return x.max(axis=1, keepdims=self.keepdims)


MaxPool1D, AvgPool1D = MaxPooling1D, AveragePooling1D
GlobalAvgPool1D, GlobalMaxPool1D = GlobalAveragePooling1D, GlobalMaxPooling1D
