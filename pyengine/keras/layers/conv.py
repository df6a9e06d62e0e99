"""Convolution and pooling on channels_last images (N, H, W, C), Keras names and arguments.
Conv2D's kernel is (kh, kw, in, out) in Keras layout. Where the padding is symmetric (always for
'valid'), the layers transpose to NCHW around pyengine's C++ conv2d / max_pool2d / avg_pool2d
(pyengine/ops/conv.py, pool.py). Keras' asymmetric 'same' padding (even kernels, strides) uses
`_windows`: one strided window slice per kernel offset, matmul over channels, autograd for the
backward."""
import numpy as np

from ...autograd import Function
from ...ops import conv as _conv_ops
from ...ops import pool as _pool_ops
from ...ops.shape import stack
from .. import activations as _act
from .. import initializers as _init
from .. import regularizers as _reg
from .base import Layer


def _pair(v, what, layer):
    v = (v, v) if isinstance(v, int) else tuple(v)
    if len(v) != 2 or any((not isinstance(i, (int, np.integer))) or i < 1 for i in v):
        raise ValueError(f"[{layer}] {what} must be a positive int or a pair of them. "
                         f"Received: {what}={v}")
    return v


def _padding(p, layer):
    p = str(p).lower()
    if p not in ("valid", "same"):
        raise ValueError(f"[{layer}] padding must be 'valid' or 'same'. Received: padding={p}")
    return p


class _Pad(Function):
    """Zero-pads H and W of (N, H, W, C): pads = (top, bottom, left, right)."""

    @staticmethod
    def forward(ctx, x, pads=(0, 0, 0, 0)):
        ctx.pads = pads
        t, b, l, r = pads
        return np.pad(x, ((0, 0), (t, b), (l, r), (0, 0)))

    @staticmethod
    def backward(ctx, g):
        t, b, l, r = ctx.pads
        return g[:, t:g.shape[1] - b, l:g.shape[2] - r, :]


def _same_pads(size, k, s):
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def _symmetric_pads(x, k, s, padding):
    """(pad_h, pad_w) when the padding is the same on both sides, else None."""
    if padding == "valid":
        return (0, 0)
    pads = [_same_pads(x.shape[1 + a], k[a], s[a]) for a in (0, 1)]
    return None if any(p0 != p1 for p0, p1 in pads) else (pads[0][0], pads[1][0])


def _nchw(x):
    return x.permute(0, 3, 1, 2)


def _nhwc(x):
    return x.permute(0, 2, 3, 1)


def _windows(x, k, s, padding):
    """Yields (i, j, slice) over window offsets and the output size (Ho, Wo)."""
    n, h, w, c = x.shape
    if padding == "same":
        pt, pb = _same_pads(h, k[0], s[0])
        pl, pr = _same_pads(w, k[1], s[1])
        if pt or pb or pl or pr:
            x = _Pad.apply(x, pads=(pt, pb, pl, pr))
        h, w = h + pt + pb, w + pl + pr
    ho, wo = (h - k[0]) // s[0] + 1, (w - k[1]) // s[1] + 1
    if ho < 1 or wo < 1:
        raise ValueError(f"window {k} does not fit input of spatial size {(h, w)}")
    for i in range(k[0]):
        for j in range(k[1]):
            yield i, j, x[:, i:i + s[0] * (ho - 1) + 1:s[0], j:j + s[1] * (wo - 1) + 1:s[1], :]


class Conv2D(Layer):
    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid",
                 data_format=None, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(filters, (int, np.integer)) or filters < 1:
            raise ValueError(f"[Conv2D] filters must be a positive integer. Received: "
                             f"filters={filters}")
        if data_format not in (None, "channels_last"):
            raise ValueError(f"[Conv2D] only data_format='channels_last' is supported. "
                             f"Received: data_format={data_format}")
        self.filters = int(filters)
        self.kernel_size = _pair(kernel_size, "kernel_size", "Conv2D")
        self.strides = _pair(strides, "strides", "Conv2D")
        self.padding = _padding(padding, "Conv2D")
        self.activation = _act.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = _init.get(kernel_initializer)
        self.bias_initializer = _init.get(bias_initializer)
        self.kernel_regularizer = _reg.get(kernel_regularizer)

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(f"[{self.name}] expects (batch, height, width, channels) input, "
                             f"received shape {input_shape}")
        self.in_channels = int(input_shape[-1])
        self.kernel = self.add_weight(self.kernel_size + (self.in_channels, self.filters),
                                      self.kernel_initializer, name="kernel",
                                      regularizer=self.kernel_regularizer)
        self.bias = self.add_weight((self.filters,), self.bias_initializer, name="bias") \
            if self.use_bias else None

    def call(self, x, training=False):
        if x.ndim != 4 or x.shape[-1] != self.in_channels:
            raise ValueError(f"[{self.name}] expected (batch, h, w, {self.in_channels}) input, "
                             f"received shape {tuple(x.shape)}")
        pads = _symmetric_pads(x, self.kernel_size, self.strides, self.padding)
        if pads is not None:
            y = _nhwc(_conv_ops.conv2d(_nchw(x), self.kernel.permute(3, 2, 0, 1), self.bias,
                                       stride=self.strides, padding=pads))
            return self.activation(y)
        y = None
        for i, j, patch in _windows(x, self.kernel_size, self.strides, self.padding):
            term = patch @ self.kernel[i, j]
            y = term if y is None else y + term
        if self.bias is not None:
            y = y + self.bias
        return self.activation(y)


class _Pool2D(Layer):
    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        name = type(self).__name__
        self.pool_size = _pair(pool_size, "pool_size", name)
        self.strides = _pair(strides, "strides", name) if strides is not None else self.pool_size
        self.padding = _padding(padding, name)

    def call(self, x, training=False):
        if x.ndim != 4:
            raise ValueError(f"[{self.name}] expects (batch, height, width, channels) input, "
                             f"received shape {tuple(x.shape)}")
        if self.padding == "valid":
            return _nhwc(self.kernel_op(_nchw(x), self.pool_size, self.strides))
        return self.reduce([p for _, _, p in _windows(x, self.pool_size, self.strides,
                                                      self.padding)])


class MaxPooling2D(_Pool2D):
    kernel_op = staticmethod(_pool_ops.max_pool2d)

    def reduce(self, patches):
        return stack(patches, axis=0).max(axis=0)


class AveragePooling2D(_Pool2D):
    kernel_op = staticmethod(_pool_ops.avg_pool2d)

    def reduce(self, patches):
        return stack(patches, axis=0).mean(axis=0)


class GlobalAveragePooling2D(Layer):
    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.keepdims = keepdims

    def call(self, x, training=False):
        return x.mean(axis=(1, 2), keepdims=self.keepdims)


class GlobalMaxPooling2D(GlobalAveragePooling2D):
    def call(self, x, training=False):
        return x.max(axis=(1, 2), keepdims=self.keepdims)


MaxPool2D, AvgPool2D = MaxPooling2D, AveragePooling2D
