"""Convolution and pooling on channels_last images (N, H, W, C), Keras names and arguments, over
the channels-last ops of pe.nn.functional: F.conv2d_nhwc (Keras' (kh, kw, in, out) kernel layout,
read as is), F.max_pool2d_nhwc, F.avg_pool2d_nhwc. Keras' 'same' padding (the odd pixel at the
bottom / right) is computed here and handed over as explicit ((top, bottom), (left, right))
pads, so no layer transposes, pads or copies its input per step. Conv2D's relu / sigmoid / tanh
/ elu run inside the convolution kernel's epilogue (same values as applying them after)."""
import numpy as np

from ...nn import functional as F
from .. import activations as _act
from .activation_slot import ActivationSlot
from .. import constraints as _con
from .. import initializers as _init
from .. import regularizers as _reg
from . import data_format as _df
from .base import Layer
from .keras1_args import KERAS1_KEYS, POOL_KERAS1_KEYS, convert_conv2d, convert_pool2d

_FUSED = ("relu", "sigmoid", "tanh", "elu")  # activations F.conv2d_nhwc applies in its epilogue


def _ntuple(v, n, what, layer):
    """v as n positive ints (an int repeats): Keras' kernel_size / strides / dilation_rate."""
    v = (v,) * n if isinstance(v, (int, np.integer)) else tuple(v)
    if len(v) != n or any(isinstance(i, bool) or not isinstance(i, (int, np.integer)) or i < 1
                          for i in v):
        raise ValueError(f"[{layer}] {what} must be a positive int or a "
                         f"{ {2: 'pair', 3: 'triple'}.get(n, f'{n}-tuple') } of them. "
                         f"Received: {what}={v}")
    return tuple(int(i) for i in v)


def _pair(v, what, layer):
    return _ntuple(v, 2, what, layer)


def _padding(p, layer):
    p = str(p).lower()
    if p not in ("valid", "same"):
        raise ValueError(f"[{layer}] padding must be 'valid' or 'same'. Received: padding={p}")
    return p


def _channels_last(data_format, layer):
    if data_format not in (None, "channels_last"):
        raise ValueError(f"[{layer}] only data_format='channels_last' is supported. "
                         f"Received: data_format={data_format}")


def same_pads(size, k, s, d=1):
    """Keras / TensorFlow 'same' padding along one axis: (before, after), the odd pixel after."""
    out = -(-size // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return total // 2, total - total // 2


def pads_for(x_shape, kernel, strides, padding, dilation=(1, 1)):
    if padding == "valid":
        return ((0, 0), (0, 0))
    return tuple(same_pads(x_shape[1 + a], kernel[a], strides[a], dilation[a]) for a in (0, 1))


def _check_4d(layer, x):
    if x.ndim != 4:
        raise ValueError(f"[{layer.name}] expects (batch, height, width, channels) input, "
                         f"received shape {tuple(x.shape)}")


class _Conv(Layer):
    """What Conv2D and Conv3D share: Keras' arguments, their checks, and the kernel / bias
    weights in Keras' layout (*kernel_size, C / groups, filters). `_rank` spatial dimensions."""

    _rank, _keras_name, _input_axes = 2, "Conv2D", "(batch, height, width, channels)"
    activation = ActivationSlot()  # `layer.activation = None` after build: linear

    def _configure(self, filters, kernel_size, strides, padding, data_format, dilation_rate,
                   groups, activation, use_bias, kernel_initializer, bias_initializer,
                   kernel_regularizer, bias_regularizer, kernel_constraint=None,
                   bias_constraint=None):
        name, n = self._keras_name, self._rank
        if isinstance(filters, bool) or not isinstance(filters, (int, np.integer)) \
                or filters < 1:
            raise ValueError(f"[{name}] filters must be a positive integer. Received: "
                             f"filters={filters}")
        _df.resolve(self, data_format, name)
        self.filters = int(filters)
        self.kernel_size = _ntuple(kernel_size, n, "kernel_size", name)
        self.strides = _ntuple(strides, n, "strides", name)
        self.dilation_rate = _ntuple(dilation_rate, n, "dilation_rate", name)
        self.padding = _padding(padding, name)
        if not isinstance(groups, (int, np.integer)) or groups < 1 or filters % groups:
            raise ValueError(f"[{name}] groups must be a positive integer dividing filters. "
                             f"Received: groups={groups}, filters={filters}")
        self.groups = int(groups)
        self.activation = _act.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = _init.get(kernel_initializer)
        self.bias_initializer = _init.get(bias_initializer)
        self.kernel_regularizer = _reg.get(kernel_regularizer)
        self.bias_regularizer = _reg.get(bias_regularizer)
        self.kernel_constraint = _con.get(kernel_constraint)
        self.bias_constraint = _con.get(bias_constraint)

    def build(self, input_shape):
        if len(input_shape) != self._rank + 2 or input_shape[-1] is None:
            raise ValueError(f"[{self.name}] expects {self._input_axes} input "
                             f"with known channels, received shape {input_shape}")
        self.in_channels = int(input_shape[-1])
        if self.in_channels % self.groups:
            raise ValueError(f"[{self.name}] input channels {self.in_channels} not divisible by "
                             f"groups={self.groups}")
        self.kernel = self.add_weight(
            self.kernel_size + (self.in_channels // self.groups, self.filters),
            self.kernel_initializer, name="kernel", regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint)
        self.bias = self.add_weight((self.filters,), self.bias_initializer, name="bias",
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint) if self.use_bias else None


class Conv2D(_Conv):
    """y = activation(conv(x, kernel) + bias) on (N, H, W, C); kernel (kh, kw, C / groups,
    filters)."""

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid",
                 data_format=None, dilation_rate=(1, 1), groups=1, activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        if KERAS1_KEYS.intersection(kwargs):  # Convolution2D(32, 3, 3, border_mode=...)
            a = convert_conv2d(type(self).__name__, dict(
                filters=filters, kernel_size=kernel_size, strides=strides, padding=padding,
                data_format=data_format, kernel_initializer=kernel_initializer,
                kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
                use_bias=use_bias), kwargs)
            filters, kernel_size, strides, padding, data_format = (
                a["filters"], a["kernel_size"], a["strides"], a["padding"], a["data_format"])
            kernel_initializer, kernel_regularizer, bias_regularizer = (
                a["kernel_initializer"], a["kernel_regularizer"], a["bias_regularizer"])
            kernel_constraint, bias_constraint, use_bias = (
                a["kernel_constraint"], a["bias_constraint"], a["use_bias"])
        super().__init__(**kwargs)
        self._configure(filters, kernel_size, strides, padding, data_format, dilation_rate,
                        groups, activation, use_bias, kernel_initializer, bias_initializer,
                        kernel_regularizer, bias_regularizer, kernel_constraint, bias_constraint)

    def call(self, x):
        _check_4d(self, x)
        if x.shape[-1] != self.in_channels:
            raise ValueError(f"[{self.name}] expected (batch, h, w, {self.in_channels}) input, "
                             f"received shape {tuple(x.shape)}")
        if type(self).convolution_op is not Conv2D.convolution_op:  # a subclass's own op
            y = self.convolution_op(x, self.kernel)
            return self.activation(y if self.bias is None else y + self.bias)
        pads = pads_for(x.shape, self.kernel_size, self.strides, self.padding, self.dilation_rate)
        fused = _act.name_of(self.activation)  # looked up per call: the activation may be replaced
        fused = fused if fused in _FUSED else None
        y = F.conv2d_nhwc(x, self.kernel, self.bias, stride=self.strides, padding=pads,
                          dilation=self.dilation_rate, groups=self.groups, activation=fused)
        return y if fused else self.activation(y)

    def convolution_op(self, inputs, kernel):
        """The convolution alone (no bias, no activation) with this layer's strides, padding,
        dilation and groups; Keras' hook for custom convolutions (override it, or call it from
        an overridden call with a modified kernel)."""
        pads = pads_for(inputs.shape, self.kernel_size, self.strides, self.padding,
                        self.dilation_rate)
        return F.conv2d_nhwc(inputs, kernel, None, stride=self.strides, padding=pads,
                             dilation=self.dilation_rate, groups=self.groups)


class _Pool2D(Layer):
    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        if POOL_KERAS1_KEYS.intersection(kwargs):  # AveragePooling2D((3, 3), border_mode=...)
            a = convert_pool2d(type(self).__name__, dict(
                pool_size=pool_size, strides=strides, padding=padding, data_format=data_format),
                kwargs)
            pool_size, strides, padding, data_format = (a["pool_size"], a["strides"],
                                                        a["padding"], a["data_format"])
        super().__init__(**kwargs)
        name = type(self).__name__
        _df.resolve(self, data_format, name)
        self.pool_size = _pair(pool_size, "pool_size", name)
        self.strides = _pair(strides, "strides", name) if strides is not None else self.pool_size
        self.padding = _padding(padding, name)

    def call(self, x):
        _check_4d(self, x)
        return self.pool(x, self.pool_size, self.strides,
                         pads_for(x.shape, self.pool_size, self.strides, self.padding))


class MaxPooling2D(_Pool2D):
    """Max over windows (F.max_pool2d_nhwc); 'same' pads with -inf, as Keras."""
    pool = staticmethod(F.max_pool2d_nhwc)


class AveragePooling2D(_Pool2D):
    """Mean over windows (F.avg_pool2d_nhwc); 'same' windows average only real pixels."""

    @staticmethod
    def pool(x, k, s, pads):
        return F.avg_pool2d_nhwc(x, k, s, pads, count_include_pad=False)


class GlobalAveragePooling2D(Layer):
    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        _df.resolve(self, data_format, type(self).__name__)
        self.keepdims = bool(keepdims)

    def call(self, x):
        _check_4d(self, x)
        return x.mean(axis=(1, 2), keepdims=self.keepdims)


class GlobalMaxPooling2D(GlobalAveragePooling2D):
    def call(self, x):
        _check_4d(self, x)
        return x.max(axis=(1, 2), keepdims=self.keepdims)


MaxPool2D, AvgPool2D = MaxPooling2D, AveragePooling2D
GlobalAvgPool2D, GlobalMaxPool2D = GlobalAveragePooling2D, GlobalMaxPooling2D  # Keras' aliases
