"""Keras recurrent layers: SimpleRNN, LSTM, GRU, on the one recurrent op (ops.rnn.recurrence).

Weights keep Keras' names and layout: kernel (features, G*units), recurrent_kernel (units,
G*units), bias (G*units,) (GRU reset_after=True: (2, 3*units), input and recurrent bias). Gate
order: LSTM i, f, c, o (PyTorch's i, f, g, o: the same); GRU z, r, h, which the call reorders to
the kernel's r, z, n. Input (batch, time, features).

What runs where: the C++ kernel (whole sequence per call, BPTT in C++) serves the standard
activations (tanh, and relu for SimpleRNN; sigmoid recurrent activation). recurrent_dropout > 0
while training, or other activations, take the per-step composed path (ops.rnn.
recurrence_composed): the same math written with autograd ops, slower (one small op per gate per
step) but exact. `dropout` (Keras: one mask per sequence on the inputs) runs on either path.

Masks (Embedding(mask_zero=True), Masking): masked steps carry the state through; with
return_sequences the output mask is the input mask. `unroll` is accepted: the kernel's loop is
already unrolled in C++, so it changes nothing.
"""
import numpy as np

from ...ops import dropout as _dropout
from ...ops.rnn import recurrence, recurrence_composed
from ...nn import functional as F
from ...tensor import Tensor
from .. import activations as _act
from .activation_slot import ActivationSlot
from .. import constraints as _con
from .. import initializers as _init
from .base import Layer
from .masking import get_mask, set_mask


def _positive_int(v, name, cls):
    if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
        raise ValueError(f"[{cls}] {name} must be a positive integer. Received: {name}={v}")
    return int(v)


def _rate(v, name, cls):
    if not isinstance(v, (int, float)) or not 0 <= v < 1:
        raise ValueError(f"[{cls}] {name} must be a float in [0, 1). Received: {name}={v}")
    return float(v)


def set_recurrent_settings(layer, units, activation, recurrent_activation, use_bias,
                           initializers, regularizers, constraints=(None, None, None)):
    """units, activations, use_bias, initializers, regularizers and constraints (each for
    kernel, recurrent kernel, bias): the arguments the recurrent layers and the cells
    (rnn_cells.py) share, checked."""
    layer.units = _positive_int(units, "units", type(layer).__name__)
    layer.activation = _act.get(activation)
    layer.recurrent_activation = _act.get(recurrent_activation)
    layer.use_bias = bool(use_bias)
    layer.inits = [_init.get(i) for i in initializers]
    layer.regs = tuple(regularizers)
    layer.constraints = tuple(_con.get(c) for c in constraints)


def forget_bias_ones(layer):
    """LSTM's unit_forget_bias: the bias initializer with the forget gate's block (units
    ..2 units, gate order i, f, c, o) set to 1."""
    u, base = layer.units, layer.inits[2]

    class _ForgetOnes(_init.Initializer):
        def sample(self, shape):
            b = np.array(base(shape, "float32"), dtype=np.float64)
            b[u:2 * u] = 1.0
            return b
    return _ForgetOnes()


def add_recurrent_weights(layer, features):
    """kernel (features, G units), recurrent_kernel (units, G units) and bias (bias_shape()),
    Keras' names and layouts: the recurrent layers' and the cells' (rnn_cells.py) weights."""
    g = layer.gates * layer.units
    cons = layer.constraints
    layer.kernel = layer.add_weight((features, g), layer.inits[0], name="kernel",
                                    regularizer=layer.regs[0], constraint=cons[0])
    layer.recurrent_kernel = layer.add_weight((layer.units, g), layer.inits[1],
                                              name="recurrent_kernel", regularizer=layer.regs[1],
                                              constraint=cons[1])
    layer.bias = layer.add_weight(layer.bias_shape(), layer.bias_init(), name="bias",
                                  regularizer=layer.regs[2], constraint=cons[2]) \
        if layer.use_bias else None


class _RNN(Layer):
    gates = 1
    activation = ActivationSlot()  # set later too (`layer.activation = None`): through get()
    recurrent_activation = ActivationSlot()
    mode = "RNN_TANH"

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, time_major=False, seed=None, **kwargs):
        super().__init__(**kwargs)
        cls = type(self).__name__
        set_recurrent_settings(self, units, activation, recurrent_activation, use_bias,
                               (kernel_initializer, recurrent_initializer, bias_initializer),
                               (kernel_regularizer, recurrent_regularizer, bias_regularizer),
                               (kernel_constraint, recurrent_constraint, bias_constraint))
        if time_major:
            raise ValueError(f"[{cls}] time_major=True is not supported; inputs are "
                             "(batch, time, features)")
        if seed is not None:
            raise ValueError(f"[{cls}] seed is not supported; seed the global generator with "
                             "pe.manual_seed")
        self.dropout = _rate(dropout, "dropout", cls)
        self.recurrent_dropout = _rate(recurrent_dropout, "recurrent_dropout", cls)
        self.return_sequences, self.return_state = bool(return_sequences), bool(return_state)
        self.go_backwards, self.stateful, self.unroll = bool(go_backwards), bool(stateful), unroll
        self.zero_output_for_mask = False  # Bidirectional sets it with return_sequences
        self.states = None                 # stateful: the last batch's final states

    # ---- weights ---------------------------------------------------------------------------
    def build(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"[{self.name}] expects (batch, time, features) input, received "
                             f"shape {input_shape}")
        add_recurrent_weights(self, input_shape[-1])

    def bias_shape(self):
        return (self.gates * self.units,)

    def bias_init(self):
        return self.inits[2]

    def kernel_weights(self):
        """(w_ih, w_hh, b_ih, b_hh, mode) in the kernel's layout (PyTorch's)."""
        return self.kernel.T, self.recurrent_kernel.T, self.bias, None, self.mode

    def fast_path(self):
        # by name: keras.activations.tanh is a graph-recording wrapper of the table's F.tanh
        return (_act.name_of(self.activation) == "tanh"
                and _act.name_of(self.recurrent_activation) == "sigmoid")

    # ---- states ----------------------------------------------------------------------------
    def num_states(self):
        return 1

    def get_initial_state(self, batch_size):
        """The zero states a call starts from, a list of num_states() (batch, units) tensors.
        `batch_size` is an int (Keras 3) or the input batch itself (tf.keras 2:
        `self.gru.get_initial_state(x)` in TF's text_generation tutorial)."""
        if hasattr(batch_size, "shape") and len(batch_size.shape) > 0:
            batch_size = batch_size.shape[0]
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or \
                batch_size < 0:
            raise ValueError(f"[{self.name}] get_initial_state takes a batch size or an input "
                             f"batch. Received: {batch_size!r}")
        return [Tensor._wrap(np.zeros((int(batch_size), self.units), np.float32))
                for _ in range(self.num_states())]

    def reset_states(self, states=None):
        """Stateful layers: forget the carried state (or set it to `states`)."""
        if states is None:
            self.states = None
            return
        states = states if isinstance(states, (list, tuple)) else [states]
        self.states = [s if isinstance(s, Tensor) else Tensor._wrap(
            np.ascontiguousarray(s, dtype=np.float32)) for s in states]

    def _initial(self, initial_state, batch):
        if initial_state is None and self.stateful and self.states is not None:
            initial_state = self.states
        if initial_state is None:
            return [None] * self.num_states()
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) \
            else [initial_state]
        if len(states) != self.num_states():
            raise ValueError(f"[{self.name}] expects {self.num_states()} initial state "
                             f"tensor(s), received {len(states)}")
        for s in states:
            if tuple(s.shape) != (batch, self.units):
                raise ValueError(f"[{self.name}] initial state must have shape "
                                 f"({batch}, {self.units}), received {tuple(s.shape)}")
        return states

    # ---- call ------------------------------------------------------------------------------
    def call(self, inputs, mask=None, training=False, initial_state=None):
        x = inputs
        if x.ndim != 3:
            raise ValueError(f"[{self.name}] expects (batch, time, features) input, received "
                             f"shape {tuple(x.shape)}")
        batch, steps = x.shape[0], x.shape[1]
        if steps == 0 or batch == 0:
            raise ValueError(f"[{self.name}] empty input: shape {tuple(x.shape)} has no "
                             f"{'time steps' if batch else 'samples'}")
        if x.shape[2] != self.kernel.shape[0]:
            raise ValueError(f"[{self.name}] input has {x.shape[2]} features, the layer was "
                             f"built for {self.kernel.shape[0]}")
        if mask is None:
            mask = get_mask(inputs)
        if mask is not None:
            mask = np.asarray(getattr(mask, "data", mask)).astype(bool)
            if mask.shape != (batch, steps):
                raise ValueError(f"[{self.name}] mask must have shape ({batch}, {steps}), "
                                 f"received {mask.shape}")
        if training and self.dropout:  # one mask per sequence, shared by its steps
            x = _dropout.dropout(x, self.dropout, True, mask_shape=(batch, 1, x.shape[2]))
        xt = x.transpose(0, 1)
        mask_t = None if mask is None else mask.T.astype(np.float32)
        h0 = self._initial(initial_state, batch)
        w_ih, w_hh, b_ih, b_hh, mode = self.kernel_weights()
        c0 = h0[1] if len(h0) > 1 else None
        if (training and self.recurrent_dropout) or not self.fast_path():
            rec_mask = None
            if training and self.recurrent_dropout:
                ones = Tensor._wrap(np.ones((batch, self.units), np.float32))
                rec_mask = _dropout.dropout(ones, self.recurrent_dropout, True)
            y, h, c = recurrence_composed(
                xt, w_ih, w_hh, b_ih, b_hh, h0[0], c0, mode=mode, reverse=self.go_backwards,
                mask=mask_t, recurrent_mask=rec_mask, activation=self.activation,
                recurrent_activation=self.recurrent_activation)
        else:
            y, h, c = recurrence(xt, w_ih, w_hh, b_ih, b_hh, h0[0], c0, mode=mode,
                                 reverse=self.go_backwards, mask=mask_t)
        states = [h] if c is None else [h, c]
        if self.stateful:
            self.states = [s.detach() for s in states]
        if self.return_sequences:
            if self.go_backwards:  # Keras returns the steps in the order they were processed
                y = y[::-1]
                mask = None if mask is None else mask[:, ::-1]
            if self.zero_output_for_mask and mask_t is not None:
                keep = mask.T.astype(np.float32)[:, :, None]
                y = y * Tensor._wrap(np.ascontiguousarray(keep))
            out = set_mask(y.transpose(0, 1), mask)
        else:
            out = h
        return [out] + states if self.return_state else out

    def compute_output_shape(self, input_shape):
        seq = (input_shape[0], input_shape[1], self.units) if self.return_sequences else \
            (input_shape[0], self.units)
        return seq


class SimpleRNN(_RNN):
    """h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias) (tanh or relu on the
    kernel; any other activation on the composed path)."""

    def __init__(self, units, activation="tanh", **kwargs):
        super().__init__(units, activation=activation, **kwargs)

    def fast_path(self):
        return _act.name_of(self.activation) in ("tanh", "relu")

    def kernel_weights(self):
        mode = "RNN_RELU" if _act.name_of(self.activation) == "relu" else "RNN_TANH"
        return self.kernel.T, self.recurrent_kernel.T, self.bias, None, mode


class LSTM(_RNN):
    """Gates i, f, c, o: c_t = f * c_{t-1} + i * tanh(.), h_t = o * tanh(c_t); unit_forget_bias
    starts the forget gate's bias at 1. States [h, c]."""

    gates = 4
    mode = "LSTM"

    def __init__(self, units, unit_forget_bias=True, **kwargs):
        super().__init__(units, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)

    def num_states(self):
        return 2

    def bias_init(self):
        return forget_bias_ones(self) if self.unit_forget_bias else self.inits[2]


class GRU(_RNN):
    """Gates z, r, h. reset_after=True (Keras 3 default, PyTorch's form): hh = tanh(x_h + r *
    (h @ U_h + b_rh)), bias (2, 3 units); reset_after=False: hh = tanh(x_h + (r * h) @ U_h + b_h),
    bias (3 units,). h_t = z * h_{t-1} + (1 - z) * hh."""

    gates = 3

    def __init__(self, units, reset_after=True, **kwargs):
        super().__init__(units, **kwargs)
        self.reset_after = bool(reset_after)
        self.mode = "GRU" if self.reset_after else "GRU_RESET_BEFORE"

    def bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _zrh_to_rzn(self, w, axis):
        """Keras' gate blocks z, r, h -> the kernel's r, z, n along `axis`."""
        u = self.units
        sl = [slice(None)] * w.ndim

        def block(a, b):
            sl[axis] = slice(a, b)
            return w[tuple(sl)]
        return F.cat([block(u, 2 * u), block(0, u), block(2 * u, 3 * u)], axis)

    def kernel_weights(self):
        w_ih = self._zrh_to_rzn(self.kernel, 1).T
        w_hh = self._zrh_to_rzn(self.recurrent_kernel, 1).T
        b_ih = b_hh = None
        if self.bias is not None:
            if self.reset_after:
                b = self._zrh_to_rzn(self.bias, 1)
                b_ih, b_hh = b[0], b[1]
            else:
                b_ih = self._zrh_to_rzn(self.bias, 0)
        return w_ih, w_hh, b_ih, b_hh, self.mode
