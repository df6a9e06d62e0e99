"""keras.layers.ConvLSTM2D: an LSTM whose input and recurrent transforms are convolutions,
over (batch, time, rows, cols, channels) (channels_last).

    z_t = conv(x_t, kernel; strides, padding, dilation) + bias + conv(h_{t-1}, recurrent_kernel;
          stride 1, 'same')                                  (z: (N, OH, OW, 4 filters))
    i, f, o = recurrent_activation(z_i, z_f, z_o);  c_t = f * c_{t-1} + i * activation(z_c);
    h_t = o * activation(c_t)                                  (gate order i, f, c, o: Keras')

kernel (kh, kw, C, 4 filters), recurrent_kernel (kh, kw, filters, 4 filters), bias
(4 filters,) (unit_forget_bias: the forget slice starts at 1), Keras' names and layouts. The
input convolution of every step runs as one conv2d_nhwc call over the (N * T) frames; the
recurrent one per step; the gate update is ops.rnn.lstm_update, the LSTM layers' own. Autograd
runs through it all (backpropagation through time)."""
import numpy as np

from ...nn import functional as F
from ...ops.rnn import lstm_update
from ...ops.shape import stack
from ...tensor import Tensor
from .. import activations as _act
from .activation_slot import ActivationSlot
from .. import initializers as _init
from .. import regularizers as _reg
from .base import Layer
from .conv import _channels_last, _pair, _padding, pads_for


class ConvLSTM2D(Layer):
    """Convolutional LSTM over (N, T, H, W, C) (see the module docstring).

    >>> keras.layers.ConvLSTM2D(4, 3, padding="same")(np.zeros((2, 5, 8, 8, 1))).shape
    (2, 8, 8, 4)
    """
    activation = ActivationSlot()  # set later too (`layer.activation = None`): through get()
    recurrent_activation = ActivationSlot()

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, dropout=0.0, recurrent_dropout=0.0,
                 return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 seed=None, **kwargs):
        super().__init__(**kwargs)
        cls = "ConvLSTM2D"
        if isinstance(filters, bool) or not isinstance(filters, (int, np.integer)) \
                or filters < 1:
            raise ValueError(f"[{cls}] filters must be a positive integer. Received: "
                             f"filters={filters}")
        _channels_last(data_format, cls)
        for name, v in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if v:
                raise ValueError(f"[{cls}] {name} is not supported (only 0). Received: "
                                 f"{name}={v}")
        if stateful:
            raise ValueError(f"[{cls}] stateful=True is not supported")
        if seed is not None:
            raise ValueError(f"[{cls}] seed is not supported (it seeds dropout, which is not "
                             "supported); seed the global generator with pe.manual_seed")
        self.filters = int(filters)
        self.kernel_size = _pair(kernel_size, "kernel_size", cls)
        self.strides = _pair(strides, "strides", cls)
        self.dilation_rate = _pair(dilation_rate, "dilation_rate", cls)
        self.padding = _padding(padding, cls)
        self.activation = _act.get(activation)
        self.recurrent_activation = _act.get(recurrent_activation)
        self.use_bias, self.unit_forget_bias = bool(use_bias), bool(unit_forget_bias)
        self.inits = [_init.get(i) for i in (kernel_initializer, recurrent_initializer,
                                             bias_initializer)]
        self.regs = [_reg.get(r) for r in (kernel_regularizer, recurrent_regularizer,
                                            bias_regularizer)]
        self.return_sequences, self.return_state = bool(return_sequences), bool(return_state)
        self.go_backwards = bool(go_backwards)

    def build(self, input_shape):
        if len(input_shape) != 5 or input_shape[-1] is None:
            raise ValueError(f"[{self.name}] expects (batch, time, rows, cols, channels) input "
                             f"with known channels, received shape {input_shape}")
        g = 4 * self.filters
        self.kernel = self.add_weight(self.kernel_size + (int(input_shape[-1]), g),
                                      self.inits[0], name="kernel", regularizer=self.regs[0])
        self.recurrent_kernel = self.add_weight(self.kernel_size + (self.filters, g),
                                                self.inits[1], name="recurrent_kernel",
                                                regularizer=self.regs[1])
        if self.use_bias:
            self.bias = self.add_weight((g,), self.inits[2], name="bias",
                                        regularizer=self.regs[2])
            if self.unit_forget_bias:
                self.bias._data[self.filters:2 * self.filters] = 1.0
        else:
            self.bias = None

    def call(self, inputs, initial_state=None):
        x = inputs
        if x.ndim != 5:
            raise ValueError(f"[{self.name}] expects (batch, time, rows, cols, channels) input, "
                             f"received shape {tuple(x.shape)}")
        n, t, h, w, ch = x.shape
        if ch != self.kernel.shape[2]:
            raise ValueError(f"[{self.name}] expected {self.kernel.shape[2]} channels, received "
                             f"input of shape {tuple(x.shape)}")
        pads = pads_for((n, h, w), self.kernel_size, self.strides, self.padding,
                        self.dilation_rate)
        frames = F.conv2d_nhwc(x.reshape(n * t, h, w, ch), self.kernel, self.bias,
                               stride=self.strides, padding=pads, dilation=self.dilation_rate)
        oh, ow = frames.shape[1:3]
        frames = frames.reshape(n, t, oh, ow, 4 * self.filters)
        state_shape = (n, oh, ow, self.filters)
        if initial_state is None:
            zeros = np.zeros(state_shape, frames._data.dtype)
            hs, cs = Tensor._wrap(zeros), Tensor._wrap(zeros.copy())
        else:
            if not isinstance(initial_state, (list, tuple)) or len(initial_state) != 2:
                raise ValueError(f"[{self.name}] initial_state must be [h, c]")
            hs, cs = initial_state
            for s in (hs, cs):
                if tuple(s.shape) != state_shape:
                    raise ValueError(f"[{self.name}] initial_state tensors must have shape "
                                     f"{state_shape}, received {tuple(s.shape)}")
        rec_pads = pads_for(state_shape, self.kernel_size, (1, 1), "same")
        outputs = []
        steps = range(t - 1, -1, -1) if self.go_backwards else range(t)
        for step in steps:
            z = frames[:, step] + F.conv2d_nhwc(hs, self.recurrent_kernel, None,
                                                padding=rec_pads)
            hs, cs = lstm_update(z, cs, self.activation, self.recurrent_activation)
            if self.return_sequences:
                outputs.append(hs)
        out = stack(outputs, 1) if self.return_sequences else hs
        return [out, hs, cs] if self.return_state else out
