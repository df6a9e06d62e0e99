"""Layer wrappers of sequence models: Bidirectional (an RNN run both ways, outputs merged) and
TimeDistributed (a layer applied to every time step), plus RepeatVector."""
import numpy as np

from ...nn import functional as F
from .base import Layer
from .masking import get_mask, set_mask
from .rnn import _RNN

_MERGES = ("concat", "sum", "mul", "ave", None)


def _from_config(v):
    """A wrapped layer given as its saved config (load_model) -> the layer; classes resolve
    through the same registry as load_model's."""
    if not isinstance(v, dict) or "class_name" not in v:
        return v
    from ..saving import _REGISTRY, _build, _builtin_classes
    classes = _builtin_classes()
    classes.update(_REGISTRY)
    return _build(v, classes)


def _nested_config(layer, cfg, keys):
    """get_config with the wrapped layers as nested configs (JSON-able)."""
    if cfg["args"]:
        cfg["args"][0] = layer.get_config()
    for k, sub in keys.items():
        if k in cfg["kwargs"] and sub is not None:
            cfg["kwargs"][k] = sub.get_config()
    return cfg


class Bidirectional(Layer):
    """Runs `layer` forward and a copy of it with go_backwards=True (or `backward_layer`) over
    the same input and merges their outputs: merge_mode 'concat' (features side by side),
    'sum', 'mul', 'ave', or None (a list [forward, backward]). With return_sequences the
    backward output is turned back to time order first. return_state appends the forward
    layer's states, then the backward layer's."""

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        super().__init__(**kwargs)
        layer, backward_layer = _from_config(layer), _from_config(backward_layer)
        if not isinstance(layer, _RNN):
            raise ValueError("[Bidirectional] layer must be a SimpleRNN, LSTM or GRU instance. "
                             f"Received: {layer!r}")
        if merge_mode not in _MERGES:
            raise ValueError(f"[Bidirectional] merge_mode must be one of {list(_MERGES)}. "
                             f"Received: merge_mode={merge_mode!r}")
        if weights is not None:
            raise ValueError("[Bidirectional] weights= is not supported; call set_weights "
                             "after building")
        if backward_layer is None:
            args, kw = layer._init_args
            base = layer.name[len("forward_"):] if layer.name.startswith("forward_") else layer.name
            kw = dict(kw, go_backwards=not layer.go_backwards, name=f"backward_{base}")
            backward_layer = type(layer)(*args, **kw)
        elif not isinstance(backward_layer, _RNN) or backward_layer.units != layer.units or \
                backward_layer.return_sequences != layer.return_sequences or \
                backward_layer.return_state != layer.return_state:
            raise ValueError("[Bidirectional] backward_layer must be an RNN layer with the "
                             "forward layer's units, return_sequences and return_state")
        if not layer.name.startswith("forward_"):
            layer.name = f"forward_{layer.name}"
        self.forward_layer, self.backward_layer = layer, backward_layer
        self.merge_mode = merge_mode
        self.return_sequences, self.return_state = layer.return_sequences, layer.return_state
        for m in (layer, backward_layer):  # Keras: padded steps of merged sequences are zero
            m.zero_output_for_mask = self.return_sequences

    def get_config(self):
        cfg = super().get_config()
        cfg["args"], cfg["kwargs"] = list(cfg["args"]), dict(cfg["kwargs"])
        if not cfg["args"]:
            cfg["kwargs"]["layer"] = self.forward_layer.get_config()
        cfg["kwargs"].pop("backward_layer", None)
        cfg["kwargs"]["backward_layer"] = self.backward_layer.get_config()
        return _nested_config(self.forward_layer, cfg, {})

    def call(self, inputs, mask=None, training=False, initial_state=None):
        if mask is None:
            mask = get_mask(inputs)
        init_f = init_b = None
        if initial_state is not None:
            half = len(initial_state) // 2
            init_f, init_b = initial_state[:half], initial_state[half:]
        yf = self.forward_layer(inputs, mask=mask, training=training, initial_state=init_f)
        yb = self.backward_layer(inputs, mask=mask, training=training, initial_state=init_b)
        states = []
        if self.return_state:
            states = list(yf[1:]) + list(yb[1:])
            yf, yb = yf[0], yb[0]
        if self.return_sequences:
            yb = yb[:, ::-1]
        if self.merge_mode == "concat":
            out = F.cat([yf, yb], -1)
        elif self.merge_mode == "sum":
            out = yf + yb
        elif self.merge_mode == "mul":
            out = yf * yb
        elif self.merge_mode == "ave":
            out = (yf + yb) * 0.5
        else:
            out = [yf, yb]
        if self.return_sequences and mask is not None:
            for o in (out if isinstance(out, list) else [out]):
                set_mask(o, mask)
        if self.return_state:
            return (out if isinstance(out, list) else [out]) + states
        return out


class TimeDistributed(Layer):
    """Applies `layer` to every time step: (batch, time, ...) -> (batch * time, ...) through the
    layer -> (batch, time, ...). The input mask passes through."""

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        layer = _from_config(layer)
        if not isinstance(layer, Layer):
            raise ValueError(f"[TimeDistributed] layer must be a keras Layer. Received: {layer!r}")
        self.layer = layer

    def get_config(self):
        cfg = super().get_config()
        cfg["args"], cfg["kwargs"] = list(cfg["args"]), dict(cfg["kwargs"])
        if cfg["args"]:
            cfg["args"][0] = self.layer.get_config()
        else:
            cfg["kwargs"]["layer"] = self.layer.get_config()
        return cfg

    def call(self, inputs, training=False):
        if inputs.ndim < 3:
            raise ValueError(f"[{self.name}] expects (batch, time, ...) input, received shape "
                             f"{tuple(inputs.shape)}")
        b, t = inputs.shape[0], inputs.shape[1]
        y = self.layer(inputs.reshape((b * t,) + tuple(inputs.shape[2:])), training=training)
        return set_mask(y.reshape((b, t) + tuple(y.shape[1:])), get_mask(inputs))


class RepeatVector(Layer):
    """(batch, features) -> (batch, n, features): the vector repeated n times."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
            raise ValueError(f"[RepeatVector] n must be a positive integer. Received: n={n}")
        self.n = int(n)

    def call(self, x):
        if x.ndim != 2:
            raise ValueError(f"[{self.name}] expects (batch, features) input, received shape "
                             f"{tuple(x.shape)}")
        return F.stack([x] * self.n, 1)
