"""torch.autograd.Function for users: forward and backward see Tensors, as in PyTorch.

pyengine's own ops subclass pe.autograd.Function at the array level (forward and backward take
and return backend arrays, with no wrapping cost). A subclass defined outside the pyengine
package is a user's custom Function, as in the PyTorch tutorials (LegendrePolynomial3, MyReLU):
autograd.Function.__init_subclass__ hands it to `make_user_function`, which gives it an `apply`
that

- calls forward(ctx, *args, **kwargs) with detached Tensors (grad mode off, as torch), or, for
  torch 2's split form, forward(*args, **kwargs) then setup_context(ctx, inputs, output);
- records one graph node whose backward calls the user's backward(ctx, grad_output) with a
  Tensor and takes one gradient (Tensor, array, number or None) per forward argument;
- supports ctx.save_for_backward / saved_tensors, needs_input_grad,
  mark_non_differentiable, set_materialize_grads.

A forward returning several tensors (a tuple) gets one node whose output packs the
differentiable (floating-point, not marked non-differentiable) outputs into one flat tensor; the
returned tensors are slices of it, so backward(ctx, *grads) receives one gradient per output
(zeros for the others). With create_graph=True (double backward) the user's backward runs with
recording on, its saved inputs and outputs standing for the graph's own tensors, as torch
(autograd_higher.py calls `user_rule`); `once_differentiable` backwards run without recording
and refuse a second differentiation when one is attempted, as torch. This module is also
`pe.autograd.function` (torch.autograd.function). A Function with a `jvp` staticmethod called
on dual tensors (pe.autograd.forward_ad) runs the forward-mode way. ctx.mark_dirty (in-place
custom Functions) is refused."""
import functools

import numpy as np

from . import autograd as _ag

Function = _ag.Function  # torch.autograd.function.Function


class FunctionCtx(_ag.Context):
    """The ctx a user's forward / backward receive."""

    materialize_grads = True

    def save_for_backward(self, *tensors):
        if _ag._SAVED_HOOKS.stack:
            return _ag.pack_saved(self, tensors)
        self.saved_tensors = tensors

    def save_for_forward(self, *tensors):  # read back in jvp through ctx.saved_tensors
        self.saved_tensors = tensors

    def mark_non_differentiable(self, *outputs):
        self.non_differentiable = tuple(id(o) for o in outputs)

    def set_materialize_grads(self, value):
        # The single output's gradient always exists here, so both settings behave alike.
        self.materialize_grads = bool(value)

    def mark_dirty(self, *tensors):
        raise NotImplementedError("[autograd.Function] ctx.mark_dirty (a forward that modifies "
                                  "its inputs in place) is not supported; return a new tensor")


def _has_setup_context(cls):
    return callable(getattr(cls, "setup_context", None))


def make_user_function(cls):
    """Give a user's Function subclass torch's tensor-level apply and a node class named after
    it (grad_fn prints as <LegendrePolynomial3Backward ...>)."""
    node_fn = type(cls.__name__, (_UserNode,), {"user": cls, "__module__": cls.__module__})
    cls._node_fn = node_fn
    cls.apply = classmethod(_user_apply)


def _user_apply(cls, *args, **kwargs):
    Tensor = _ag.Tensor
    tensors = [a for a in args if isinstance(a, Tensor)]
    if hasattr(cls, "jvp"):  # forward-mode AD on dual inputs (autograd_forward_ad.py)
        from . import autograd_forward_ad as _fwd
        if _fwd.is_active() and any(t.requires_grad for t in tensors):
            tangents = [_fwd.tangent_of(a) if isinstance(a, Tensor) else None for a in args]
            if any(t is not None for t in tangents):
                return _forward_mode_apply(cls, args, kwargs, tangents)
    record = _ag._state.enabled and any(t.requires_grad for t in tensors)
    ctx = FunctionCtx()
    ctx.needs_input_grad = (tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
                            if record else None)
    plain = [Tensor._wrap(a._data, a._device) if isinstance(a, Tensor) else a for a in args]
    prev = _ag._state.enabled
    _ag._state.enabled = False
    try:
        if _has_setup_context(cls):
            out = cls.forward(*plain, **kwargs)
            cls.setup_context(ctx, tuple(plain), out)
        else:
            out = cls.forward(ctx, *plain, **kwargs)
    finally:
        _ag._state.enabled = prev
    ctx._input_ids = tuple(id(p) for p in plain)
    if isinstance(out, (tuple, list)):
        if len(out) != 1:
            return _multi_output(cls, ctx, args, tensors, out, record)
        out = out[0]
    data = out._data if isinstance(out, Tensor) else np.asarray(out)
    device = out._device if isinstance(out, Tensor) else (tensors[0]._device if tensors
                                                           else None)
    result = Tensor._wrap(data, device)
    if record and id(out) not in getattr(ctx, "non_differentiable", ()):
        if data.dtype.kind != "f":
            raise RuntimeError(f"[autograd.Function] {cls.__name__}.forward returned a "
                               f"{data.dtype} tensor, which cannot require grad; mark it "
                               "with ctx.mark_non_differentiable")
        ctx.n_args = len(args)
        ctx._output_ids = (id(out),)
        result.requires_grad = True
        result._node = _ag.Node(cls._node_fn, ctx,
                                tuple(a if isinstance(a, Tensor) else None for a in args))
        _ag.note_constant_versions(result._node)
    return result


def _forward_mode_apply(cls, args, kwargs, tangents):
    """A Function with jvp called on dual inputs: forward without recording, then jvp(ctx,
    *input tangents) gives the output tangent(s); the outputs become new dual tensors."""
    from . import autograd_forward_ad as _fwd
    from .creation import zeros_like
    Tensor = _ag.Tensor
    ctx = FunctionCtx()
    ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
    plain = [Tensor._wrap(a._data, a._device) if isinstance(a, Tensor) else a for a in args]
    with _ag.no_grad():
        if _has_setup_context(cls):
            out = cls.forward(*plain, **kwargs)
            cls.setup_context(ctx, tuple(plain), out)
        else:
            out = cls.forward(ctx, *plain, **kwargs)
        tin = [t if t is not None else (zeros_like(a.detach()) if isinstance(a, Tensor) else None)
               for a, t in zip(args, tangents)]
        tout = cls.jvp(ctx, *tin)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    touts = tout if isinstance(tout, (tuple, list)) else (tout,)
    if len(touts) != len(outs):
        raise RuntimeError(f"[autograd.Function] {cls.__name__}.jvp returned {len(touts)} "
                           f"tangents for {len(outs)} outputs")
    res = tuple(_fwd.make_dual(Tensor._wrap(o._data, o._device), t) if t is not None
                else Tensor._wrap(o._data, o._device) for o, t in zip(outs, touts))
    return res if isinstance(out, (tuple, list)) else res[0]


def _multi_output(cls, ctx, args, tensors, outs, record):
    """Several outputs: one node whose output is the flat concatenation of the differentiable
    ones; each returned tensor is a (recorded) slice of it."""
    Tensor = _ag.Tensor
    outs = list(outs)
    if not all(isinstance(o, Tensor) for o in outs):
        raise TypeError(f"[autograd.Function] {cls.__name__}.forward returned a tuple holding "
                        "a non-Tensor; return Tensors only")
    device = outs[0]._device
    nondiff = getattr(ctx, "non_differentiable", ())
    diff = [i for i, o in enumerate(outs)
            if o._data.dtype.kind == "f" and id(o) not in nondiff]
    if not record or not diff:
        return tuple(Tensor._wrap(o._data, o._device) for o in outs)
    dtype = np.result_type(*[outs[i]._data.dtype for i in diff])
    packed = Tensor._wrap(np.concatenate([outs[i]._data.astype(dtype).ravel() for i in diff]),
                          device)
    ctx.n_args = len(args)
    ctx._output_ids = tuple(id(o) for o in outs)
    ctx._multi = [(tuple(o.shape), o._data.dtype, i in diff) for i, o in enumerate(outs)]
    packed.requires_grad = True
    packed._node = _ag.Node(cls._node_fn, ctx,
                            tuple(a if isinstance(a, Tensor) else None for a in args))
    _ag.note_constant_versions(packed._node)
    return tuple(_unpack(packed, ctx._multi, outs))


def _unpack(packed, layout, outs=None):
    """The outputs as slices of the packed tensor (non-differentiable ones as given, or zeros)."""
    Tensor = _ag.Tensor
    res, offset = [], 0
    for k, (shape, dtype, differentiable) in enumerate(layout):
        if not differentiable:
            res.append(Tensor._wrap(outs[k]._data, outs[k]._device) if outs is not None
                       else None)
            continue
        n = int(np.prod(shape))
        piece = packed[offset:offset + n].reshape(shape)
        if piece._data.dtype != dtype:
            piece = piece.to(dtype=dtype)
        res.append(piece)
        offset += n
    return res


def _call_user_backward(cls, ctx, grads):
    out = cls.user.backward(ctx, *grads)
    if not isinstance(out, tuple):
        out = (out,)
    if len(out) != ctx.n_args:
        # torch's rule: one entry per forward input (None for those without a gradient)
        if len(out) > ctx.n_args and all(x is None for x in out[ctx.n_args:]):
            out = out[:ctx.n_args]
        else:
            raise RuntimeError(f"[autograd.Function] {cls.user.__name__}.backward returned "
                               f"an incorrect number of gradients (expected "
                               f"{ctx.n_args}, got {len(out)})")
    return out


def _split_grads(ctx, g, zeros):
    """The packed gradient g as one gradient per forward output."""
    layout = getattr(ctx, "_multi", None)
    if layout is None:
        return [g]
    return [p if p is not None else zeros(shape, dtype)
            for p, (shape, dtype, _) in zip(_unpack(g, layout), layout)]


def user_rule(cls, ctx, inputs, out, g):
    """The create_graph rule of a user Function's node (class cls): the user's backward on
    Tensors with recording on, its saved forward inputs / outputs replaced by the graph's
    tensors (intermediates saved in forward stay constants, as in torch)."""
    Tensor = _ag.Tensor
    graph = {}
    for i, pid in enumerate(ctx._input_ids):
        if i < len(inputs) and inputs[i] is not None:
            graph[pid] = inputs[i]
    layout = getattr(ctx, "_multi", None)
    outs = [out] if layout is None else _unpack(out, layout)
    for oid, o in zip(ctx._output_ids, outs):
        if o is not None:
            graph[oid] = o
    saved = ctx.saved_tensors
    ctx.saved_tensors = tuple(graph.get(id(t), t) for t in saved)
    try:
        grads = _call_user_backward(cls, ctx, _split_grads(
            ctx, g, lambda shape, dtype: Tensor._wrap(np.zeros(shape, dtype), g._device)))
    finally:
        ctx.saved_tensors = saved
    return [None if x is None else x if isinstance(x, Tensor)
            else Tensor._wrap(np.asarray(x)) for x in grads]


class _UserNode:
    """The engine-facing side of a user Function (array in, arrays out)."""
    user = None

    @classmethod
    def backward(cls, ctx, g):
        Tensor = _ag.Tensor
        grads = _call_user_backward(cls, ctx, _split_grads(
            ctx, Tensor._wrap(g), lambda shape, dtype: Tensor._wrap(np.zeros(shape, dtype))))
        out = []
        for x in grads:
            if x is None:
                out.append(None)
            else:
                out.append(x._data if isinstance(x, Tensor) else np.asarray(x))
        return tuple(out)


ONCE_ERROR = ("[autograd] trying to differentiate twice a function that was marked with "
              "@once_differentiable")


class _DelayedError(_ag.Function):
    """Identity whose backward raises: the gradients of a once_differentiable backward that
    were computed while differentiable inputs were around (torch's DelayedError)."""
    delayed_error = ONCE_ERROR

    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError(ONCE_ERROR)


def once_differentiable(fn):
    """torch.autograd.function.once_differentiable: the decorated backward runs without
    recording; its results raise if something later tries to differentiate through them."""
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with _ag.no_grad():
            outputs = fn(ctx, *args)
        if not _ag.is_grad_enabled() or not any(
                isinstance(a, _ag.Tensor) and a.requires_grad for a in args):
            return outputs
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        # detached aliases that require grad, so the error node is recorded (as torch)
        wrapped = tuple(_DelayedError.apply(o.detach().requires_grad_(True))
                        if isinstance(o, _ag.Tensor) and o._data.dtype.kind == "f" else o
                        for o in outs)
        return wrapped[0] if single else wrapped
    return wrapper
