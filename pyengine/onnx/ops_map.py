"""ONNX operators for the autograd Functions a traced forward() calls between layers
(see trace.py). Each entry reads the node's traced inputs and the parameters its Function was
called with; a Function not listed raises NotImplementedError naming it and the layer it ran in."""
import numpy as np

from . import proto

_BINARY = {"Add": "Add", "Sub": "Sub", "Mul": "Mul", "Div": "Div", "Pow": "Pow",
           "Maximum": "Max", "Minimum": "Min", "MatMul": "MatMul"}
_UNARY = {"Neg": "Neg", "Abs": "Abs", "Exp": "Exp", "Log": "Log", "Sqrt": "Sqrt", "Sin": "Sin",
          "Cos": "Cos", "Relu": "Relu", "Sigmoid": "Sigmoid", "Tanh": "Tanh",
          "Clone": "Identity"}


def _f32(v):
    return np.float32(v)


def activation(g, x, name, p0=0.0, p1=0.0):
    """pe's activation names (ops.activation, fused Linear / Conv epilogues) as ONNX."""
    from .export import _gelu
    if name in (None, "none", "linear"):
        return x
    simple = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh"}
    if name in simple:
        return g.op(simple[name], [x])
    if name == "leaky_relu":
        return g.op("LeakyRelu", [x], alpha=float(p0))
    if name == "elu":
        return g.op("Elu", [x], alpha=float(p0))
    if name == "gelu":
        return _gelu(g, x, "none")
    if name == "softplus" and p0 == 1.0:
        return g.op("Softplus", [x])
    raise NotImplementedError(f"[onnx.export] activation {name!r} (parameters {p0}, {p1}) is "
                              "not supported")


def _reshape_target(in_shape, out_shape):
    if len(out_shape) >= 1 and len(in_shape) >= 1 and out_shape[0] == in_shape[0]:
        return (0,) + tuple(out_shape[1:])  # 0: the (symbolic) batch dimension copied
    if len(out_shape) == 1:
        return (-1,)
    return tuple(out_shape)


def _axes(axis, ndim):
    if axis is None:
        return list(range(ndim))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    return [int(a) % ndim for a in axes]


def _reduce(em, node, t, op):
    p = node.ctx.onnx_params
    x = em.arg(node, 0)
    ndim = len(node.ctx.onnx_args[0].shape)
    axes = _axes(p.get("axis"), ndim)
    keep = int(bool(p.get("keepdims", False)))
    if op == "ReduceSum":  # opset 13+: axes is an input
        return em.g.op(op, [x, em.g.const("axes", np.array(axes, np.int64))], keepdims=keep)
    return em.g.op(op, [x], axes=axes, keepdims=keep)


def _linear(em, node, t):
    g, p, args = em.g, node.ctx.onnx_params, node.ctx.onnx_args
    has_b = len(args) > 2 and args[2] is not None
    xn, wn = em.arg(node, 0), em.arg(node, 1)
    if args[0].ndim == 2:
        y = g.op("Gemm", [xn, wn] + ([em.arg(node, 2)] if has_b else []), transB=1)
    else:
        y = g.op("MatMul", [xn, g.op("Transpose", [wn], perm=[1, 0])])
        if has_b:
            y = g.op("Add", [y, em.arg(node, 2)])
    return activation(g, y, p.get("activation", "none"))


def _conv2d(em, node, t):
    g, p = em.g, node.ctx.onnx_params
    w = node.ctx.onnx_args[1]
    pad = tuple(p.get("padding", (0, 0)))
    extra = tuple(p.get("extra", (0, 0)))
    ins = [em.arg(node, 0), em.arg(node, 1)]
    if len(node.ctx.onnx_args) > 2 and node.ctx.onnx_args[2] is not None:
        ins.append(em.arg(node, 2))
    y = g.op("Conv", ins, kernel_shape=list(w.shape[2:]), strides=list(p.get("stride", (1, 1))),
             dilations=list(p.get("dilation", (1, 1))), group=int(p.get("groups", 1)),
             pads=[pad[0], pad[1], pad[0] + extra[0], pad[1] + extra[1]])
    return activation(g, y, p.get("activation"), p.get("act_p0", 0.0))


def _pool(em, node, t, op):
    p = node.ctx.onnx_params
    if p.get("indices_out") is not None or p.get("divisor", 0):
        raise NotImplementedError(f"[onnx.export] {op} with return_indices / divisor_override "
                                  "is not supported")
    pad = tuple(p.get("padding", (0, 0)))
    kw = dict(kernel_shape=list(p.get("kernel", (2, 2))), strides=list(p.get("stride", (2, 2))),
              pads=[pad[0], pad[1], pad[0], pad[1]], ceil_mode=int(bool(p.get("ceil_mode"))))
    if op == "MaxPool":
        kw["dilations"] = list(p.get("dilation", (1, 1)))
    else:
        kw["count_include_pad"] = int(bool(p.get("count_include_pad", True)))
    return em.g.op(op, [em.arg(node, 0)], **kw)


def _clamp(em, node, t):
    p = node.ctx.onnx_params
    lo, hi = p.get("min"), p.get("max")
    return em.g.op("Clip", [em.arg(node, 0),
                            "" if lo is None else em.g.const("min", _f32(lo)),
                            "" if hi is None else em.g.const("max", _f32(hi))])


def _cat(em, node, t, stack):
    axis = int(node.ctx.onnx_params.get("axis", 0))
    ins = [em.arg(node, i) for i in range(len(node.ctx.onnx_args))]
    if stack:
        ax = em.g.const("axes", np.array([axis % t.ndim], np.int64))
        ins = [em.g.op("Unsqueeze", [i, ax]) for i in ins]
    return em.g.op("Concat", ins, axis=axis)


def _cast(em, node, t):
    to = proto._NP_TO_ONNX.get(t._data.dtype)
    if to is None:
        raise NotImplementedError(f"[onnx.export] cast to {t._data.dtype} is not supported")
    return em.g.op("Cast", [em.arg(node, 0)], to=to)


_BIG = np.iinfo(np.int64).max


def _index(em, node, t):
    """Basic indexing (ints, slices with a positive step, Ellipsis) as Slice + Squeeze."""
    key = node.ctx.onnx_params.get("key")
    key = key if isinstance(key, tuple) else (key,)
    ndim = len(node.ctx.onnx_args[0].shape)
    if any(not isinstance(k, (int, np.integer, slice)) and k is not Ellipsis for k in key):
        return None
    if Ellipsis in key:
        i = key.index(Ellipsis)
        key = key[:i] + (slice(None),) * (ndim - len(key) + 1) + key[i + 1:]
    starts, ends, axes, steps, squeeze = [], [], [], [], []
    for ax, k in enumerate(key):
        if isinstance(k, slice):
            if k == slice(None):
                continue
            if k.step is not None and k.step <= 0:
                return None
            starts.append(0 if k.start is None else int(k.start))
            ends.append(_BIG if k.stop is None else int(k.stop))
            steps.append(1 if k.step is None else int(k.step))
        else:
            starts.append(int(k))
            ends.append(_BIG if int(k) == -1 else int(k) + 1)
            steps.append(1)
            squeeze.append(ax)
        axes.append(ax)
    g, y = em.g, em.arg(node, 0)
    if axes:
        c = [g.const(n, np.array(v, np.int64))
             for n, v in (("starts", starts), ("ends", ends), ("axes", axes), ("steps", steps))]
        y = g.op("Slice", [y] + c)
    if squeeze:
        y = g.op("Squeeze", [y, g.const("axes", np.array(squeeze, np.int64))])
    return y if axes else g.op("Identity", [y])


def _recurrence(em, node, t):
    """ops.rnn.Recurrence (one layer, one direction of pe.nn's RNN / LSTM / GRU and cells) as
    ONNX RNN / LSTM / GRU. Its output is y (T, B, H), for LSTM with c_n appended as step T + 1;
    the Index nodes after it pick y, h_n and c_n. Gates are reordered from PyTorch's (LSTM
    i, f, g, o; GRU r, z, n) to ONNX's (i, o, f, c; z, r, h); PyTorch's GRU is
    linear_before_reset=1."""
    from ..ops.rnn import MODES
    from ..tensor import Tensor
    p, args = node.ctx.onnx_params, (list(node.ctx.onnx_args) + [None] * 7)[:7]
    if p.get("mask") is not None:
        return None
    mode = {v: k for k, v in MODES.items()}[int(p.get("mode", 0))]
    x, w_ih, w_hh, b_ih, b_hh, h0, c0 = args
    for i in range(1, 5):
        inp = node.inputs[i] if i < len(node.inputs) else None
        if isinstance(inp, Tensor) and inp._node is not None:
            return None  # weights computed in forward: not constants
    hid = w_hh.shape[1]
    order = {"LSTM": [0, 3, 1, 2], "GRU": [1, 0, 2], "GRU_RESET_BEFORE": [1, 0, 2]}.get(mode, [0])

    def gates(a):
        if a is None:
            return np.zeros(len(order) * hid, np.float32)
        a = np.asarray(a, np.float32)
        return np.concatenate([a[j * hid:(j + 1) * hid] for j in order], 0)
    g = em.g
    op = "LSTM" if mode == "LSTM" else ("GRU" if mode.startswith("GRU") else "RNN")
    attrs = dict(hidden_size=int(hid), direction="reverse" if p.get("reverse") else "forward")
    if op == "GRU":
        attrs["linear_before_reset"] = int(mode == "GRU")
    if op == "RNN":
        attrs["activations"] = ["Relu" if mode == "RNN_RELU" else "Tanh"]
    def state(i, a):  # an initial state (B, H) as ONNX's (1, B, H); absent: zeros
        return "" if a is None else \
            g.op("Unsqueeze", [em.arg(node, i), g.const("axes", np.array([0], np.int64))])
    ins = [em.arg(node, 0), g.const("W", gates(w_ih)[None]), g.const("R", gates(w_hh)[None]),
           g.const("B", np.concatenate([gates(b_ih), gates(b_hh)])[None]), "", state(5, h0)]
    if op == "LSTM":
        ins.append(state(6, c0))
    outs = g.op(op, ins, n_out=3 if op == "LSTM" else 2, **attrs)
    y = g.op("Squeeze", [outs[0], g.const("axes", np.array([1], np.int64))])
    return g.op("Concat", [y, outs[2]], axis=0) if op == "LSTM" else y


def emit(em, t, node):
    g, name, p = em.g, node.fn.__name__, getattr(node.ctx, "onnx_params", None)
    if p is None:
        raise NotImplementedError(f"[onnx.export] op {name} ran outside the traced call")
    if name in _BINARY:
        return g.op(_BINARY[name], [em.arg(node, 0), em.arg(node, 1)])
    if name in _UNARY:
        return g.op(_UNARY[name], [em.arg(node, 0)])
    args = node.ctx.onnx_args
    if name == "Log1p":
        return g.op("Log", [g.op("Add", [em.arg(node, 0), g.const("one", _f32(1.0))])])
    if name == "Activation":
        return activation(g, em.arg(node, 0), p.get("name", "relu"), p.get("p0", 0.0),
                          p.get("p1", 0.0))
    if name == "Softmax":
        return g.op("LogSoftmax" if p.get("log") else "Softmax", [em.arg(node, 0)],
                    axis=int(p.get("axis", -1)))
    if name == "Reshape":
        shape = _reshape_target(args[0].shape, t.shape)
        return g.op("Reshape", [em.arg(node, 0), g.const("shape", np.array(shape, np.int64))])
    if name == "Permute":
        return g.op("Transpose", [em.arg(node, 0)], perm=[int(a) for a in p["axes"]])
    if name in ("Cat", "Stack"):
        return _cat(em, node, t, name == "Stack")
    if name in ("Sum", "SumAll"):
        return _reduce(em, node, t, "ReduceSum")
    if name == "Mean":
        return _reduce(em, node, t, "ReduceMean")
    if name == "Extremum":
        return _reduce(em, node, t, "ReduceMax" if p.get("largest", True) else "ReduceMin")
    if name == "Linear":
        return _linear(em, node, t)
    if name == "Conv2d":
        return _conv2d(em, node, t)
    if name == "MaxPool2d":
        return _pool(em, node, t, "MaxPool")
    if name == "AvgPool2d":
        return _pool(em, node, t, "AveragePool")
    if name == "AdaptiveAvgPool2d" and tuple(p.get("output_size", (1, 1))) == (1, 1):
        return g.op("GlobalAveragePool", [em.arg(node, 0)])
    if name == "Clamp":
        return _clamp(em, node, t)
    if name == "Cast":
        return _cast(em, node, t)
    if name == "Recurrence":
        out = _recurrence(em, node, t)
        if out is not None:
            return out
        name = "Recurrence with a mask or computed weights"
    if name == "Index":
        out = _index(em, node, t)
        if out is not None:
            return out
        name = "Index with an advanced key (arrays, None, negative steps)"
    where = node.ctx.onnx_where
    inside = "" if where is None else \
        f" (inside {type(where).__name__} {getattr(where, 'name', '')!r})".replace(" ''", "")
    raise NotImplementedError(
        f"[onnx.export] op {name}{inside} is not supported; traced forward() code may use "
        f"{', '.join(sorted(set(_BINARY) | set(_UNARY)))}, Activation, Softmax, Reshape, "
        "Permute, Cat, Stack, Sum, Mean, Max/Min, Linear, Conv2d, MaxPool2d, AvgPool2d, "
        "AdaptiveAvgPool2d(1), Clamp, Cast, basic indexing, pe.nn's RNN / LSTM / GRU and the "
        "supported layers")
