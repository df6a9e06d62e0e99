"""Reverse-mode automatic differentiation.

A `Function` computes its forward on backend arrays and, when any input requires a gradient,
records a `Node` on the output tensor. `backward()` orders the recorded nodes topologically
(iteratively: a chain of 10,000 ops needs no recursion) and walks them once in reverse, calling
each node's backward. Gradients of broadcast inputs are summed back to the input's shape here,
once, so no op has to repeat that logic.
"""
import contextlib
import threading

import numpy as np

from .backend import get_backend

_state = threading.local()


def is_grad_enabled():
    return getattr(_state, "enabled", True)


def set_grad_enabled(mode):
    _state.enabled = bool(mode)


class _GradMode(contextlib.ContextDecorator):
    def __init__(self, mode):
        self.mode = mode

    def __enter__(self):
        self.prev = is_grad_enabled()
        set_grad_enabled(self.mode)

    def __exit__(self, *exc):
        set_grad_enabled(self.prev)
        return False


def no_grad():
    """Context manager / decorator: ops inside record no graph (inference, optimizer steps)."""
    return _GradMode(False)


def enable_grad():
    return _GradMode(True)


class Context:
    """Per-call scratch space of a Function: what backward needs, and which inputs want grads."""

    def __init__(self, backend, needs_input_grad):
        self.backend = backend
        self.needs_input_grad = needs_input_grad
        self.saved_tensors = ()

    def save_for_backward(self, *arrays):
        self.saved_tensors = arrays


class Node:
    __slots__ = ("fn", "ctx", "inputs", "freed")

    def __init__(self, fn, ctx, inputs):
        self.fn, self.ctx, self.inputs, self.freed = fn, ctx, inputs, False

    @property
    def name(self):
        return self.fn.__name__ + "Backward"


class Function:
    """Base of differentiable ops. Subclasses define, side by side:

    ``forward(ctx, *args, **params) -> array`` on backend arrays (Tensor args arrive unwrapped), and
    ``backward(ctx, grad) -> one gradient (array or None) per positional arg``.
    """

    @staticmethod
    def forward(ctx, *args, **params):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **params):
        device = None
        record = False
        arrays = []
        for a in args:
            if isinstance(a, Tensor):
                if device is None:
                    device = a.device
                elif a.device != device:
                    raise RuntimeError(f"[{cls.__name__.lower()}] tensors on different devices: "
                                       f"{device} and {a.device}")
                record = record or a.requires_grad
                arrays.append(a.data)
            else:
                arrays.append(a)
        record = record and is_grad_enabled()
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args) if record else None
        ctx = Context(get_backend(device) if device is not None else _cpu_backend, needs)
        out = cls.forward(ctx, *arrays, **params)
        result = Tensor._wrap(out, device)
        if record:
            result.requires_grad = True
            result._node = Node(cls, ctx, tuple(a if isinstance(a, Tensor) else None for a in args))
        return result


def _sum_to_shape(grad, shape):
    """Sum a broadcast gradient back to `shape` (NumPy broadcasting rules in reverse)."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


def _topological_order(root):
    order, visited, stack = [], set(), [(root, False)]
    while stack:
        t, done = stack.pop()
        if done:
            order.append(t)
            continue
        if id(t) in visited:
            continue
        visited.add(id(t))
        stack.append((t, True))
        for inp in t._node.inputs:
            if inp is not None and inp._node is not None and id(inp) not in visited:
                stack.append((inp, False))
    return order


def backward(tensor, gradient=None, retain_graph=False):
    """Accumulate d(tensor)/d(leaf) into every leaf's ``.grad``."""
    if not tensor.requires_grad:
        raise RuntimeError("[backward] tensor does not require grad and has no grad_fn")
    if gradient is None:
        if tensor.data.size != 1:
            raise RuntimeError(f"[backward] grad can be implicitly created only for scalar outputs; "
                               f"got shape {tensor.shape}: pass gradient=")
        g0 = np.ones_like(tensor.data)
    else:
        g0 = gradient.data if isinstance(gradient, Tensor) else np.asarray(gradient)
        if g0.shape != tensor.data.shape:
            raise ValueError(f"[backward] gradient has shape {g0.shape}, expected {tensor.shape}")
        g0 = g0.astype(tensor.data.dtype, copy=False)
    if tensor._node is None:  # a leaf: d(leaf)/d(leaf) = 1
        tensor._accumulate(g0)
        return
    grads = {id(tensor): g0}
    with no_grad():
        for t in reversed(_topological_order(tensor)):
            node = t._node
            g = grads.pop(id(t), None)
            if g is None:
                continue
            if node.freed:
                raise RuntimeError("[backward] trying to backward through the graph a second time; "
                                   "pass retain_graph=True to the first backward()")
            if t._retain_grad:
                t._accumulate(g)
            in_grads = node.fn.backward(node.ctx, g)
            if not isinstance(in_grads, tuple):
                in_grads = (in_grads,)
            for inp, ig in zip(node.inputs, in_grads):
                if inp is None or ig is None or not inp.requires_grad:
                    continue
                ig = _sum_to_shape(np.asarray(ig), inp.data.shape)
                if ig.dtype != inp.data.dtype:
                    ig = ig.astype(inp.data.dtype)
                if inp._node is None:
                    inp._accumulate(ig)
                else:
                    prev = grads.get(id(inp))
                    grads[id(inp)] = ig if prev is None else prev + ig
            if not retain_graph:
                node.ctx = None
                node.freed = True


def grad(outputs, inputs, grad_outputs=None, retain_graph=False):
    """Gradients of `outputs` w.r.t. `inputs`, returned instead of accumulated into ``.grad``."""
    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    saved = [(t.grad, t._retain_grad) for t in inputs]
    for t in inputs:
        t.grad = None
        if t._node is not None:
            t._retain_grad = True
    try:
        backward(outputs, grad_outputs, retain_graph=retain_graph)
        return tuple(t.grad for t in inputs)
    finally:
        for t, (g, r) in zip(inputs, saved):
            t.grad, t._retain_grad = g, r


from . import backend as _backend_pkg  # noqa: E402
from .tensor import Tensor  # noqa: E402  (tensor.py imports this module first)

_cpu_backend = _backend_pkg.cpu
