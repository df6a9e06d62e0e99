"""keras.layers.RNN and its cells: SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells, and any
user cell (a layer with `state_size` and `call(inputs, states) -> (output, new_states)`, the
keras-io "Working with RNNs" pattern).

RNN runs the cell once per time step with autograd ops: the general path, exact and slower.
The built-in cells hold Keras' weights (kernel, recurrent_kernel, bias, the layouts of
keras.layers.LSTM / GRU / SimpleRNN, which run the whole sequence in the C++ recurrent kernel):
RNN(LSTMCell(n)) computes what LSTM(n) computes, as tests/test_keras_rnn_cells.py checks.
Masked steps carry the previous output and states through, as Keras."""
import numpy as np

from ...nn import functional as F
from ...tensor import Tensor
from .. import tree
from .base import Layer
from .masking import get_mask, set_mask
from .activation_slot import ActivationSlot
from .rnn import add_recurrent_weights, forget_bias_ones, set_recurrent_settings


def _no_dropout(cls, dropout, recurrent_dropout):
    if dropout or recurrent_dropout:
        raise ValueError(f"[{cls}] dropout / recurrent_dropout in a cell are not implemented; "
                         "use keras.layers.SimpleRNN / LSTM / GRU(dropout=..., "
                         "recurrent_dropout=...), or a Dropout layer before the RNN")


class _Cell(Layer):
    """kernel (features, G units), recurrent_kernel (units, G units), bias: Keras' names."""
    gates = 1
    activation = ActivationSlot()  # set later too (`layer.activation = None`): through get()
    recurrent_activation = ActivationSlot()

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        cls = type(self).__name__
        _no_dropout(cls, dropout, recurrent_dropout)
        if seed is not None:  # Keras seeds the cell's dropout masks, which are not implemented
            raise ValueError(f"[{cls}] seed is not supported (it seeds cell dropout, which is "
                             "not implemented); seed the global generator with pe.manual_seed")
        set_recurrent_settings(self, units, activation, recurrent_activation, use_bias,
                               (kernel_initializer, recurrent_initializer, bias_initializer),
                               (kernel_regularizer, recurrent_regularizer, bias_regularizer),
                               (kernel_constraint, recurrent_constraint, bias_constraint))

    @property
    def state_size(self):
        return self.units

    @property
    def output_size(self):
        return self.units

    def bias_shape(self):
        return (self.gates * self.units,)

    def bias_init(self):
        return self.inits[2]

    def build(self, input_shape):
        add_recurrent_weights(self, input_shape[-1])

    def get_initial_state(self, batch_size=None):
        sizes = self.state_size if isinstance(self.state_size, (list, tuple)) else \
            [self.state_size]
        return [Tensor._wrap(np.zeros((batch_size, s), np.float32)) for s in sizes]


class SimpleRNNCell(_Cell):
    """h = activation(x kernel + h recurrent_kernel + bias)."""

    def __init__(self, units, activation="tanh", **kwargs):
        super().__init__(units, activation=activation, **kwargs)

    def call(self, inputs, states, training=False):
        h = states[0] if isinstance(states, (list, tuple)) else states
        z = inputs @ self.kernel + h @ self.recurrent_kernel
        if self.bias is not None:
            z = z + self.bias
        out = self.activation(z)
        return out, [out]


class LSTMCell(_Cell):
    """Gates i, f, c, o (Keras' order); states [h, c]; unit_forget_bias starts f's bias at 1."""
    gates = 4

    def __init__(self, units, unit_forget_bias=True, **kwargs):
        self.unit_forget_bias = bool(unit_forget_bias)
        super().__init__(units, **kwargs)

    @property
    def state_size(self):
        return [self.units, self.units]

    def bias_init(self):
        return forget_bias_ones(self) if self.unit_forget_bias else self.inits[2]

    def call(self, inputs, states, training=False):
        h, c = states
        z = inputs @ self.kernel + h @ self.recurrent_kernel
        if self.bias is not None:
            z = z + self.bias
        u = self.units
        i = self.recurrent_activation(z[:, :u])
        f = self.recurrent_activation(z[:, u:2 * u])
        c_new = f * c + i * self.activation(z[:, 2 * u:3 * u])
        o = self.recurrent_activation(z[:, 3 * u:])
        h_new = o * self.activation(c_new)
        return h_new, [h_new, c_new]


class GRUCell(_Cell):
    """Gates z, r, h (Keras' order). reset_after=True (Keras' default): bias (2, 3 units), the
    reset gate applied after the recurrent product; False: before it, bias (3 units,)."""
    gates = 3

    def __init__(self, units, reset_after=True, **kwargs):
        self.reset_after = bool(reset_after)
        super().__init__(units, **kwargs)

    def bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def call(self, inputs, states, training=False):
        h = states[0] if isinstance(states, (list, tuple)) else states
        u = self.units
        xz = inputs @ self.kernel
        if self.bias is not None:
            xz = xz + (self.bias[0] if self.reset_after else self.bias)
        if self.reset_after:
            rec = h @ self.recurrent_kernel
            if self.bias is not None:
                rec = rec + self.bias[1]
            z = self.recurrent_activation(xz[:, :u] + rec[:, :u])
            r = self.recurrent_activation(xz[:, u:2 * u] + rec[:, u:2 * u])
            hh = self.activation(xz[:, 2 * u:] + r * rec[:, 2 * u:])
        else:
            rk = self.recurrent_kernel
            z = self.recurrent_activation(xz[:, :u] + h @ rk[:, :u])
            r = self.recurrent_activation(xz[:, u:2 * u] + h @ rk[:, u:2 * u])
            hh = self.activation(xz[:, 2 * u:] + (r * h) @ rk[:, 2 * u:])
        h_new = z * h + (1 - z) * hh
        return h_new, [h_new]


def _sizes(cell):
    s = cell.state_size
    return list(s) if isinstance(s, (list, tuple)) else [s]


def _state_shape(size):
    """One state's shape without the batch: an int n -> (n,); a shape such as
    tf.TensorShape([20, 30]) or [20, 30] (a cell with matrix states) -> (20, 30)."""
    if isinstance(size, (int, np.integer)):
        return (int(size),)
    return tuple(int(d) for d in size)


def _is_shape(x):
    return isinstance(x, (list, tuple)) and all(
        d is None or isinstance(d, (int, np.integer)) for d in x)


class StackedRNNCells(Layer):
    """Cells run one after another within each time step; the states are all cells' in order."""

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        self.cells = list(cells)
        for i, c in enumerate(self.cells):
            if not hasattr(c, "state_size") or not callable(getattr(c, "call", None)):
                raise ValueError(f"[StackedRNNCells] cell {i} ({type(c).__name__}) needs "
                                 "state_size and call(inputs, states)")
            setattr(self, f"cell_{i}", c)

    @property
    def state_size(self):
        return [s for c in self.cells for s in _sizes(c)]

    @property
    def output_size(self):
        last = self.cells[-1]
        return getattr(last, "output_size", _sizes(last)[0])

    def build(self, input_shape):
        shape = tuple(input_shape)
        for c in self.cells:
            if not c.built:
                c.build(shape)
                c.built = True
            shape = shape[:-1] + (getattr(c, "output_size", _sizes(c)[0]),)

    def call(self, inputs, states, training=False):
        new, at, x = [], 0, inputs
        for c in self.cells:
            n = len(_sizes(c))
            x, s = c.call(x, list(states[at:at + n]))
            new += list(s) if isinstance(s, (list, tuple)) else [s]
            at += n
        return x, new


class RNN(Layer):
    """keras.layers.RNN(cell): the cell (or a list of cells, stacked) over the time axis of
    (batch, time, features) input; return_sequences, return_state, go_backwards, stateful,
    initial_state, masks as the recurrent layers."""

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        super().__init__(**kwargs)
        from .wrappers import _from_config  # a cell given as its saved config (load_model)
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells([_from_config(c) for c in cell])
        else:
            cell = _from_config(cell)
        if not hasattr(cell, "state_size") or not callable(getattr(cell, "call", None)):
            raise ValueError(f"[RNN] the cell {type(cell).__name__} needs a state_size and a "
                             "call(inputs, states) method")
        self.cell = cell
        self.return_sequences, self.return_state = bool(return_sequences), bool(return_state)
        self.go_backwards, self.stateful = bool(go_backwards), bool(stateful)
        self.unroll = unroll  # the loop is a Python loop over steps either way
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.states = None

    def get_config(self):
        """The cell (or the stacked cells) as nested configs, so the model saves as JSON."""
        cfg = super().get_config()
        cfg["args"], cfg["kwargs"] = list(cfg["args"]), dict(cfg["kwargs"])
        cells = self.cell.cells if isinstance(self.cell, StackedRNNCells) else None
        nested = [c.get_config() for c in cells] if cells is not None else \
            self.cell.get_config()
        if cfg["args"]:
            cfg["args"][0] = nested
        else:
            cfg["kwargs"]["cell"] = nested
        return cfg

    def build(self, input_shape):
        # nested inputs (a tuple of (batch, time, ...) tensors, keras-io's NestedCell) give the
        # cell the same structure of per-step shapes
        nested = not _is_shape(input_shape)
        shapes = _shape_leaves(input_shape)
        for shape in shapes:
            if len(shape) < 3:
                raise ValueError(f"[{self.name}] expects (batch, time, features) input, "
                                 f"received shape {tuple(shape)}")
        step = [tuple(sh[:1]) + tuple(sh[2:]) for sh in shapes]
        if not self.cell.built:
            self.cell.build(type(input_shape)(step) if nested else step[0])
            self.cell.built = True

    def reset_states(self, states=None):
        self.states = None if states is None else [
            s if isinstance(s, Tensor) else Tensor._from_data(np.asarray(s, np.float32)) for s in states]

    def _initial(self, initial_state, batch):
        if initial_state is None and self.stateful and self.states is not None:
            initial_state = self.states
        sizes = _sizes(self.cell)
        if initial_state is None:
            if hasattr(self.cell, "get_initial_state"):
                return list(self.cell.get_initial_state(batch_size=batch))
            return [Tensor._wrap(np.zeros((batch,) + _state_shape(s), np.float32))
                    for s in sizes]
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) else \
            [initial_state]
        if len(states) != len(sizes):
            raise ValueError(f"[{self.name}] expects {len(sizes)} initial state tensor(s), "
                             f"received {len(states)}")
        return [s if isinstance(s, Tensor) else Tensor._from_data(np.asarray(s, np.float32)) for s in states]

    def call(self, inputs, mask=None, training=False, initial_state=None):
        leaves = tree.flatten(inputs)
        for x in leaves:
            if x.ndim < 3 or x.shape[1] == 0 or x.shape[:2] != leaves[0].shape[:2]:
                raise ValueError(f"[{self.name}] expects (batch, time, features) input with at "
                                 f"least one step (the same batch and steps in each input), "
                                 f"received shapes {[tuple(a.shape) for a in leaves]}")
        x = leaves[0]
        batch, steps = x.shape[0], x.shape[1]
        if mask is None and len(leaves) == 1:
            mask = get_mask(inputs)
        keep = None
        if mask is not None:
            keep = np.asarray(getattr(mask, "data", mask)).astype(bool)
            if keep.shape != (batch, steps):
                raise ValueError(f"[{self.name}] mask must have shape ({batch}, {steps}), "
                                 f"received {keep.shape}")
        states = self._initial(initial_state, batch)
        order = range(steps - 1, -1, -1) if self.go_backwards else range(steps)
        outputs, prev = [], None
        kw = {"training": training} if _takes_training(self.cell) else {}
        for t in order:  # states go to the cell as a list (cells index states[0])
            step = tree.map_structure(lambda a: a[:, t], inputs)
            out, new = self.cell.call(step, list(states), **kw)
            new = list(new) if isinstance(new, (list, tuple)) else [new]
            if keep is not None and (tree.is_nested(out) or any(n.ndim != 2 for n in new)):
                raise NotImplementedError(f"[{self.name}] a mask with a cell's nested outputs "
                                          "or matrix states is not supported")
            if keep is not None:  # masked samples carry the last output and states
                m = Tensor._wrap(keep[:, t:t + 1].astype(np.float32))
                base = prev if prev is not None else out * 0
                out = F.where(m > 0, out, base if not self.zero_output_for_mask else out * 0)
                new = [F.where(m > 0, n, s) for n, s in zip(new, states)]
            outputs.append(out)
            prev, states = out, new
        if self.stateful:
            self.states = [s.detach() for s in states]
        if self.return_sequences and tree.is_nested(outputs[0]):  # a cell's nested output
            flat = [tree.flatten(o) for o in outputs]
            result = tree.pack_sequence_as(outputs[0], [
                F.stack([f[i] for f in flat], 1) for i in range(len(flat[0]))])
        elif self.return_sequences:
            y = F.stack(outputs, 1)
            out_mask = None if keep is None else (keep[:, ::-1] if self.go_backwards else keep)
            result = set_mask(y, out_mask)
        else:
            result = outputs[-1]
        return [result] + list(states) if self.return_state else result


def _shape_leaves(shapes):
    """The shapes inside a nested structure of shapes (each a tuple of ints / None)."""
    if _is_shape(shapes):
        return [tuple(shapes)]
    out = []
    for s in (shapes.values() if isinstance(shapes, dict) else shapes):
        out += _shape_leaves(s)
    return out


def _takes_training(cell):
    import inspect
    try:
        return "training" in inspect.signature(cell.call).parameters
    except (TypeError, ValueError):
        return False
