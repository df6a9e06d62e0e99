"""DepthwiseConv2D and SeparableConv2D (channels_last, Keras' kernel layouts) on
F.conv2d_nhwc with groups = channels: the same NHWC kernels as Conv2D.

Depthwise kernel (kh, kw, in, depth_multiplier): output channel c * depth_multiplier + m filters
input channel c with kernel [:, :, c, m], which is exactly a grouped conv2d_nhwc weight of shape
(kh, kw, 1, in * depth_multiplier) (a free reshape). Separable = depthwise (no bias) followed by a
1x1 pointwise conv (kernel (1, 1, in * depth_multiplier, filters)) with the bias."""
import numpy as np

from ...nn import functional as F
from .. import activations as _act
from .activation_slot import ActivationSlot
from .. import constraints as _con
from .. import initializers as _init
from .. import regularizers as _reg
from . import data_format as _df
from .base import Layer
from .conv import _pair, _padding


class _DepthwiseBase(Layer):
    activation = ActivationSlot()  # `layer.activation = None` after build: linear
    def _config(self, kernel_size, strides, padding, depth_multiplier, data_format,
                dilation_rate, activation, use_bias, name):
        _df.resolve(self, data_format, name)
        if isinstance(depth_multiplier, bool) or not isinstance(depth_multiplier, (int, np.integer)) \
                or depth_multiplier < 1:
            raise ValueError(f"[{name}] depth_multiplier must be a positive int. Received: "
                             f"depth_multiplier={depth_multiplier}")
        self.kernel_size = _pair(kernel_size, "kernel_size", name)
        self.strides = _pair(strides, "strides", name)
        self.dilation_rate = _pair(dilation_rate, "dilation_rate", name)
        if self.strides != (1, 1) and self.dilation_rate != (1, 1):
            raise ValueError(f"[{name}] strides > 1 and dilation_rate > 1 cannot be combined "
                             f"(as Keras). Received: strides={self.strides}, "
                             f"dilation_rate={self.dilation_rate}")
        self.padding = _padding(padding, name)
        self.depth_multiplier = int(depth_multiplier)
        self.activation = _act.get(activation)
        self.use_bias = bool(use_bias)

    def _check(self, x):
        if x.ndim != 4 or x.shape[-1] != self.in_channels:
            raise ValueError(f"[{self.name}] expected (batch, h, w, {self.in_channels}) input, "
                             f"received shape {tuple(x.shape)}")

    def _depthwise(self, x, bias):
        c, m = self.in_channels, self.depth_multiplier
        w = self.depthwise_kernel.reshape(self.kernel_size + (1, c * m))
        return F.conv2d_nhwc(x, w, bias, self.strides, self.padding, self.dilation_rate, groups=c)


class DepthwiseConv2D(_DepthwiseBase):
    """Each input channel convolved with its own depth_multiplier filters.

    >>> DepthwiseConv2D(3, depth_multiplier=2)(np.zeros((1, 8, 8, 4))).shape
    (1, 6, 6, 8)
    """

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, depthwise_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self._config(kernel_size, strides, padding, depth_multiplier, data_format, dilation_rate,
                     activation, use_bias, "DepthwiseConv2D")
        self.depthwise_constraint = _con.get(depthwise_constraint)
        self.bias_constraint = _con.get(bias_constraint)
        self.depthwise_initializer = _init.get(depthwise_initializer)
        self.bias_initializer = _init.get(bias_initializer)
        self.depthwise_regularizer = _reg.get(depthwise_regularizer)
        self.bias_regularizer = _reg.get(bias_regularizer)

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(f"[{self.name}] expects (batch, height, width, channels) input, "
                             f"received shape {tuple(input_shape)}")
        self.in_channels = int(input_shape[-1])
        self.depthwise_kernel = self.add_weight(
            self.kernel_size + (self.in_channels, self.depth_multiplier),
            self.depthwise_initializer, name="kernel", regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint)
        self.bias = self.add_weight((self.in_channels * self.depth_multiplier,),
                                    self.bias_initializer, name="bias",
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint) if self.use_bias else None

    def call(self, x):
        self._check(x)
        return self.activation(self._depthwise(x, self.bias))


class SeparableConv2D(_DepthwiseBase):
    """Depthwise convolution followed by a 1x1 pointwise convolution to `filters` channels.

    >>> SeparableConv2D(16, 3, padding="same")(np.zeros((1, 8, 8, 4))).shape
    (1, 8, 8, 16)
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(filters, bool) or not isinstance(filters, (int, np.integer)) or filters < 1:
            raise ValueError(f"[SeparableConv2D] filters must be a positive integer. Received: "
                             f"filters={filters}")
        self.filters = int(filters)
        self._config(kernel_size, strides, padding, depth_multiplier, data_format, dilation_rate,
                     activation, use_bias, "SeparableConv2D")
        self.depthwise_initializer = _init.get(depthwise_initializer)
        self.pointwise_initializer = _init.get(pointwise_initializer)
        self.bias_initializer = _init.get(bias_initializer)
        self.depthwise_regularizer = _reg.get(depthwise_regularizer)
        self.pointwise_regularizer = _reg.get(pointwise_regularizer)
        self.bias_regularizer = _reg.get(bias_regularizer)
        self.depthwise_constraint = _con.get(depthwise_constraint)
        self.pointwise_constraint = _con.get(pointwise_constraint)
        self.bias_constraint = _con.get(bias_constraint)

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(f"[{self.name}] expects (batch, height, width, channels) input, "
                             f"received shape {tuple(input_shape)}")
        self.in_channels = c = int(input_shape[-1])
        m = self.depth_multiplier
        self.depthwise_kernel = self.add_weight(self.kernel_size + (c, m),
                                                self.depthwise_initializer,
                                                name="depthwise_kernel",
                                                regularizer=self.depthwise_regularizer,
                                                constraint=self.depthwise_constraint)
        self.pointwise_kernel = self.add_weight((1, 1, c * m, self.filters),
                                                self.pointwise_initializer,
                                                name="pointwise_kernel",
                                                regularizer=self.pointwise_regularizer,
                                                constraint=self.pointwise_constraint)
        self.bias = self.add_weight((self.filters,), self.bias_initializer, name="bias",
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint) if self.use_bias else None

    def call(self, x):
        self._check(x)
        y = F.conv2d_nhwc(self._depthwise(x, None), self.pointwise_kernel, self.bias)
        return self.activation(y)
