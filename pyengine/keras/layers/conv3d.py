"""Keras' 3-D convolution and pooling on channels_last volumes (N, D, H, W, C), over
F.conv3d_ndhwc and the channels-last 3-D pooling of pyengine/ops/conv3d.py (both composed from
the 2-D channels-last kernels: one conv2d_nhwc call over the stacked depth taps). Keras'
kernel layout (kD, kH, kW, C / groups, filters) is read as is; 'same' puts the odd pad after."""
import numpy as np

from ...nn import functional as F
from ...ops.conv3d import pool3d_ndhwc
from .. import activations as _act
from .. import initializers as _init
from .. import regularizers as _reg
from .base import Layer
from .conv import _channels_last, _padding


def _triple(v, what, layer):
    v = (v, v, v) if isinstance(v, (int, np.integer)) else tuple(v)
    if len(v) != 3 or any(isinstance(i, bool) or not isinstance(i, (int, np.integer)) or i < 1
                          for i in v):
        raise ValueError(f"[{layer}] {what} must be a positive int or a triple of them. "
                         f"Received: {what}={v}")
    return tuple(int(i) for i in v)


def _check_5d(layer, x):
    if x.ndim != 5:
        raise ValueError(f"[{layer.name}] expects (batch, depth, height, width, channels) "
                         f"input, received shape {tuple(x.shape)}")


class Conv3D(Layer):
    """y = activation(conv3d(x, kernel) + bias) on (N, D, H, W, C); kernel (kD, kH, kW,
    C / groups, filters).

    >>> keras.layers.Conv3D(4, 3, padding="same")(np.zeros((1, 5, 6, 6, 2))).shape
    (1, 5, 6, 6, 4)
    """

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid",
                 data_format=None, dilation_rate=(1, 1, 1), groups=1, activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(filters, bool) or not isinstance(filters, (int, np.integer)) \
                or filters < 1:
            raise ValueError(f"[Conv3D] filters must be a positive integer. Received: "
                             f"filters={filters}")
        _channels_last(data_format, "Conv3D")
        self.filters = int(filters)
        self.kernel_size = _triple(kernel_size, "kernel_size", "Conv3D")
        self.strides = _triple(strides, "strides", "Conv3D")
        self.dilation_rate = _triple(dilation_rate, "dilation_rate", "Conv3D")
        self.padding = _padding(padding, "Conv3D")
        if not isinstance(groups, (int, np.integer)) or groups < 1 or filters % groups:
            raise ValueError(f"[Conv3D] groups must be a positive integer dividing filters. "
                             f"Received: groups={groups}, filters={filters}")
        self.groups = int(groups)
        self.activation = _act.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = _init.get(kernel_initializer)
        self.bias_initializer = _init.get(bias_initializer)
        self.kernel_regularizer = _reg.get(kernel_regularizer)
        self.bias_regularizer = _reg.get(bias_regularizer)

    def build(self, input_shape):
        if len(input_shape) != 5 or input_shape[-1] is None:
            raise ValueError(f"[{self.name}] expects (batch, depth, height, width, channels) "
                             f"input with known channels, received shape {input_shape}")
        self.in_channels = int(input_shape[-1])
        if self.in_channels % self.groups:
            raise ValueError(f"[{self.name}] input channels {self.in_channels} not divisible by "
                             f"groups={self.groups}")
        self.kernel = self.add_weight(
            self.kernel_size + (self.in_channels // self.groups, self.filters),
            self.kernel_initializer, name="kernel", regularizer=self.kernel_regularizer)
        self.bias = self.add_weight((self.filters,), self.bias_initializer, name="bias",
                                    regularizer=self.bias_regularizer) if self.use_bias else None

    def call(self, x):
        _check_5d(self, x)
        if x.shape[-1] != self.in_channels:
            raise ValueError(f"[{self.name}] expected (batch, d, h, w, {self.in_channels}) "
                             f"input, received shape {tuple(x.shape)}")
        y = F.conv3d_ndhwc(x, self.kernel, self.bias, self.strides, self.padding,
                           self.dilation_rate, self.groups)
        return self.activation(y)


class _Pool3D(Layer):
    _kind = "max"

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        name = type(self).__name__
        _channels_last(data_format, name)
        self.pool_size = _triple(pool_size, "pool_size", name)
        self.strides = self.pool_size if strides is None else _triple(strides, "strides", name)
        self.padding = _padding(padding, name)

    def call(self, x):
        _check_5d(self, x)
        return pool3d_ndhwc(self._kind, x, self.pool_size, self.strides, self.padding)


class MaxPooling3D(_Pool3D):
    """Max over pool_size windows of (N, D, H, W, C); 'same' pads with -inf, as Keras."""
    _kind = "max"


class AveragePooling3D(_Pool3D):
    """Mean over pool_size windows of (N, D, H, W, C); 'same' windows average real voxels."""
    _kind = "avg"


class GlobalAveragePooling3D(Layer):
    """(N, D, H, W, C) -> (N, C) mean (keepdims: (N, 1, 1, 1, C))."""

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        _channels_last(data_format, type(self).__name__)
        self.keepdims = bool(keepdims)

    def call(self, x):
        _check_5d(self, x)
        return x.mean(axis=(1, 2, 3), keepdims=self.keepdims)


class GlobalMaxPooling3D(GlobalAveragePooling3D):
    """(N, D, H, W, C) -> (N, C) max (keepdims: (N, 1, 1, 1, C))."""

    def call(self, x):
        _check_5d(self, x)
        return x.max(axis=(1, 2, 3), keepdims=self.keepdims)


MaxPool3D, AvgPool3D = MaxPooling3D, AveragePooling3D
GlobalAvgPool3D, GlobalMaxPool3D = GlobalAveragePooling3D, GlobalMaxPooling3D
Convolution3D = Conv3D
