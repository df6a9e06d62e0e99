"""torch.utils.checkpoint: activation checkpointing. `checkpoint(function, *args)` runs function
without recording a graph (only the inputs are kept) and puts one node in the graph; when the
backward reaches that node it runs function again with gradients on, from pyengine's generator
state at the first run (so dropout draws the same mask), and backpropagates through the
recomputed graph: parameters used inside get their .grad there, the inputs' gradients flow on.

    y = checkpoint(block, x, use_reentrant=False)     # block's activations are not kept

use_reentrant selects PyTorch's two behaviours where they differ: with True (PyTorch's default
when None is passed, with its warning) nothing is recorded when no tensor argument requires
grad, as PyTorch's reentrant variant; with False parameters get gradients whatever the inputs.
Both give the gradients of the plain call (tests/test_torch_names_more.py).

Limits: a forward that returns nested containers or dicts is not supported (a tensor, or a
tuple / list of tensors and other values); tensors captured by the function that are not module
parameters and not arguments get no gradient through the checkpoint when they are not leaves
(as PyTorch's reentrant variant); double backward (create_graph=True) through a checkpoint
raises."""
import functools
import warnings

import numpy as np

from .. import autograd as _autograd
from .. import random as _random
from ..autograd import Function
from ..tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential"]


def _module_needs_grad(obj, depth=0):
    """Whether obj (a Module, a bound method of one, a partial, a closure) holds parameters or
    leaf tensors that require grad, so that a non-reentrant checkpoint has something to
    differentiate even when no argument requires grad."""
    from ..nn import Module
    if depth > 3 or obj is None:
        return False
    if isinstance(obj, Tensor):
        return obj.requires_grad
    if isinstance(obj, Module):
        return any(p.requires_grad for p in obj.parameters())
    if isinstance(obj, (list, tuple)):
        return any(_module_needs_grad(o, depth + 1) for o in obj)
    if isinstance(obj, functools.partial):
        return (_module_needs_grad(obj.func, depth + 1) or
                any(_module_needs_grad(a, depth + 1) for a in obj.args) or
                any(_module_needs_grad(v, depth + 1) for v in obj.keywords.values()))
    if _module_needs_grad(getattr(obj, "__self__", None), depth + 1):
        return True
    cells = getattr(obj, "__closure__", None) or ()
    for c in cells:
        try:
            v = c.cell_contents
        except ValueError:  # an empty cell
            continue
        if _module_needs_grad(v, depth + 1):
            return True
    glb = getattr(obj, "__globals__", None)
    code = getattr(obj, "__code__", None)
    if glb is not None and code is not None:
        for name in code.co_names:
            v = glb.get(name)
            if isinstance(v, (Tensor, Module)) and _module_needs_grad(v, depth + 1):
                return True
    return None if callable(obj) else False


class CheckpointFunction(Function):
    """One node for the checkpointed call: forward returns the packed outputs of the first
    (unrecorded) run; backward recomputes and backpropagates through the recomputed graph."""

    @staticmethod
    def forward(ctx, *arrays, run=None):
        ctx.run = run
        return run.packed

    @staticmethod
    def backward(ctx, g):
        return ctx.run.backward(g)


class _Run:
    def __init__(self, function, args, kwargs, preserve, rng_state, grad_inputs):
        self.function, self.args, self.kwargs = function, args, kwargs
        self.preserve, self.rng_state = preserve, rng_state
        self.grad_inputs = grad_inputs  # the args that require grad: the node's inputs
        self.packed = None
        self.layout = None  # per packed output: (position, shape, dtype, offset, size)

    def pack(self, outputs):
        tensors = [(i, o) for i, o in enumerate(outputs)
                   if isinstance(o, Tensor) and o._data.dtype.kind == "f"]
        if not tensors:
            return False
        big = np.result_type(*[o._data.dtype for _, o in tensors])
        self.layout, chunks, off = [], [], 0
        for i, o in tensors:
            self.layout.append((i, tuple(o.shape), o._data.dtype, off, o._data.size))
            chunks.append(o._data.reshape(-1).astype(big, copy=False))
            off += o._data.size
        if len(tensors) == 1:  # one output: the node's own output, in its shape
            self.packed = tensors[0][1]._data
        else:
            self.packed = np.concatenate(chunks)
        return True

    def unpack(self, node_out, outputs):
        from ..dtypes import as_dtype
        out = list(outputs)
        if len(self.layout) == 1:
            out[self.layout[0][0]] = node_out
            return out
        for i, shape, dt, off, size in self.layout:
            piece = node_out[off:off + size].reshape(shape)
            out[i] = piece if piece._data.dtype == dt else piece.to(as_dtype(dt.name))
        return out

    def backward(self, g):
        if _autograd.is_grad_enabled():  # autograd_higher's create_graph walk records
            raise RuntimeError("[checkpoint] double backward (create_graph=True) through a "
                               "checkpoint is not supported; call the function directly")
        g = g.reshape(-1)
        inputs = [a.detach().requires_grad_(a.requires_grad) if isinstance(a, Tensor) else a
                  for a in self.args]
        now = _random.get_rng_state() if self.preserve else None
        try:
            if self.preserve:
                _random.set_rng_state(self.rng_state)
            with _autograd.enable_grad():
                outs = _as_list(self.function(*inputs, **self.kwargs))
        finally:
            if self.preserve:
                _random.set_rng_state(now)
        total = None
        for i, shape, dt, off, size in self.layout:
            o = outs[i] if i < len(outs) else None
            if not isinstance(o, Tensor) or tuple(o.shape) != shape:
                raise RuntimeError(f"[checkpoint] the recomputed output {i} differs from the "
                                   "first run's (the function is not deterministic in shape)")
            if not o.requires_grad:
                continue
            gi = g[off:off + size].reshape(shape).astype(o._data.dtype, copy=False)
            with _autograd.enable_grad():  # the outer walk runs with recording off
                term = (o * Tensor._wrap(gi)).sum()
                total = term if total is None else total + term
        if total is not None:
            # the inner walk accumulates into parameters' .grad and the detached inputs' .grad;
            # _backward (not backward) keeps hooks' queued callbacks on the outer walk's list
            _autograd._backward(total, None, False, False, None)
        pos = {id(a): k for k, a in enumerate(self.args)}
        grads = []
        for a in self.grad_inputs:
            t = inputs[pos[id(a)]]
            grads.append(None if t.grad is None else t.grad._data)
        return tuple(grads) + (None,)


def _as_list(out):
    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, (tuple, list)):
        return list(out)
    return [out]


def _restore(structure, items):
    if isinstance(structure, Tensor):
        return items[0]
    if isinstance(structure, tuple):
        return type(structure)(items) if type(structure) is tuple else type(structure)(*items)
    if isinstance(structure, list):
        return items
    return structure


def checkpoint(function, *args, use_reentrant=None, context_fn=None, determinism_check="default",
               debug=False, early_stop=True, **kwargs):
    """function(*args, **kwargs), keeping only the inputs for the backward, which recomputes
    the activations (torch.utils.checkpoint.checkpoint). preserve_rng_state=True (default)
    replays pyengine's generator so that dropout masks match; use_reentrant: see the module
    docstring. context_fn / debug / determinism_check other than the defaults are not
    supported; early_stop only changes when PyTorch stops its recomputation, not the result."""
    op = "checkpoint"
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint: the use_reentrant parameter should be passed "
                      "explicitly; use_reentrant=False is recommended (None means True, as in "
                      "PyTorch)", UserWarning, stacklevel=2)
        use_reentrant = True
    preserve = bool(kwargs.pop("preserve_rng_state", True))
    if kwargs and use_reentrant:
        raise ValueError("[checkpoint] Unexpected keyword arguments: " + ",".join(kwargs) +
                         " (keyword arguments for the function need use_reentrant=False)")
    if context_fn is not None:
        raise NotImplementedError(f"[{op}] context_fn is not supported")
    if debug:
        raise NotImplementedError(f"[{op}] debug=True is not supported")
    if determinism_check not in ("default", "none"):
        raise ValueError(f"[{op}] determinism_check must be 'default' or 'none', got "
                         f"{determinism_check!r}")
    if not callable(function):
        raise TypeError(f"[{op}] function must be callable, got {type(function).__name__}")
    grad_inputs = [a for a in args if isinstance(a, Tensor) and a.requires_grad]
    if not _autograd.is_grad_enabled():
        return function(*args, **kwargs)
    if not grad_inputs:
        if use_reentrant:
            warnings.warn("None of the inputs have requires_grad=True. Gradients will be None",
                          UserWarning, stacklevel=2)
            with _autograd.no_grad():
                return function(*args, **kwargs)
        if not _module_needs_grad(function):
            # nothing known to need a gradient inside: the plain call gives exactly PyTorch's
            # answer (a captured non-parameter tensor would be missed by a checkpoint)
            return function(*args, **kwargs)
    rng_state = _random.get_rng_state() if preserve else None
    with _autograd.no_grad():
        outputs = function(*args, **kwargs)
    run = _Run(function, args, kwargs, preserve, rng_state, grad_inputs)
    items = _as_list(outputs)
    if not isinstance(outputs, (Tensor, tuple, list)) or not run.pack(items):
        return outputs  # no floating tensor output: nothing to differentiate
    dummy = Tensor._wrap(np.zeros(()))
    dummy.requires_grad = True  # records the node when only the parameters need grad
    node_out = CheckpointFunction.apply(*grad_inputs, dummy, run=run)
    return _restore(outputs, run.unpack(node_out, items))


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Run a Sequential (or a list of modules) in `segments` pieces, checkpointing all but the
    last (torch.utils.checkpoint.checkpoint_sequential)."""
    op = "checkpoint_sequential"
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError(f"[{op}] Unexpected keyword arguments: " + ",".join(kwargs))
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint.checkpoint_sequential: the use_reentrant "
                      "parameter should be passed explicitly (None means True, as in PyTorch)",
                      UserWarning, stacklevel=2)
        use_reentrant = True
    from ..nn import Sequential
    if isinstance(functions, Sequential):
        functions = list(functions.children())
    functions = list(functions)
    if isinstance(segments, bool) or not isinstance(segments, int) or segments < 1:
        raise ValueError(f"[{op}] segments must be a positive int, got {segments!r}")
    if segments > max(len(functions), 1):
        raise ValueError(f"[{op}] {segments} segments for {len(functions)} functions")

    def run_function(start, end):
        def forward(x):
            for j in range(start, end + 1):
                x = functions[j](x)
            return x
        forward.__self__ = functions[start:end + 1]  # what _module_needs_grad inspects
        return forward

    size = len(functions) // segments
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run_function(start, end), input, use_reentrant=use_reentrant,
                           preserve_rng_state=preserve)
    return run_function(end + 1, len(functions) - 1)(input)
