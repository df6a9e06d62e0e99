"""RNN, LSTM, GRU (multi-layer, batch_first, bidirectional) and their single-step cells.

Each layer and direction runs the whole sequence in one call of the recurrent kernel
(ops.rnn.recurrence: the input projection inside each step's product, the time loop and
backpropagation through time in C++; docs/rnn.md). The cells run the same kernel for one step.
Parameter names, shapes and gate order are PyTorch's, so a torch state_dict loads unchanged:
    weight_ih_l{k}[_reverse] (G*H, in), weight_hh_l{k}[_reverse] (G*H, H), bias_ih/hh (G*H,)
    LSTM gates i, f, g, o (G = 4); GRU gates r, z, n (G = 3); RNN G = 1.
"""
import math

import numpy as np

from .. import functional as F
from .. import init
from ..module import Module, Parameter
from ...creation import zeros
from ...ops.rnn import GATES, recurrence
from ..utils.rnn import PackedSequence, packed_rows, packing_mask
from .linear import _dtype


def _check_size(name, v, cls):
    if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v <= 0:
        raise ValueError(f"[{cls}] {name} must be a positive int, received {name}={v!r}")


class RNNBase(Module):
    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        super().__init__()
        cls = type(self).__name__
        for name, v in (("input_size", input_size), ("hidden_size", hidden_size),
                        ("num_layers", num_layers)):
            _check_size(name, v, cls)
        if not 0 <= dropout <= 1:
            raise ValueError(f"[{cls}] dropout must be in [0, 1], received dropout={dropout}")
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional = float(dropout), bidirectional
        gates = GATES[mode] * hidden_size
        dirs = 2 if bidirectional else 1
        dt = _dtype(dtype, device)
        self._names = []
        for layer in range(num_layers):
            in_size = input_size if layer == 0 else hidden_size * dirs
            for d in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                names = [f"weight_ih{sfx}", f"weight_hh{sfx}"]
                setattr(self, names[0], Parameter(np.empty((gates, in_size), dt)))
                setattr(self, names[1], Parameter(np.empty((gates, hidden_size), dt)))
                if bias:
                    names += [f"bias_ih{sfx}", f"bias_hh{sfx}"]
                    setattr(self, names[2], Parameter(np.empty((gates,), dt)))
                    setattr(self, names[3], Parameter(np.empty((gates,), dt)))
                self._names.append(names)
        self.reset_parameters()

    def reset_parameters(self):
        """Every weight and bias ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as PyTorch."""
        k = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -k, k)

    def _weights(self, layer, d):
        ps = [getattr(self, n) for n in self._names[layer * (2 if self.bidirectional else 1) + d]]
        return ps if self.bias else ps + [None, None]

    def forward(self, input, hx=None):
        cls = type(self).__name__
        is_lstm = self.mode == "LSTM"
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx, cls)
        batched = input.ndim == 3
        if input.ndim not in (2, 3):
            raise ValueError(f"[{cls}] expected a 2-D (unbatched) or 3-D input, got {input.shape}")
        x = input if not batched else (input.transpose(0, 1) if self.batch_first else input)
        if not batched:
            x = x.unsqueeze(1)
        if x.shape[-1] != self.input_size:
            raise ValueError(f"[{cls}] input has {x.shape[-1]} features, expected "
                             f"input_size={self.input_size} (input {input.shape})")
        if x.shape[0] == 0:
            raise ValueError(f"[{cls}] empty sequence: input {input.shape} has 0 time steps")
        if x.shape[1] == 0:
            raise ValueError(f"[{cls}] zero batch: input {input.shape} has no sequences")
        h0, c0 = self._initial_state(hx, x.shape[1], batched, cls)
        out, h_n, c_n = self._layers(x, h0, c0)
        if not batched:
            out, h_n = out.squeeze(1), h_n.squeeze(1)
            c_n = c_n.squeeze(1) if is_lstm else None
        elif self.batch_first:
            out = out.transpose(0, 1)
        return (out, (h_n, c_n)) if is_lstm else (out, h_n)

    def _layers(self, x, h0, c0, mask=None):
        """Every layer and direction over x (T, B, I) from h0 / c0 (L*D, B, H) or None (zeros):
        (output (T, B, D*H), h_n, c_n (LSTM, else None)). mask (T, B): the steps each row runs
        (a packed batch); a row keeps its state over the others."""
        dirs = 2 if self.bidirectional else 1
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                k = layer * dirs + d
                y, h, c = recurrence(x, *self._weights(layer, d),
                                     None if h0 is None else h0[k],
                                     None if c0 is None else c0[k], mode=self.mode,
                                     reverse=d == 1, mask=mask)
                outs.append(y)
                h_n.append(h)
                c_n.append(c)
            x = outs[0] if dirs == 1 else F.cat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        return x, F.stack(h_n, 0), (F.stack(c_n, 0) if self.mode == "LSTM" else None)

    def _forward_packed(self, packed, hx, cls):
        """A PackedSequence, as PyTorch: sequence b runs its own length, forward from its first
        step and backward from its last. The packed rows are scattered into a padded batch
        (sorted longest first) and its step mask (packing_mask) goes to the kernel, where a
        masked row keeps its state: the forward direction's state passes the padding unchanged
        to h_n, and the backward direction starts each row at its last real step. hx and the
        returned states are in the original batch order."""
        data = packed.data
        if data.ndim != 2 or data.shape[1] != self.input_size:
            raise ValueError(f"[{cls}] packed data must be (steps, input_size={self.input_size}), "
                             f"got {tuple(data.shape)}")
        mask = packing_mask(packed)
        steps, batch = mask.shape
        rows = packed_rows(packed)
        x = zeros(steps * batch, self.input_size, dtype=data.dtype, device=data.device)
        x = x.index_add(0, rows, data).reshape(steps, batch, self.input_size)
        h0, c0 = self._initial_state(hx, batch, True, cls)
        if packed.sorted_indices is not None:  # hx rows in the packing's (sorted) order
            h0 = None if h0 is None else h0[:, packed.sorted_indices]
            c0 = None if c0 is None else c0[:, packed.sorted_indices]
        out, h_n, c_n = self._layers(x, h0, c0, mask)
        out = PackedSequence(out.reshape(steps * batch, out.shape[-1])[rows], packed.batch_sizes,
                             packed.sorted_indices, packed.unsorted_indices)
        if packed.unsorted_indices is not None:
            h_n = h_n[:, packed.unsorted_indices]
            c_n = None if c_n is None else c_n[:, packed.unsorted_indices]
        return (out, (h_n, c_n)) if self.mode == "LSTM" else (out, h_n)

    def _initial_state(self, hx, batch, batched, cls):
        """(h0, c0) of shape (L*D, B, H); None stands for zeros."""
        n = self.num_layers * (2 if self.bidirectional else 1)
        want = (n, batch, self.hidden_size)
        if hx is None:
            return None, None
        states = hx if self.mode == "LSTM" else (hx, None)
        if self.mode == "LSTM" and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise ValueError(f"[{cls}] hx must be a tuple (h_0, c_0)")
        out = []
        for s in states:
            if s is None:
                out.append(None)
                continue
            s = s if batched else s.unsqueeze(1)
            if tuple(s.shape) != want:
                raise ValueError(f"[{cls}] expected hidden state of shape {want}, got {tuple(s.shape)}")
            out.append(s)
        return out[0], out[1]

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu).
    Returns (output, h_n): output (T, B, D*H) (batch_first: (B, T, D*H)), h_n (L*D, B, H).

    >>> out, h = pe.nn.RNN(10, 20, num_layers=2)(pe.randn(5, 3, 10))
    >>> out.shape, h.shape
    ((5, 3, 20), (2, 3, 20))
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"[RNN] unknown nonlinearity {nonlinearity!r}; use 'tanh' or 'relu'")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_" + nonlinearity.upper(), input_size, hidden_size, num_layers, bias,
                         batch_first, dropout, bidirectional, device, dtype)

    def extra_repr(self):
        s = super().extra_repr()
        return s if self.nonlinearity == "tanh" else s + ", nonlinearity='relu'"


class LSTM(RNNBase):
    """Long short-term memory; gates i, f, g, o. Returns (output, (h_n, c_n))."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device, dtype)


class GRU(RNNBase):
    """Gated recurrent unit; gates r, z, n. Returns (output, h_n)."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device, dtype)


class _CellBase(Module):
    _mode = "RNN_TANH"

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__()
        cls = type(self).__name__
        _check_size("input_size", input_size, cls)
        _check_size("hidden_size", hidden_size, cls)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        g = GATES[self._mode] * hidden_size
        dt = _dtype(dtype, device)
        self.weight_ih = Parameter(np.empty((g, input_size), dt))
        self.weight_hh = Parameter(np.empty((g, hidden_size), dt))
        self.bias_ih = Parameter(np.empty((g,), dt)) if bias else None
        self.bias_hh = Parameter(np.empty((g,), dt)) if bias else None
        k = 1.0 / math.sqrt(hidden_size)
        for p in self.parameters():
            init.uniform_(p, -k, k)

    def _run(self, x, hx):
        """One step through the recurrent kernel: x (B, I) or (I,), hx = (h, c) or h, any None.
        Returns (h', c')."""
        cls = type(self).__name__
        if x.ndim not in (1, 2):
            raise ValueError(f"[{cls}] expected input (batch, {self.input_size}) or "
                             f"({self.input_size},), got {tuple(x.shape)}")
        if x.shape[-1] != self.input_size:
            raise ValueError(f"[{cls}] input has {x.shape[-1]} features, expected "
                             f"input_size={self.input_size}")
        batched = x.ndim == 2
        if batched and x.shape[0] == 0:
            raise ValueError(f"[{cls}] zero batch: input {tuple(x.shape)}")
        h, c = hx if isinstance(hx, (tuple, list)) else (hx, None)
        want = ((x.shape[0],) if batched else ()) + (self.hidden_size,)
        for name, s in (("h", h), ("c", c)):
            if s is not None and tuple(s.shape) != want:
                raise ValueError(f"[{cls}] expected {name} of shape {want}, got {tuple(s.shape)}")
        x = x.unsqueeze(0) if batched else x.reshape(1, 1, -1)
        lift = (lambda s: s) if batched else (lambda s: s.unsqueeze(0))
        _, h, c = recurrence(x, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh,
                             None if h is None else lift(h), None if c is None else lift(c),
                             mode=self._mode)
        if not batched:
            h, c = h[0], (None if c is None else c[0])
        return h, c

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")


class RNNCell(_CellBase):
    """One step of RNN: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu)."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"[RNNCell] unknown nonlinearity {nonlinearity!r}")
        self._mode = "RNN_" + nonlinearity.upper()
        super().__init__(input_size, hidden_size, bias, device, dtype)

    def forward(self, x, hx=None):
        return self._run(x, hx)[0]


class LSTMCell(_CellBase):
    """One step of LSTM; returns (h', c')."""
    _mode = "LSTM"

    def forward(self, x, hx=None):
        return self._run(x, hx)


class GRUCell(_CellBase):
    """One step of GRU; returns h'."""
    _mode = "GRU"

    def forward(self, x, hx=None):
        return self._run(x, hx)[0]
