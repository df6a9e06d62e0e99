"""pe.onnx.export: a pe.nn Module or a Keras model (Sequential, functional or subclassed) of
supported layers to an ONNX file (opset 17), written without the onnx package.

Each supported layer maps to ONNX operators from its configuration and weights (never from how
its forward is implemented). A Sequential of supported layers is run layer by layer, in eval
mode, to know every intermediate shape; any other model (its own forward(), a functional graph)
is traced (trace.py): the layers are recorded as they are called and the code between them is
read from the autograd graph. The batch dimension is symbolic. An unsupported layer or op raises
NotImplementedError naming it."""
import os

import numpy as np

from .. import nn
from ..autograd import no_grad
from ..tensor import Tensor
from . import proto


class _Graph:
    def __init__(self):
        self.nodes, self.inits, self._n = [], [], 0

    def name(self, base):
        self._n += 1
        return f"{base}_{self._n}"

    def const(self, base, array):
        n = self.name(base)
        self.inits.append(proto.tensor(n, np.asarray(array)))
        return n

    def op(self, op_type, inputs, n_out=1, **attrs):
        outs = [self.name(op_type.lower()) for _ in range(n_out)]
        self.nodes.append(proto.node(op_type, inputs, outs, outs[0] + "_node", **attrs))
        return outs[0] if n_out == 1 else outs


def _f32(t):
    return np.asarray(t._data if isinstance(t, Tensor) else t, np.float32)


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


# ---- pe.nn layers ---------------------------------------------------------------------------
def _linear(g, m, x, shape):
    w = g.const("weight", _f32(m.weight))
    ins = [x, w] + ([g.const("bias", _f32(m.bias))] if m.bias is not None else [])
    if len(shape) == 2:
        return g.op("Gemm", ins, transB=1)
    y = g.op("MatMul", [x, g.const("weight_t", _f32(m.weight).T)])
    return g.op("Add", [y, ins[2]]) if m.bias is not None else y


def _conv2d(g, m, x, shape):
    if m.padding_mode != "zeros":
        raise NotImplementedError(f"[onnx.export] Conv2d with padding_mode={m.padding_mode!r} "
                                  "is not supported")
    k, d = m.kernel_size, m.dilation
    if isinstance(m.padding, str):
        if m.padding == "valid":
            pads = [0, 0, 0, 0]
        else:  # 'same' (stride 1): PyTorch puts the odd extra pixel at the end
            tot = [di * (ki - 1) for di, ki in zip(d, k)]
            pads = [tot[0] // 2, tot[1] // 2, tot[0] - tot[0] // 2, tot[1] - tot[1] // 2]
    else:
        p = _pair(m.padding)
        pads = [p[0], p[1], p[0], p[1]]
    ins = [x, g.const("weight", _f32(m.weight))]
    if m.bias is not None:
        ins.append(g.const("bias", _f32(m.bias)))
    return g.op("Conv", ins, kernel_shape=list(k), strides=list(m.stride), dilations=list(d),
                pads=pads, group=m.groups)


def _pool_args(m):
    k, s, p = _pair(m.kernel_size), _pair(m.stride), _pair(m.padding)
    return dict(kernel_shape=list(k), strides=list(s), pads=[p[0], p[1], p[0], p[1]],
                ceil_mode=int(bool(m.ceil_mode)))


def _maxpool(g, m, x, shape):
    if m.return_indices:
        raise NotImplementedError("[onnx.export] MaxPool2d(return_indices=True) is not supported")
    return g.op("MaxPool", [x], dilations=list(_pair(m.dilation)), **_pool_args(m))


def _avgpool(g, m, x, shape):
    if m.divisor_override is not None:
        raise NotImplementedError("[onnx.export] AvgPool2d(divisor_override=...) is not supported")
    return g.op("AveragePool", [x], count_include_pad=int(bool(m.count_include_pad)),
                **_pool_args(m))


def _adaptive_avg(g, m, x, shape):
    if tuple(_pair(m.output_size)) != (1, 1):
        raise NotImplementedError(f"[onnx.export] AdaptiveAvgPool2d({m.output_size}) is not "
                                  "supported (only output size 1)")
    return g.op("GlobalAveragePool", [x])


def _batchnorm(g, m, x, shape):
    n = m.num_features
    if m.running_mean is None:
        raise NotImplementedError("[onnx.export] BatchNorm without running statistics "
                                  "(track_running_stats=False) is not supported")
    scale = _f32(m.weight) if m.weight is not None else np.ones(n, np.float32)
    bias = _f32(m.bias) if getattr(m, "bias", None) is not None else np.zeros(n, np.float32)
    return g.op("BatchNormalization", [x, g.const("scale", scale), g.const("bias", bias),
                                       g.const("mean", _f32(m.running_mean)),
                                       g.const("var", _f32(m.running_var))], epsilon=float(m.eps))


def _reshape(g, x, out_shape):
    return g.op("Reshape", [x, g.const("shape", np.array((0,) + tuple(out_shape[1:]),
                                                          np.int64))])


def _flatten(g, m, x, shape, out_shape):
    if m.start_dim in (1, -len(shape) + 1) and m.end_dim in (-1, len(shape) - 1):
        return g.op("Flatten", [x], axis=1)
    return _reshape(g, x, out_shape)


def _gelu(g, x, approximate):
    if approximate != "none":
        raise NotImplementedError("[onnx.export] GELU(approximate='tanh') is not supported")
    e = g.op("Erf", [g.op("Div", [x, g.const("sqrt2", np.float32(np.sqrt(2.0)))])])
    half = g.op("Mul", [x, g.const("half", np.float32(0.5))])
    return g.op("Mul", [half, g.op("Add", [e, g.const("one", np.float32(1.0))])])


def _clip(g, x, lo, hi):
    return g.op("Clip", [x, g.const("min", np.float32(lo)), g.const("max", np.float32(hi))])


def _softmax_dim(m, shape):
    if m.dim is None:
        raise NotImplementedError("[onnx.export] Softmax(dim=None) is ambiguous; give dim")
    return m.dim


NN_LAYERS = {
    nn.Linear: _linear, nn.Conv2d: _conv2d, nn.MaxPool2d: _maxpool, nn.AvgPool2d: _avgpool,
    nn.AdaptiveAvgPool2d: _adaptive_avg, nn.BatchNorm1d: _batchnorm, nn.BatchNorm2d: _batchnorm,
    nn.ReLU: lambda g, m, x, s: g.op("Relu", [x]),
    nn.Sigmoid: lambda g, m, x, s: g.op("Sigmoid", [x]),
    nn.Tanh: lambda g, m, x, s: g.op("Tanh", [x]),
    nn.LeakyReLU: lambda g, m, x, s: g.op("LeakyRelu", [x], alpha=float(m.negative_slope)),
    nn.ELU: lambda g, m, x, s: g.op("Elu", [x], alpha=float(m.alpha)),
    nn.GELU: lambda g, m, x, s: _gelu(g, x, m.approximate),
    nn.SiLU: lambda g, m, x, s: g.op("Mul", [x, g.op("Sigmoid", [x])]),
    nn.ReLU6: lambda g, m, x, s: _clip(g, x, 0.0, 6.0),
    nn.Hardtanh: lambda g, m, x, s: _clip(g, x, m.min_val, m.max_val),
    nn.Softmax: lambda g, m, x, s: g.op("Softmax", [x], axis=_softmax_dim(m, s)),
    nn.LogSoftmax: lambda g, m, x, s: g.op("LogSoftmax", [x], axis=_softmax_dim(m, s)),
    nn.Dropout: lambda g, m, x, s: g.op("Identity", [x]),
    nn.Identity: lambda g, m, x, s: g.op("Identity", [x]),
}


# ---- Keras layers (channels-last: transposed to NCHW around convolution and pooling) ---------
def _keras_activation(g, fn, x, shape):
    name = getattr(fn, "__name__", None)
    if name in (None, "linear"):
        return x
    simple = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "elu": "Elu",
              "softplus": "Softplus", "selu": "Selu"}
    if name in simple:
        return g.op(simple[name], [x])
    if name == "softmax":
        return g.op("Softmax", [x], axis=-1)
    if name == "gelu":
        return _gelu(g, x, "none")
    raise NotImplementedError(f"[onnx.export] Keras activation {name!r} is not supported")


def _keras_layer(g, layer, x, shape, out_shape):
    from ..keras import layers as kl
    if isinstance(layer, kl.InputLayer):
        return x
    if isinstance(layer, kl.Dense):
        y = g.op("MatMul", [x, g.const("kernel", _f32(layer.kernel))])
        if layer.bias is not None:
            y = g.op("Add", [y, g.const("bias", _f32(layer.bias))])
        return _keras_activation(g, layer.activation, y, out_shape)
    if isinstance(layer, kl.Activation):
        return _keras_activation(g, layer.activation, x, out_shape)
    if isinstance(layer, kl.Softmax):
        return g.op("Softmax", [x], axis=layer.axis)
    if isinstance(layer, kl.ReLU):
        return g.op("Relu", [x])
    if isinstance(layer, kl.Dropout):
        return g.op("Identity", [x])
    if isinstance(layer, (kl.Flatten, kl.Reshape)):
        return _reshape(g, x, out_shape)
    if isinstance(layer, (kl.Conv2D, kl.MaxPooling2D, kl.AveragePooling2D)):
        from ..keras.layers.conv import pads_for
        t = g.op("Transpose", [x], perm=[0, 3, 1, 2])  # NHWC -> NCHW
        k = layer.kernel_size if isinstance(layer, kl.Conv2D) else layer.pool_size
        dil = tuple(getattr(layer, "dilation_rate", (1, 1)))
        (top, bottom), (left, right) = pads_for(shape, k, layer.strides, layer.padding, dil)
        pad = dict(pads=[top, left, bottom, right])  # Keras 'same': the odd pixel at the end
        if isinstance(layer, kl.Conv2D):
            ins = [t, g.const("kernel", _f32(layer.kernel).transpose(3, 2, 0, 1))]
            if layer.bias is not None:
                ins.append(g.const("bias", _f32(layer.bias)))
            y = g.op("Conv", ins, kernel_shape=list(k), strides=list(layer.strides),
                     dilations=list(dil), group=int(getattr(layer, "groups", 1)), **pad)
        elif isinstance(layer, kl.MaxPooling2D):
            y = g.op("MaxPool", [t], kernel_shape=list(k), strides=list(layer.strides), **pad)
        else:
            y = g.op("AveragePool", [t], kernel_shape=list(k), strides=list(layer.strides),
                     count_include_pad=0, **pad)
        y = g.op("Transpose", [y], perm=[0, 2, 3, 1])
        return _keras_activation(g, layer.activation, y, out_shape) \
            if isinstance(layer, kl.Conv2D) else y
    if isinstance(layer, (kl.GlobalAveragePooling2D, kl.GlobalMaxPooling2D)):
        op = "ReduceMax" if isinstance(layer, kl.GlobalMaxPooling2D) else "ReduceMean"
        return g.op(op, [x], axes=[1, 2], keepdims=int(bool(layer.keepdims)))
    if isinstance(layer, (kl.SimpleRNN, kl.LSTM, kl.GRU)):
        return _keras_recurrent(g, layer, x, shape)
    if isinstance(layer, kl.BatchNormalization):
        if layer.axis not in (-1, len(shape) - 1):
            raise NotImplementedError("[onnx.export] BatchNormalization over an axis other "
                                      "than the last is not supported")
        n = shape[-1]
        args = [g.const("gamma", _f32(layer.gamma) if layer.gamma is not None
                        else np.ones(n, np.float32)),
                g.const("beta", _f32(layer.beta) if layer.beta is not None
                        else np.zeros(n, np.float32)),
                g.const("mean", _f32(layer.moving_mean)),
                g.const("var", _f32(layer.moving_variance))]
        if len(shape) == 2:
            return g.op("BatchNormalization", [x] + args, epsilon=layer.epsilon)
        perm = [0, len(shape) - 1] + list(range(1, len(shape) - 1))
        back = [0] + list(range(2, len(shape))) + [1]
        t = g.op("Transpose", [x], perm=perm)
        y = g.op("BatchNormalization", [t] + args, epsilon=layer.epsilon)
        return g.op("Transpose", [y], perm=back)
    raise NotImplementedError(f"[onnx.export] Keras layer '{layer.name}' "
                              f"({type(layer).__name__}) is not supported; supported: Dense, "
                              "Conv2D, MaxPooling2D, AveragePooling2D, Global*Pooling2D, "
                              "BatchNormalization, SimpleRNN, LSTM, GRU, Activation, Softmax, "
                              "ReLU, Dropout, Flatten, Reshape")


def _keras_recurrent(g, layer, x, shape):
    """Keras SimpleRNN / LSTM / GRU (default activations, forward in time) as ONNX RNN / LSTM /
    GRU over (time, batch, features): gates reordered from Keras' (i, f, c, o) to ONNX's
    (i, o, f, c) for LSTM; GRU's reset_after=True is ONNX's linear_before_reset=1."""
    from ..keras import layers as kl
    act = getattr(layer.activation, "__name__", None)
    rec = getattr(layer.recurrent_activation, "__name__", None)
    if act != "tanh" or (not isinstance(layer, kl.SimpleRNN) and rec != "sigmoid") or \
            layer.go_backwards:
        raise NotImplementedError(f"[onnx.export] {type(layer).__name__} '{layer.name}' with "
                                  "non-default activations or go_backwards is not supported")
    u = layer.units
    k, r = _f32(layer.kernel), _f32(layer.recurrent_kernel)
    if isinstance(layer, kl.LSTM):
        order = [0, 3, 1, 2]  # Keras i, f, c, o -> ONNX i, o, f, c
        k = np.concatenate([k[:, j * u:(j + 1) * u] for j in order], axis=1)
        r = np.concatenate([r[:, j * u:(j + 1) * u] for j in order], axis=1)
    bias = _f32(layer.bias) if layer.bias is not None else None
    if isinstance(layer, kl.GRU):
        b = bias.reshape(-1) if bias is not None else np.zeros(6 * u, np.float32)
        op, extra = "GRU", dict(linear_before_reset=1)
    else:
        gates = 4 if isinstance(layer, kl.LSTM) else 1
        wb = np.zeros(gates * u, np.float32) if bias is None else (
            np.concatenate([bias[j * u:(j + 1) * u] for j in order]) if gates == 4 else bias)
        b = np.concatenate([wb, np.zeros_like(wb)])
        op, extra = ("LSTM" if gates == 4 else "RNN"), {}
    t = g.op("Transpose", [x], perm=[1, 0, 2])  # (batch, time, f) -> (time, batch, f)
    y, yh = g.op(op, [t, g.const("W", k.T[None]), g.const("R", r.T[None]),
                      g.const("B", b[None])], n_out=2, hidden_size=u, **extra)
    if not layer.return_sequences:
        return g.op("Squeeze", [yh, g.const("axes", np.array([0], np.int64))])
    y = g.op("Squeeze", [y, g.const("axes", np.array([1], np.int64))])
    return g.op("Transpose", [y], perm=[1, 0, 2])


def _layers(model):
    """The chain of leaf layers of a Sequential (nested Sequentials flattened)."""
    from ..keras.sequential import Sequential as KerasSequential
    if isinstance(model, KerasSequential):
        out = []
        for layer in model.layers:
            out += _layers(layer) if isinstance(layer, (KerasSequential, nn.Sequential)) \
                else [layer]
        return out
    if isinstance(model, nn.Sequential):
        out = []
        for m in model._modules.values():
            out += _layers(m) if isinstance(m, nn.Sequential) else [m]
        return out
    return [model]


def _keras_supported(layer):
    from ..keras import layers as kl
    return isinstance(layer, (kl.InputLayer, kl.Dense, kl.Activation, kl.Softmax, kl.ReLU,
                              kl.Dropout, kl.Flatten, kl.Reshape, kl.Conv2D, kl.MaxPooling2D,
                              kl.AveragePooling2D, kl.GlobalAveragePooling2D,
                              kl.GlobalMaxPooling2D, kl.SimpleRNN, kl.LSTM, kl.GRU,
                              kl.BatchNormalization))


def _is_leaf(m):
    from ..keras.layers.base import Layer as KerasLayer
    return _keras_supported(m) if isinstance(m, KerasLayer) else type(m) in NN_LAYERS


def _emit_leaf(g, m, name, in_shape, out_shape):
    from ..keras.layers.base import Layer as KerasLayer
    if isinstance(m, KerasLayer):
        return _keras_layer(g, m, name, in_shape, out_shape)
    fn = NN_LAYERS[type(m)]
    return fn(g, m, name, in_shape, out_shape) if fn is _flatten else fn(g, m, name, in_shape)


def _traced(g, model, x0, input_name, keras):
    """A model with its own forward (or a Sequential holding one): see trace.py."""
    from . import trace
    tr, x, out = trace.trace_model(model, x0, keras, _is_leaf)
    known = set()
    if keras:
        known.update(id(w._data) for w in model.weights)
    else:
        known.update(id(t._data) for t in list(model.parameters()) + list(model.buffers()))
    em = trace.Emitter(g, tr, x, input_name, _emit_leaf, known)
    return out, em.name(out)


def export(model, example_input, path, input_name="input", output_name="output"):
    """Write `model` (evaluated in eval mode on `example_input`, whose first dimension is the
    batch) as an ONNX model to `path`. Returns the path.

    >>> pe.onnx.export(model, pe.randn(1, 1, 28, 28), "mnist.onnx")
    """
    from .. import __version__
    from ..keras.layers.base import Layer as KerasLayer
    x0 = example_input if isinstance(example_input, Tensor) else Tensor._from_data(example_input)
    if x0.ndim < 1:
        raise ValueError("[onnx.export] example_input needs a batch dimension")
    layers = _layers(model)
    sequential = layers != [model] and all(_is_leaf(m) for m in layers)
    single = layers == [model] and _is_leaf(model)
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    g = _Graph()
    try:
        if sequential or single:
            with no_grad():
                v, name = x0, input_name
                for m in layers:
                    out = m(v, training=False) if isinstance(m, KerasLayer) else m(v)
                    name = _emit_leaf(g, m, name, v.shape, out.shape)
                    v = out
        else:
            v, name = _traced(g, model, x0, input_name, isinstance(model, KerasLayer))
    finally:
        if was_training and hasattr(model, "train"):
            model.train()
    g.nodes.append(proto.node("Identity", [name], [output_name], "output_node"))
    elem = proto._NP_TO_ONNX[np.dtype(np.float32)]
    data = proto.model(g.nodes, g.inits,
                       [proto.value_info(input_name, elem, (None,) + tuple(x0.shape[1:]))],
                       [proto.value_info(output_name, elem, (None,) + tuple(v.shape[1:]))],
                       type(model).__name__, __version__)
    path = os.fspath(path)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
    return path


NN_LAYERS[nn.Flatten] = _flatten
