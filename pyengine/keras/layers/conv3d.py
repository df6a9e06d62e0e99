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
from . import data_format as _df
from .base import Layer
from .conv import _Conv, _ntuple, _padding


def _triple(v, what, layer):
    return _ntuple(v, 3, what, layer)


def _check_5d(layer, x):
    if x.ndim != 5:
        raise ValueError(f"[{layer.name}] expects (batch, depth, height, width, channels) "
                         f"input, received shape {tuple(x.shape)}")


class Conv3D(_Conv):
    """y = activation(conv3d(x, kernel) + bias) on (N, D, H, W, C); kernel (kD, kH, kW,
    C / groups, filters).

    >>> keras.layers.Conv3D(4, 3, padding="same")(np.zeros((1, 5, 6, 6, 2))).shape
    (1, 5, 6, 6, 4)
    """

    _rank, _keras_name, _input_axes = 3, "Conv3D", "(batch, depth, height, width, channels)"

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid",
                 data_format=None, dilation_rate=(1, 1, 1), groups=1, activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self._configure(filters, kernel_size, strides, padding, data_format, dilation_rate,
                        groups, activation, use_bias, kernel_initializer, bias_initializer,
                        kernel_regularizer, bias_regularizer, kernel_constraint, bias_constraint)

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
        _df.resolve(self, data_format, name)
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
        _df.resolve(self, data_format, type(self).__name__)
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
