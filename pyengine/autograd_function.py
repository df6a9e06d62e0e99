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

A forward returning several tensors (a tuple) is refused with a clear error: the engine's nodes
have one output. ctx.mark_dirty (in-place custom Functions) is refused too."""
import numpy as np

from . import autograd as _ag


class FunctionCtx(_ag.Context):
    """The ctx a user's forward / backward receive."""

    materialize_grads = True

    def save_for_backward(self, *tensors):
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
    if isinstance(out, (tuple, list)):
        if len(out) != 1:
            raise NotImplementedError(
                f"[autograd.Function] {cls.__name__}.forward returned {len(out)} outputs; "
                "pyengine's custom Functions return one tensor (stack or concatenate them, or "
                "write one Function per output)")
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
        result.requires_grad = True
        result._node = _ag.Node(cls._node_fn, ctx,
                                tuple(a if isinstance(a, Tensor) else None for a in args))
        _ag.note_constant_versions(result._node)
    return result


class _UserNode:
    """The engine-facing side of a user Function (array in, arrays out)."""
    user = None

    @classmethod
    def backward(cls, ctx, g):
        Tensor = _ag.Tensor
        grads = cls.user.backward(ctx, Tensor._wrap(g))
        if not isinstance(grads, tuple):
            grads = (grads,)
        if len(grads) != ctx.n_args:
            # torch's rule: one entry per forward input (None for those without a gradient)
            if len(grads) > ctx.n_args and all(x is None for x in grads[ctx.n_args:]):
                grads = grads[:ctx.n_args]
            else:
                raise RuntimeError(f"[autograd.Function] {cls.user.__name__}.backward returned "
                                   f"an incorrect number of gradients (expected "
                                   f"{ctx.n_args}, got {len(grads)})")
        out = []
        for x in grads:
            if x is None:
                out.append(None)
            else:
                out.append(x._data if isinstance(x, Tensor) else np.asarray(x))
        return tuple(out)
