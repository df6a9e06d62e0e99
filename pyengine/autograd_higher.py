"""Gradients that are themselves differentiable: ``backward(create_graph=True)`` and
``autograd.grad(..., create_graph=True)`` (and a GradientTape's gradient inside another tape).

The first-order walk (autograd.py) calls each Function's ``backward`` on NumPy arrays, which
records nothing. Here the same reverse walk runs with recording on and each node's input
gradients come from a *rule* written with differentiable ops on Tensors: the node's inputs (the
graph's own tensors, so second derivatives reach everything they depend on), its output and the
incoming gradient. For example Mul's rule is ``(g * b, g * a)``: differentiating it again gives
the mixed second derivatives. Each rule is the same formula as the Function's backward, written
once more on Tensors.

Ops whose backward is a kernel of its own (convolutions, layer norm) take a *composite* rule:
the forward is recomputed from ops that have rules (padding, strided slices, concatenation,
matmul), and the composite's gradients are taken with this same walk, stopping at the node's
inputs. It costs an im2col of the input, but only where second derivatives are asked for, and
its values equal the kernel's up to rounding (tests/test_autograd_higher.py).

A Function without a rule raises NotImplementedError naming it, rather than returning a
gradient whose own derivative would silently be zero.
"""
import numpy as np

from . import autograd as _ag
from .autograd import Function, Tensor

_RULES = {}


def _rule(*classes):
    def deco(fn):
        for c in classes:
            _RULES[c] = fn
        return fn
    return deco


def _const(a, like=None):
    """A constant (no graph) tensor of the array `a`."""
    dev = like._device if isinstance(like, Tensor) else None
    return Tensor._wrap(np.asarray(a), dev) if dev is not None else Tensor._wrap(np.asarray(a))


def _value(inputs, ctx, i):
    """Input i as a tensor: the graph's own when it is one, else the constant the forward
    saved (a Python number or array operand)."""
    t = inputs[i]
    return t if isinstance(t, Tensor) else _const(ctx.saved_tensors[i])


# ---- the Functions the rules compose ---------------------------------------------------------
def _ops():
    from .ops import activation as act, dropout, elementwise as ew, linear, matmul, pad, \
        reduce, shape
    return act, dropout, ew, linear, matmul, pad, reduce, shape


def _reshape(g, shape):
    from .ops.shape import Reshape
    return g if tuple(g.shape) == tuple(shape) else Reshape.apply(g, shape=tuple(shape))


def _permute(g, axes):
    from .ops.shape import Permute
    return Permute.apply(g, axes=tuple(axes))


def _swap_last(g):
    axes = list(range(g.ndim))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return _permute(g, axes)


def _sum(g, axes, keepdims):
    from .ops.reduce import Sum
    return Sum.apply(g, axis=tuple(axes), keepdims=keepdims)


def _broadcast(g, shape):
    from .ops.shape import BroadcastTo
    return g if tuple(g.shape) == tuple(shape) else BroadcastTo.apply(g, shape=tuple(shape))


def _index(g, key):
    from .ops.shape import Index
    return Index.apply(g, key=key)


def _matmul(a, b):
    from .ops.matmul import MatMul
    return MatMul.apply(a, b)


def sum_to(g, shape):
    """A broadcast gradient summed back to `shape`, differentiably (_sum_to_shape's rule)."""
    shape = tuple(shape)
    if tuple(g.shape) == shape:
        return g
    extra = g.ndim - len(shape)
    if extra > 0:
        g = _sum(g, range(extra), False)
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and g.shape[i] != 1)
    if axes:
        g = _sum(g, axes, True)
    return _reshape(g, shape)


class Scatter(Function):
    """zeros(shape) with g placed at `key` (added where an advanced key repeats): Index's
    gradient, as a Function so that it can be differentiated again (its gradient is Index)."""

    @staticmethod
    def forward(ctx, g, key=None, shape=()):
        from .ops.shape import _is_advanced
        ctx.key = key
        out = np.zeros(shape, g.dtype)
        if _is_advanced(key):
            np.add.at(out, key, g)
        else:
            out[key] = g
        return out

    @staticmethod
    def backward(ctx, g):
        return g[ctx.key]


@_rule(Scatter)
def _scatter_rule(ctx, inputs, out, g):
    return (_index(g, ctx.key),)


class LinearMap(Function):
    """y = fn(x) for a linear map given as NumPy code, with `adjoint` its transpose: a pooling
    backward (linear in the incoming gradient, its routing fixed by the forward) made
    differentiable. Its own gradient is the adjoint, and the adjoint's is fn, to any order."""

    @staticmethod
    def forward(ctx, x, fn=None, adjoint=None):
        ctx.fn, ctx.adjoint = fn, adjoint
        return np.asarray(fn(np.ascontiguousarray(x)))

    @staticmethod
    def backward(ctx, g):
        return np.asarray(ctx.adjoint(np.ascontiguousarray(g)))


@_rule(LinearMap)
def _linear_map_rule(ctx, inputs, out, g):
    return (LinearMap.apply(g, fn=ctx.adjoint, adjoint=ctx.fn),)


# ---- elementwise ------------------------------------------------------------------------------
def _elementwise_rules():
    _, dropout, ew, _, _, _, _, _ = _ops()

    _rule(ew.Add)(lambda ctx, i, out, g: (g, g))
    _rule(ew.Sub)(lambda ctx, i, out, g: (g, -g))
    _rule(ew.Neg)(lambda ctx, i, out, g: (-g,))
    _rule(ew.Clone)(lambda ctx, i, out, g: (g,))
    _rule(ew.Cast)(lambda ctx, i, out, g: (g,))  # the walk casts it to the input's dtype

    @_rule(ew.Mul)
    def _mul(ctx, inputs, out, g):
        return g * _value(inputs, ctx, 1), g * _value(inputs, ctx, 0)

    @_rule(ew.Div)
    def _div(ctx, inputs, out, g):
        a, b = _value(inputs, ctx, 0), _value(inputs, ctx, 1)
        return g / b, -g * a / (b * b)

    @_rule(ew.Pow)
    def _pow(ctx, inputs, out, g):
        a, b = _value(inputs, ctx, 0), _value(inputs, ctx, 1)
        ga = g * b * ew.Pow.apply(a, b - 1)
        gb = None
        if isinstance(inputs[1], Tensor):
            pos = _const(np.asarray(a._data) > 0)
            safe = ew.Where.apply(pos, a, 1.0)
            gb = g * out * ew.Where.apply(pos, ew.Log.apply(safe), 0.0)
        return ga, gb

    _rule(ew.Exp)(lambda ctx, i, out, g: (g * out,))
    _rule(ew.Log)(lambda ctx, i, out, g: (g / i[0],))
    _rule(ew.Log1p)(lambda ctx, i, out, g: (g / (i[0] + 1.0),))
    _rule(ew.Sqrt)(lambda ctx, i, out, g: (g / (out * 2.0),))
    _rule(ew.Sin)(lambda ctx, i, out, g: (g * ew.Cos.apply(i[0]),))
    _rule(ew.Cos)(lambda ctx, i, out, g: (-g * ew.Sin.apply(i[0]),))
    _rule(ew.Abs)(lambda ctx, i, out, g: (g * _const(np.sign(i[0]._data)),))

    @_rule(ew.Clamp)
    def _clamp(ctx, inputs, out, g):
        a = inputs[0]._data
        lo, hi = ctx.bounds
        mask = np.ones(a.shape, bool)
        if lo is not None:
            mask &= a >= lo
        if hi is not None:
            mask &= a <= hi
        return (g * _const(mask.astype(a.dtype)),)

    def _extremum_pair(smaller):
        def rule(ctx, inputs, out, g):
            a, b = ctx.saved_tensors
            wa = ((a < b) if smaller else (a > b)) + 0.5 * (a == b)
            return g * _const(wa), g * _const(1 - wa)
        return rule
    _rule(ew.Maximum)(_extremum_pair(False))
    _rule(ew.Minimum)(_extremum_pair(True))

    @_rule(ew.Where)
    def _where(ctx, inputs, out, g):
        (cond,) = ctx.saved_tensors
        c = _const(cond)
        return None, ew.Where.apply(c, g, 0.0), ew.Where.apply(c, 0.0, g)

    @_rule(dropout.Dropout)
    def _dropout(ctx, inputs, out, g):
        seed, threshold, scale = ctx.params
        return (dropout.Dropout.apply(g, seed=seed, threshold=threshold, scale=scale),)

    _rule(dropout.MaskMul)(lambda ctx, i, out, g: (dropout.MaskMul.apply(g, mask=ctx.mask),))


# ---- activations, softmax, linear, matmul -----------------------------------------------------
def _activation_grad(name, p0, p1, x, y, g):
    """act'(x) * g from x and / or y = act(x), differentiably (Activation.backward's rule)."""
    _, _, ew, _, _, _, _, _ = _ops()
    if name == "none":
        return g
    if name == "relu":  # from y where x is not kept (Linear's fused epilogue)
        return g * _const(((x if x is not None else y)._data > 0).astype(g._data.dtype))
    if name == "leaky_relu":
        return g * _const(np.where(x._data > 0, 1.0, p0).astype(g._data.dtype))
    if name == "sigmoid":
        return g * y * (1.0 - y)
    if name == "tanh":
        return g * (1.0 - y * y)
    if name == "elu":
        pos = _const(x._data > 0)
        return ew.Where.apply(pos, g, g * (y + p0))
    if name == "gelu":  # exact form: Phi(x) + x phi(x)
        from .ops.attention_erf import Erf
        from .ops.elementwise import Exp
        phi = Exp.apply(x * x * -0.5) * (1.0 / np.sqrt(2.0 * np.pi))
        return g * ((Erf.apply(x * (1.0 / np.sqrt(2.0))) + 1.0) * 0.5 + x * phi)
    if name == "softplus":
        from .ops.activation import Activation
        beta, threshold = (p0 or 1.0), (p1 or 20.0)
        lin = _const(x._data * beta > threshold)
        return ew.Where.apply(lin, g, g * Activation.apply(x * beta, name="sigmoid"))
    raise NotImplementedError(f"[autograd] create_graph=True: no differentiable backward for "
                              f"the {name} activation yet")


def _layer_rules():
    act, _, _, linear, matmul, pad, reduce, shape = _ops()
    from .ops.attention_erf import Erf
    from .ops.embedding import Embedding

    @_rule(Erf)
    def _erf(ctx, inputs, out, g):
        from .ops.elementwise import Exp
        x = inputs[0]
        return (g * Exp.apply(-(x * x)) * (2.0 / np.sqrt(np.pi)),)

    @_rule(Embedding)
    def _embedding(ctx, inputs, out, g):
        idx = ctx.indices.reshape(-1)
        gw = Scatter.apply(_reshape(g, (-1, ctx.shape[1])), key=(idx,), shape=ctx.shape)
        if ctx.padding_idx is not None:
            keep = np.ones((ctx.shape[0], 1), g._data.dtype)
            keep[ctx.padding_idx] = 0
            gw = gw * _const(keep)
        return (gw,)

    @_rule(act.Activation, act.ReLU, act.Sigmoid, act.Tanh)
    def _act(ctx, inputs, out, g):
        name, p0, p1 = ctx.params
        return (_activation_grad(name, p0, p1, inputs[0], out, g),)

    @_rule(act.Softmax)
    def _softmax(ctx, inputs, out, g):
        axis, log = ctx.params
        y = _reshape(out, (1,)) if ctx.scalar else out
        gg = _reshape(g, (1,)) if ctx.scalar else g
        ax = axis % y.ndim
        if log:
            from .ops.elementwise import Exp
            gx = gg - Exp.apply(y) * _sum(gg, (ax,), True)
        else:
            gx = y * (gg - _sum(gg * y, (ax,), True))
        return (_reshape(gx, ()) if ctx.scalar else gx,)

    @_rule(linear.Linear)
    def _linear(ctx, inputs, out, g):
        x, w = inputs[0], inputs[1]
        gz = _activation_grad(ctx.act, 0.0, 0.0, None, out, g)
        k, o = x.shape[-1], w.shape[0]
        x2, gz2 = _reshape(x, (-1, k)), _reshape(gz, (-1, o))
        gx = _reshape(_matmul(gz2, w), tuple(x.shape))
        gw = _matmul(_swap_last(gz2), x2)
        gb = _sum(gz2, (0,), False) if len(inputs) > 2 else None
        return (gx, gw, gb) if len(inputs) > 2 else (gx, gw)

    @_rule(matmul.MatMul)
    def _mm(ctx, inputs, out, g):
        a, b = _value(inputs, ctx, 0), _value(inputs, ctx, 1)
        A = a if a.ndim > 1 else _reshape(a, (1, a.shape[0]))
        B = b if b.ndim > 1 else _reshape(b, (b.shape[0], 1))
        G = g
        if b.ndim == 1:
            G = _reshape(G, tuple(G.shape) + (1,))
        if a.ndim == 1:
            G = _reshape(G, tuple(G.shape[:-1]) + (1, G.shape[-1]))
        ga = _reshape(sum_to(_matmul(G, _swap_last(B)), A.shape), a.shape)
        gb = _reshape(sum_to(_matmul(_swap_last(A), G), B.shape), b.shape)
        return ga, gb

    # ---- shapes and reductions
    _rule(shape.Reshape)(lambda ctx, i, out, g: (_reshape(g, ctx.in_shape),))
    _rule(shape.Permute)(lambda ctx, i, out, g: (_permute(g, np.argsort(ctx.axes)),))
    _rule(shape.BroadcastTo)(lambda ctx, i, out, g: (g,))  # summed back by the walk
    _rule(shape.Index)(lambda ctx, i, out, g: (Scatter.apply(g, key=ctx.key, shape=ctx.shape),))

    @_rule(shape.Cat)
    def _cat(ctx, inputs, out, g):
        bounds = np.concatenate([[0], np.cumsum(ctx.sizes)])
        ax = ctx.axis % g.ndim
        lead = (slice(None),) * ax
        return tuple(_index(g, lead + (slice(int(bounds[i]), int(bounds[i + 1])),))
                     for i in range(len(ctx.sizes)))

    @_rule(shape.Stack)
    def _stack(ctx, inputs, out, g):
        ax = ctx.axis % g.ndim
        return tuple(_index(g, (slice(None),) * ax + (i,)) for i in range(ctx.n))

    def _expand(g, in_shape, axes, keepdims):
        if not keepdims and in_shape:
            kept = list(g.shape)
            for a in axes:
                kept.insert(a, 1)
            g = _reshape(g, kept)
        return _broadcast(g, in_shape)

    _rule(reduce.Sum)(lambda ctx, i, out, g: (_expand(g, ctx.shape, ctx.axes, ctx.keepdims),))
    _rule(reduce.SumAll)(lambda ctx, i, out, g: (_broadcast(g, ctx.shape),))
    _rule(reduce.Mean)(lambda ctx, i, out, g: (
        _expand(g / float(max(ctx.count, 1)), ctx.shape, ctx.axes, ctx.keepdims),))

    @_rule(reduce.Extremum)
    def _extremum(ctx, inputs, out, g):
        a, m = ctx.saved_tensors
        mask = a == m
        share = mask / mask.sum(axis=ctx.axes, keepdims=True)
        return (_expand(g, a.shape, ctx.axes, ctx.keepdims) * _const(share.astype(a.dtype)),)

    @_rule(pad.Pad)
    def _pad(ctx, inputs, out, g):
        widths = ctx.params
        return (_index(g, tuple(slice(b, g.shape[i] - a) for i, (b, a) in enumerate(widths))),)


# ---- convolutions and layer norm by composite recomputation --------------------------------------
def conv2d_nhwc_composite(x, w, b, stride, pads, dilation, groups, activation, act_p0):
    """Conv2dNHWC's forward from ops with rules: zero padding (Pad), one strided slice per tap
    (Index), the taps side by side (Cat) and one matmul with the (kh kw C/groups, OC) kernel."""
    from .ops.pad import Pad
    from .ops.shape import Cat
    kh, kw, cg, oc = w.shape
    sh, sw = stride
    dh, dw = dilation
    top, bottom, left, right = pads
    xp = Pad.apply(x, widths=((0, 0), (top, bottom), (left, right), (0, 0))) \
        if any(pads) else x
    hp, wp = xp.shape[1], xp.shape[2]
    oh = (hp - dh * (kh - 1) - 1) // sh + 1
    ow = (wp - dw * (kw - 1) - 1) // sw + 1
    ocg = oc // groups
    outs = []
    for grp in range(groups):
        cs = slice(grp * cg, (grp + 1) * cg)
        taps = [_index(xp, (slice(None), slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
                            slice(j * dw, j * dw + sw * (ow - 1) + 1, sw), cs))
                for i in range(kh) for j in range(kw)]
        cols = taps[0] if len(taps) == 1 else Cat.apply(*taps, axis=3)
        wg = w if groups == 1 else _index(w, (slice(None), slice(None), slice(None),
                                              slice(grp * ocg, (grp + 1) * ocg)))
        # as one 2-D product (N OH OW, K) x (K, OCg): a 4-D @ 2-D matmul would broadcast the
        # kernel, and its gradient would sum an (N, OH, K, OCg) product back
        k = kh * kw * cg
        y2 = _matmul(_reshape(cols, (-1, k)), _reshape(wg, (k, ocg)))
        outs.append(_reshape(y2, (x.shape[0], oh, ow, ocg)))
    y = outs[0] if groups == 1 else Cat.apply(*outs, axis=3)
    if b is not None:
        y = y + b
    if activation:
        from .ops.activation import Activation
        y = Activation.apply(y, name=activation, p0=act_p0)
    return y


def _pool_rules():
    """Pooling backward passes are linear in the gradient: LinearMap with the forward's routing
    (average windows, the recorded argmax) and its adjoint."""
    from .ops.conv_nhwc import AvgPool2dNHWC, MaxPool2dNHWC
    from .ops.pool import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d

    @_rule(AvgPool2d)
    def _avg(ctx, inputs, out, g):
        shape, dtype, args = ctx.params
        be, out_shape = ctx.backend, tuple(out.shape)
        return (LinearMap.apply(g, fn=lambda a: be.avg_pool2d_backward(a, shape, dtype, args),
                                adjoint=lambda a: be.avg_pool2d(a, out_shape, args)),)

    @_rule(AdaptiveAvgPool2d)
    def _adaptive(ctx, inputs, out, g):
        shape, dtype = ctx.params
        be, size = ctx.backend, tuple(out.shape[2:])
        return (LinearMap.apply(g, fn=lambda a: be.adaptive_avg_pool2d_backward(a, shape, dtype),
                                adjoint=lambda a: be.adaptive_avg_pool2d(a, size)),)

    @_rule(AvgPool2dNHWC)
    def _avg_nhwc(ctx, inputs, out, g):
        shape, dtype, args = ctx.params
        be = ctx.backend
        return (LinearMap.apply(
            g, fn=lambda a: be.avg_pool2d_nhwc_backward(a, shape, dtype, *args),
            adjoint=lambda a: be.avg_pool2d_nhwc(a.astype(dtype, copy=False), *args)),)

    @_rule(MaxPool2d)
    def _max(ctx, inputs, out, g):
        (idx,) = ctx.saved_tensors
        shape, dtype = ctx.params
        n, c = np.indices(idx.shape[:2])
        key = (n[..., None, None], c[..., None, None], idx // shape[3], idx % shape[3])
        return (Scatter.apply(g, key=tuple(np.broadcast_to(k, idx.shape) for k in key),
                              shape=shape),)

    @_rule(MaxPool2dNHWC)
    def _max_nhwc(ctx, inputs, out, g):
        kernel, stride, pads = ctx.params
        if stride[0] < kernel[0] or stride[1] < kernel[1]:
            raise NotImplementedError(
                "[autograd] create_graph=True: no differentiable backward for MaxPool2dNHWC "
                "with overlapping windows (stride < pool size) yet")
        be, x = ctx.backend, inputs[0]._data
        if out._data.size >= 2 ** 24 and out._data.dtype != np.float64:
            raise NotImplementedError("[autograd] create_graph=True: MaxPool2dNHWC with 2^24 "
                                      "or more outputs in float32 is not supported")
        # Windows do not overlap, so the backward of output ids (1-based) marks each window's
        # winning input with its id: the routing, read once, serves both directions.
        ids = np.arange(1, out._data.size + 1, dtype=np.float64).reshape(out.shape)
        if ctx.index is not None:
            index, shape, dtype = ctx.index
            winner = be.max_pool2d_nhwc_backward_index(index, ids.astype(dtype), shape, dtype,
                                                       pads)
        else:
            winner = be.max_pool2d_nhwc_backward(x, ids.astype(x.dtype), kernel, stride, pads)
        flat = np.asarray(winner).reshape(-1)
        src = np.nonzero(flat)[0]
        dst = np.rint(flat[src]).astype(np.int64) - 1
        in_shape, out_size = x.shape, out._data.size

        def scatter(a):
            res = np.zeros(int(np.prod(in_shape)), a.dtype)
            res[src] = a.reshape(-1)[dst]
            return res.reshape(in_shape)

        def gather(a):
            res = np.zeros(out_size, a.dtype)
            res[dst] = a.reshape(-1)[src]
            return res.reshape(out._data.shape)
        return (LinearMap.apply(g, fn=scatter, adjoint=gather),)


def _conv_rules():
    from .ops.conv import Conv2d
    from .ops.conv_nhwc import Conv2dNHWC
    from .ops.normalization import BatchNormEval, BatchNormTrain, LayerNorm

    @_rule(Conv2dNHWC)
    def _conv_nhwc(ctx, inputs, out, g):
        stride, pads, dilation, groups, _, activation, act_p0 = ctx.params
        x, w = inputs[0], inputs[1]
        b = inputs[2] if len(inputs) > 2 else None
        return composite_vjp(lambda x_, w_, b_: conv2d_nhwc_composite(
            x_, w_, b_, stride, pads, dilation, groups, activation, act_p0), (x, w, b), g)

    @_rule(Conv2d)
    def _conv_nchw(ctx, inputs, out, g):
        args, extra, _, activation, act_p0 = ctx.params
        sh, sw, ph, pw, dh, dw, groups = args
        pads = (ph, ph + extra[0], pw, pw + extra[1])
        x, w = inputs[0], inputs[1]
        b = inputs[2] if len(inputs) > 2 else None

        def composite(x_, w_, b_):
            y = conv2d_nhwc_composite(_permute(x_, (0, 2, 3, 1)), _permute(w_, (2, 3, 1, 0)), b_,
                                      (sh, sw), pads, (dh, dw), groups, activation, act_p0)
            return _permute(y, (0, 3, 1, 2))
        return composite_vjp(composite, (x, w, b), g)

    @_rule(LayerNorm)
    def _layer_norm(ctx, inputs, out, g):
        axes, eps = ctx.axes, ctx.eps
        x, gamma, beta = inputs

        def composite(x_, gamma_, beta_):
            from .ops.elementwise import Sqrt
            n = float(np.prod([x_.shape[a] for a in axes]))
            mean = _sum(x_, axes, True) / n
            d = x_ - mean
            var = _sum(d * d, axes, True) / n
            y = d / Sqrt.apply(var + eps)
            if gamma_ is not None:
                y = y * gamma_
            if beta_ is not None:
                y = y + beta_
            return y
        return composite_vjp(composite, (x, gamma, beta), g)

    def _channel_shape(x, axes):
        return tuple(1 if i in axes else s for i, s in enumerate(x.shape))

    @_rule(BatchNormTrain)
    def _batch_norm_train(ctx, inputs, out, g):
        """The batch statistics' normalization recomputed (the running statistics were
        updated by the forward and are not touched)."""
        axes, eps = ctx.axes, ctx.eps

        def composite(x_, w_, b_):
            from .ops.elementwise import Sqrt
            pshape = _channel_shape(x_, axes)
            n = float(np.prod([x_.shape[a] for a in axes]))
            d = x_ - _sum(x_, axes, True) / n
            y = d / Sqrt.apply(_sum(d * d, axes, True) / n + eps)
            if w_ is not None:
                y = y * _reshape(w_, pshape)
            if b_ is not None:
                y = y + _reshape(b_, pshape)
            return y
        return composite_vjp(composite, tuple(inputs), g)

    @_rule(BatchNormEval)
    def _batch_norm_eval(ctx, inputs, out, g):
        x, w, b = inputs
        pshape = _channel_shape(g, ctx.axes)
        inv_std = _const(ctx.inv_std)
        scale = inv_std if w is None else inv_std * _reshape(w, pshape)
        x_hat = (x - _const(ctx.mean.reshape(pshape))) * inv_std
        return (g * scale, None if w is None else _sum(g * x_hat, ctx.axes, False),
                None if b is None else _sum(g, ctx.axes, False))


def composite_vjp(composite, inputs, g):
    """Gradients of composite(*inputs) (the same value as the node's forward) w.r.t. each
    input that requires grad, cotangent g, as differentiable tensors: the composite is recorded
    on the inputs themselves and walked back to them (not past them)."""
    with _ag.enable_grad():
        y = composite(*inputs)
    wanted = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    got = _walk([y], [g], wanted, accumulate=False, stop_at_wanted=True)
    return tuple(got.get(id(t)) if isinstance(t, Tensor) else None for t in inputs)


_loaded = False


def _load_rules():
    global _loaded
    if not _loaded:
        _elementwise_rules()
        _layer_rules()
        _pool_rules()
        _conv_rules()
        from .autograd_higher_loss import register
        register(_rule)
        _loaded = True


# ---- the walk ---------------------------------------------------------------------------------
def _order(roots, stop):
    """Tensors with a node reachable from roots, inputs before outputs; nodes in `stop` are
    included but not expanded."""
    order, visited = [], set()
    for root in roots:
        if root._node is None or id(root) in visited:
            continue
        visited.add(id(root))
        stack = [(root, iter(() if id(root) in stop else _ag.node_inputs(root._node)))]
        while stack:
            t, it = stack[-1]
            for inp in it:
                if inp is not None and inp._node is not None and id(inp) not in visited:
                    visited.add(id(inp))
                    stack.append((inp, iter(() if id(inp) in stop else
                                        _ag.node_inputs(inp._node))))
                    break
            else:
                stack.pop()
                order.append(t)
    return order


def _walk(outputs, grad_outputs, wanted, accumulate, stop_at_wanted=False):
    """The reverse walk with recording on. Returns {id(t): gradient} for the tensors in
    `wanted`; accumulate=True also adds every reached leaf's gradient to its .grad."""
    _load_rules()
    want = {id(t) for t in wanted}
    stop = want if stop_at_wanted else set()
    order = _order(outputs, stop)
    # Nodes worth expanding: those with a wanted tensor (or, accumulating, any leaf) below
    # them. grad() w.r.t. an intermediate tensor then stops there instead of walking (and
    # needing rules for) everything that produced it.
    needed = set()
    for t in order:
        if accumulate or id(t) in want or any(
                inp is not None and (id(inp) in needed or (inp._node is None and id(inp) in want))
                for inp in _ag.node_inputs(t._node)):
            needed.add(id(t))
    got = {}
    grads = {}
    for o, g in zip(outputs, grad_outputs):
        grads[id(o)] = g if id(o) not in grads else grads[id(o)] + g
    leaves = {}  # id -> [leaf, summed gradient]: their hooks see the total, as in the 1st order
    hooks = _ag._HOOKS

    def deliver(t, g):
        if id(t) in want:
            got[id(t)] = g if id(t) not in got else got[id(t)] + g

    def to_leaf(t, g):
        entry = leaves.get(id(t))
        if entry is None:
            leaves[id(t)] = [t, g]
        else:
            entry[1] = entry[1] + g

    with _ag.enable_grad():
        for o in outputs:  # outputs that are leaves
            if o._node is None and id(o) in grads:
                to_leaf(o, grads.pop(id(o)))
        for t in reversed(order):
            g = grads.pop(id(t), None)
            if g is None:
                continue
            if id(t) in stop:  # a composite's input: the enclosing walk goes on from there
                deliver(t, g)
                continue
            if hooks and id(t) in hooks:
                g = _run_hooks(t, g)
            deliver(t, g)
            if accumulate and t._retain_grad:
                _accumulate(t, g)
            if id(t) not in needed:
                continue
            node = t._node
            if _ag.is_freed(node) or node.ctx is None:
                raise RuntimeError("[backward] trying to backward through the graph a second "
                                   "time; pass retain_graph=True to the first backward()")
            if node.versions is not None:
                _ag.check_versions(node)
            rule = _RULES.get(node.fn)
            if rule is None and getattr(node.fn, "user", None) is not None:
                from .autograd_function import user_rule  # a user's autograd.Function
                rule = _bind_user_rule(user_rule, node.fn)
            if rule is None and getattr(node.fn, "delayed_error", None):
                raise RuntimeError(node.fn.delayed_error)
            if rule is None:
                raise NotImplementedError(
                    f"[autograd] create_graph=True: no differentiable backward for "
                    f"{node.fn.__name__} yet (autograd_higher.py lists the ops that have one)")
            ins = _ag.node_inputs(node)
            in_grads = rule(node.ctx, ins, t, g)
            for inp, ig in zip(ins, in_grads):
                if inp is None or ig is None or not inp.requires_grad:
                    continue
                if inp._node is not None and id(inp) not in needed and id(inp) not in stop:
                    continue
                ig = sum_to(ig, inp.shape)
                if ig._data.dtype != inp._data.dtype:
                    from .ops.elementwise import Cast
                    ig = Cast.apply(ig, dtype=inp._data.dtype)
                if inp._node is None:
                    to_leaf(inp, ig)
                else:
                    grads[id(inp)] = ig if id(inp) not in grads else grads[id(inp)] + ig
        for leaf, g in leaves.values():
            if hooks and id(leaf) in hooks and id(leaf) not in stop:
                g = _run_hooks(leaf, g)
            deliver(leaf, g)
            if accumulate:
                _accumulate(leaf, g)
    return got


def _bind_user_rule(rule, cls):
    return lambda ctx, inputs, out, g: rule(cls, ctx, inputs, out, g)


def _run_hooks(t, g):
    """Tensor.register_hook's hooks on a gradient that carries a graph."""
    for hook in list(_ag._HOOKS[id(t)].values()):
        out = hook(g)
        if out is not None:
            if tuple(out.shape) != tuple(g.shape):
                raise RuntimeError(f"[register_hook] a hook returned a gradient of shape "
                                   f"{tuple(out.shape)} for a tensor of shape {tuple(g.shape)}")
            g = out
    return g


def _accumulate(leaf, g):
    leaf.grad = g if leaf.grad is None else leaf.grad + g


def _initial(t, g):
    g0 = _ag._initial_gradient(t, g, "backward")
    return g if isinstance(g, Tensor) and g._data.dtype == t._data.dtype else \
        Tensor._wrap(np.asarray(g0), t._device)


def backward(tensor, gradient, inputs):
    """Tensor.backward(create_graph=True): every leaf (or each of `inputs`) gets a .grad that
    carries a graph."""
    g0 = _initial(tensor, gradient)
    if inputs is None:
        _walk([tensor], [g0], [], accumulate=True)
        return
    wanted = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    got = _walk([tensor], [g0], wanted, accumulate=False)
    for t in wanted:
        if id(t) in got:
            _accumulate(t, got[id(t)])


def grad(outputs, grad_outputs, inputs):
    """autograd.grad(create_graph=True): gradients with graphs, no .grad touched."""
    gos = [_initial(o, go) for o, go in zip(outputs, grad_outputs)]
    got = _walk(outputs, gos, inputs, accumulate=False)
    return [got.get(id(t)) for t in inputs]
