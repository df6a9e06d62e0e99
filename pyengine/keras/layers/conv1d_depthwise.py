"""DepthwiseConv1D and SeparableConv1D (channels_last (batch, steps, channels), Keras' kernel
layouts) on F.conv1d with groups = channels, as Conv1D runs.

Depthwise kernel (k, in, depth_multiplier): output channel c * depth_multiplier + m filters
input channel c with kernel [:, c, m], a grouped conv1d weight (in * depth_multiplier, 1, k)
after a free reshape. Separable = depthwise (no bias) then a pointwise conv, kernel
(1, in * depth_multiplier, filters), with the bias."""

from ...nn import functional as F
from .. import activations as _act
from .. import constraints as _con
from .. import initializers as _init
from .. import regularizers as _reg
from . import data_format as _df
from .activation_slot import ActivationSlot
from .base import Layer
from .conv1d import Conv1D, _PadSteps, _int
from ...ops.shape_errors import InputTooSmallError


class _Depthwise1D(Layer):
    activation = ActivationSlot()
    _pads = Conv1D._pads  # 'valid' / 'same' pads of the steps axis, as Conv1D

    def _config(self, kernel_size, strides, padding, depth_multiplier, data_format,
                dilation_rate, activation, use_bias, owner):
        self.kernel_size = _int(kernel_size, "kernel_size", owner)
        self.strides = _int(strides, "strides", owner)
        self.dilation_rate = _int(dilation_rate, "dilation_rate", owner)
        self.depth_multiplier = _int(depth_multiplier, "depth_multiplier", owner)
        if self.strides != 1 and self.dilation_rate != 1:
            raise ValueError(f"[{owner}] strides > 1 and dilation_rate > 1 cannot be combined "
                             f"(as Keras). Received: strides={self.strides}, "
                             f"dilation_rate={self.dilation_rate}")
        if padding not in ("valid", "same"):
            raise ValueError(f"[{owner}] padding must be 'valid' or 'same'. Received: "
                             f"padding={padding!r}")
        self.padding = padding
        _df.resolve(self, data_format, owner)
        self.activation = _act.get(activation)
        self.use_bias = bool(use_bias)

    def _input_channels(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"[{type(self).__name__}] expects (batch, steps, channels) input, "
                             f"received shape {tuple(input_shape)}")
        return int(input_shape[-1])

    def _depthwise(self, x, bias):
        if x.ndim != 3 or x.shape[-1] != self.in_channels:
            raise ValueError(f"[{type(self).__name__}] expected (batch, steps, "
                             f"{self.in_channels}) input, received shape {tuple(x.shape)}")
        left, right = self._pads(x.shape[1])
        if left or right:
            x = _PadSteps.apply(x, left=left, right=right)
        if x.shape[1] < self.dilation_rate * (self.kernel_size - 1) + 1:
            raise InputTooSmallError(f"[{type(self).__name__}] {x.shape[1]} steps are fewer "
                                     f"than the kernel spans "
                                     f"({self.dilation_rate * (self.kernel_size - 1) + 1})")
        c, m = self.in_channels, self.depth_multiplier
        w = self.depthwise_kernel.reshape((self.kernel_size, 1, c * m)).transpose(0, 2)
        y = F.conv1d(x.transpose(1, 2), w, bias, stride=self.strides, dilation=self.dilation_rate,
                     groups=c)
        return y.transpose(1, 2)


class DepthwiseConv1D(_Depthwise1D):
    """Each input channel convolved with its own depth_multiplier filters.

    >>> DepthwiseConv1D(3, depth_multiplier=2)(np.zeros((1, 8, 4))).shape
    (1, 6, 8)
    """

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, depthwise_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self._config(kernel_size, strides, padding, depth_multiplier, data_format,
                     dilation_rate, activation, use_bias, "DepthwiseConv1D")
        self.depthwise_initializer = _init.get(depthwise_initializer)
        self.bias_initializer = _init.get(bias_initializer)
        self.depthwise_regularizer = _reg.get(depthwise_regularizer)
        self.bias_regularizer = _reg.get(bias_regularizer)
        self.depthwise_constraint = _con.get(depthwise_constraint)
        self.bias_constraint = _con.get(bias_constraint)

    def build(self, input_shape):
        self.in_channels = c = self._input_channels(input_shape)
        m = self.depth_multiplier
        self.depthwise_kernel = self.add_weight(
            (self.kernel_size, c, m), self.depthwise_initializer, name="kernel",
            regularizer=self.depthwise_regularizer, constraint=self.depthwise_constraint)
        self.bias = self.add_weight((c * m,), self.bias_initializer, name="bias",
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint) if self.use_bias else None

    def call(self, x):
        return self.activation(self._depthwise(x, self.bias))


class SeparableConv1D(_Depthwise1D):
    """Depthwise convolution followed by a pointwise (kernel size 1) convolution to `filters`.

    >>> SeparableConv1D(16, 3, padding="same")(np.zeros((1, 8, 4))).shape
    (1, 8, 16)
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.filters = _int(filters, "filters", "SeparableConv1D")
        self._config(kernel_size, strides, padding, depth_multiplier, data_format,
                     dilation_rate, activation, use_bias, "SeparableConv1D")
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
        self.in_channels = c = self._input_channels(input_shape)
        m = self.depth_multiplier
        self.depthwise_kernel = self.add_weight(
            (self.kernel_size, c, m), self.depthwise_initializer, name="depthwise_kernel",
            regularizer=self.depthwise_regularizer, constraint=self.depthwise_constraint)
        self.pointwise_kernel = self.add_weight(
            (1, c * m, self.filters), self.pointwise_initializer, name="pointwise_kernel",
            regularizer=self.pointwise_regularizer, constraint=self.pointwise_constraint)
        self.bias = self.add_weight((self.filters,), self.bias_initializer, name="bias",
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint) if self.use_bias else None

    def call(self, x):
        y = self._depthwise(x, None)
        y = F.conv1d(y.transpose(1, 2), self.pointwise_kernel.transpose(0, 2), self.bias)
        return self.activation(y.transpose(1, 2))
