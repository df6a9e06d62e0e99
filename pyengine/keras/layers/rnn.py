"""Recurrent layers (Keras names, weights and gate orders): SimpleRNN, LSTM (gates i, f, c, o),
GRU (gates z, r, h; reset_after=True as in Keras 3). Input (batch, time, features); the output
is the last state, or every state with return_sequences=True. Written with pyengine ops, so
autograd unrolls the time loop."""
import numpy as np

from ...ops.shape import stack
from .. import activations as _act
from .. import initializers as _init
from .base import Layer


class _RNN(Layer):
    gates = 1

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", return_sequences=False, return_state=False,
                 go_backwards=False, dropout=0.0, recurrent_dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(units, (int, np.integer)) or units < 1:
            raise ValueError(f"[{type(self).__name__}] units must be a positive integer. "
                             f"Received: units={units}")
        if return_state:
            raise ValueError(f"[{type(self).__name__}] return_state=True is not supported")
        self.units = int(units)
        self.activation = _act.get(activation)
        self.recurrent_activation = _act.get(recurrent_activation)
        self.use_bias = use_bias
        self.inits = [_init.get(i) for i in (kernel_initializer, recurrent_initializer,
                                             bias_initializer)]
        self.return_sequences, self.go_backwards = return_sequences, go_backwards

    def build(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"[{self.name}] expects (batch, time, features) input, received "
                             f"shape {input_shape}")
        g = self.gates * self.units
        self.kernel = self.add_weight((input_shape[-1], g), self.inits[0], name="kernel")
        self.recurrent_kernel = self.add_weight((self.units, g), self.inits[1],
                                                name="recurrent_kernel")
        self.bias = self.add_weight(self.bias_shape(), self.bias_init(), name="bias") \
            if self.use_bias else None

    def bias_shape(self):
        return (self.gates * self.units,)

    def bias_init(self):
        return self.inits[2]

    def call(self, x, training=False):
        if x.ndim != 3:
            raise ValueError(f"[{self.name}] expects (batch, time, features) input, received "
                             f"shape {tuple(x.shape)}")
        n, steps = x.shape[0], x.shape[1]
        xw = x @ self.kernel                      # all time steps' input projections at once
        if self.bias is not None and self.bias.ndim == 1:
            xw = xw + self.bias
        state = self.initial_state(n)
        outs = []
        order = range(steps - 1, -1, -1) if self.go_backwards else range(steps)
        for t in order:
            state = self.step(xw[:, t, :], state)
            outs.append(state[0] if isinstance(state, tuple) else state)
        return stack(outs, axis=1) if self.return_sequences else outs[-1]

    def initial_state(self, n):
        from ...creation import zeros
        return zeros(n, self.units)


class SimpleRNN(_RNN):
    """h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)."""

    def step(self, xw, h):
        return self.activation(xw + h @ self.recurrent_kernel)


class LSTM(_RNN):
    """Gates i, f, c, o: c_t = f * c_{t-1} + i * tanh(.), h_t = o * tanh(c_t); forget bias 1."""

    gates = 4

    def __init__(self, units, unit_forget_bias=True, **kwargs):
        super().__init__(units, **kwargs)
        self.unit_forget_bias = unit_forget_bias

    def bias_init(self):
        if not self.unit_forget_bias:
            return self.inits[2]
        u, base = self.units, self.inits[2]

        class _ForgetOnes(_init.Initializer):
            def sample(self, shape):
                b = base(shape).astype(np.float64)
                b[u:2 * u] = 1.0
                return b
        return _ForgetOnes()

    def initial_state(self, n):
        h = super().initial_state(n)
        return (h, h)

    def step(self, xw, state):
        h, c = state
        z = xw + h @ self.recurrent_kernel
        u = self.units
        i = self.recurrent_activation(z[:, :u])
        f = self.recurrent_activation(z[:, u:2 * u])
        g = self.activation(z[:, 2 * u:3 * u])
        o = self.recurrent_activation(z[:, 3 * u:])
        c = f * c + i * g
        return (o * self.activation(c), c)


class GRU(_RNN):
    """Keras 3 GRU (reset_after=True): bias (2, 3 units) for input and recurrent projections;
    z, r = sigmoid(.), hh = tanh(x_h + r * (h @ U_h + b_rh)), h_t = z * h_{t-1} + (1 - z) * hh."""

    gates = 3

    def __init__(self, units, reset_after=True, **kwargs):
        super().__init__(units, **kwargs)
        if not reset_after:
            raise ValueError("[GRU] only reset_after=True (the Keras 3 default) is supported")

    def bias_shape(self):
        return (2, 3 * self.units)

    def step(self, xw, h):
        u = self.units
        rec = h @ self.recurrent_kernel
        if self.bias is not None:
            xw = xw + self.bias[0]
            rec = rec + self.bias[1]
        z = self.recurrent_activation(xw[:, :u] + rec[:, :u])
        r = self.recurrent_activation(xw[:, u:2 * u] + rec[:, u:2 * u])
        hh = self.activation(xw[:, 2 * u:] + r * rec[:, 2 * u:])
        return z * h + (1.0 - z) * hh
