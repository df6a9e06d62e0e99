"""Conv2DTranspose (channels_last, Keras' kernel layout (kh, kw, filters, in_channels)) on
conv2d_nhwc's input gradient (ops/conv_transpose_nhwc.py): the same C++ kernels as Conv2D, NHWC
throughout, the kernel used in its own layout.

Output size as Keras' deconv_output_length: 'same' gives in * stride, 'valid'
in * stride + max(k - stride, 0), and with output_padding (in - 1) * stride + k - 2 pad + op
(pad = k // 2 for 'same'). Its rows are rows [top, top + out) of the full transposed convolution,
where top is the padding conv2d would use for that output size ('same': half of the total, the
odd pixel at the bottom / right; 'valid': 0): the NHWC kernel is given those pads directly."""
import numpy as np

from ...nn import functional as F
from ...ops.conv_transpose_nhwc import conv_transpose2d_nhwc
from .. import activations as _act
from .activation_slot import ActivationSlot
from .. import constraints as _con
from .. import initializers as _init
from .. import regularizers as _reg
from . import data_format as _df
from .base import Layer
from .conv import _pair, _padding


def deconv_output_length(n, k, padding, output_padding, stride, dilation):
    k = k + (k - 1) * (dilation - 1)
    if output_padding is None:
        return n * stride if padding == "same" else n * stride + max(k - stride, 0)
    pad = k // 2 if padding == "same" else 0
    return (n - 1) * stride + k - 2 * pad + output_padding


class Conv2DTranspose(Layer):
    """Transposed 2-D convolution ("deconvolution") over (N, H, W, C) images.

    >>> Conv2DTranspose(16, 3, strides=2, padding="same")(np.zeros((1, 7, 7, 8))).shape
    (1, 14, 14, 16)
    """
    activation = ActivationSlot()  # `layer.activation = None` after build: linear

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", output_padding=None,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        name = "Conv2DTranspose"
        if isinstance(filters, bool) or not isinstance(filters, (int, np.integer)) or filters < 1:
            raise ValueError(f"[{name}] filters must be a positive integer. Received: "
                             f"filters={filters}")
        _df.resolve(self, data_format, name)
        self.filters = int(filters)
        self.kernel_size = _pair(kernel_size, "kernel_size", name)
        self.strides = _pair(strides, "strides", name)
        self.dilation_rate = _pair(dilation_rate, "dilation_rate", name)
        self.padding = _padding(padding, name)
        if output_padding is not None:
            op = (output_padding,) * 2 if isinstance(output_padding, (int, np.integer)) \
                else tuple(output_padding)
            if len(op) != 2 or any(not isinstance(v, (int, np.integer)) or v < 0 for v in op):
                raise ValueError(f"[{name}] output_padding must be a non-negative int or a pair. "
                                 f"Received: output_padding={output_padding}")
            for v, s in zip(op, self.strides):
                if v >= s:
                    raise ValueError(f"[{name}] output_padding must be smaller than the stride. "
                                     f"Received: output_padding={output_padding}, "
                                     f"strides={self.strides}")
            output_padding = tuple(int(v) for v in op)
        self.output_padding = output_padding
        self.activation = _act.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = _init.get(kernel_initializer)
        self.bias_initializer = _init.get(bias_initializer)
        self.kernel_regularizer = _reg.get(kernel_regularizer)
        self.bias_regularizer = _reg.get(bias_regularizer)
        self.kernel_constraint = _con.get(kernel_constraint)
        self.bias_constraint = _con.get(bias_constraint)

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(f"[{self.name}] expects (batch, height, width, channels) input, "
                             f"received shape {tuple(input_shape)}")
        self.in_channels = int(input_shape[-1])
        self.kernel = self.add_weight(self.kernel_size + (self.filters, self.in_channels),
                                      self.kernel_initializer, name="kernel",
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = self.add_weight((self.filters,), self.bias_initializer, name="bias",
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint) if self.use_bias else None

    def _geometry(self, h, w):
        out, tops = [], []
        for n, k, s, d, i in zip((h, w), self.kernel_size, self.strides, self.dilation_rate,
                                 (0, 1)):
            op = None if self.output_padding is None else self.output_padding[i]
            size = deconv_output_length(n, k, self.padding, op, s, d)
            keff = (k - 1) * d + 1
            top = max((n - 1) * s + keff - size, 0) // 2 if self.padding == "same" else 0
            out.append(size)
            tops.append(top)
        return out, tops

    def call(self, x):
        if x.ndim != 4 or x.shape[-1] != self.in_channels:
            raise ValueError(f"[{self.name}] expected (batch, h, w, {self.in_channels}) input, "
                             f"received shape {tuple(x.shape)}")
        (oh, ow), (top, left) = self._geometry(x.shape[1], x.shape[2])
        full = [(n - 1) * s + (k - 1) * d + 1 for n, s, k, d in
                zip(x.shape[1:3], self.strides, self.kernel_size, self.dilation_rate)]
        # The convolution this layer inverts pads its (oh, ow) input by (top, bottom, left,
        # right); rows past the full transposed output (output_padding) get no contribution.
        pads = (top, max(0, full[0] - top - oh), left, max(0, full[1] - left - ow))
        if max(pads[:2]) < self.kernel_size[0] and max(pads[2:]) < self.kernel_size[1]:
            y = conv_transpose2d_nhwc(x, self.kernel, self.strides, pads, self.dilation_rate,
                                      (oh, ow))
        else:  # pads the NHWC kernels do not take (dilated kernels, pad >= kernel): NCHW
            extra = tuple(max(0, t + o - f) for t, o, f in zip((top, left), (oh, ow), full))
            y = F.conv_transpose2d(x.permute(0, 3, 1, 2), self.kernel.permute(3, 2, 0, 1), None,
                                   self.strides, 0, extra, 1, self.dilation_rate)
            y = y[:, :, top:top + oh, left:left + ow].permute(0, 2, 3, 1)
        if self.bias is not None:
            y = y + self.bias
        return self.activation(y)

    def compute_output_shape(self, input_shape):
        (oh, ow), _ = self._geometry(input_shape[1], input_shape[2]) \
            if input_shape[1] is not None and input_shape[2] is not None else ((None, None), None)
        return (input_shape[0], oh, ow, self.filters)
