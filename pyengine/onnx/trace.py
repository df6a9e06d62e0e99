"""Export by tracing: models with their own forward() (pe.nn Modules, Keras functional and
subclassed models) run once on the example input, and the run is read back as a graph.

Supported layers (the Sequential exporter's tables) are recorded whole when called: their ONNX
comes from their configuration and weights, as in a Sequential. What happens between them (the
forward's own `F.relu`, `x.view(...)`, `torch.flatten`, residual `+`, `torch.cat`, softmax ...)
is read from the autograd graph: the example input requires grad, so every op that depends on
it records a node, and the node's Function with the parameters it was called with maps to ONNX
operators. While tracing, each Function's forward is wrapped to keep those parameters (they are
not part of the graph otherwise) and the innermost running layer (for error messages); the
wrappers are removed afterwards. A tensor that reaches the graph without a node must be a
parameter, a buffer or a scalar: anything else (made inside forward without autograd, or from
the batch size) cannot be exported faithfully and raises NotImplementedError naming the op."""
import contextlib

import numpy as np

from ..autograd import Function, enable_grad, node_inputs
from ..tensor import Tensor
from . import ops_map


def _functions(cls=Function):
    for sub in cls.__subclasses__():
        yield sub
        yield from _functions(sub)


class Trace:
    def __init__(self, is_leaf):
        self.is_leaf = is_leaf
        self.leaves = {}   # id(output) -> (layer, input tensor, output tensor)
        self.keep = []     # keeps traced tensors alive, so their ids stay unique
        self.stack = []    # layers being called (innermost last)

    @contextlib.contextmanager
    def patched(self):
        from ..keras.layers.base import Layer
        from ..nn.module import Module
        saved = []
        try:
            for c in set(_functions()):
                if "forward" in c.__dict__:
                    saved.append((c, "forward", c.__dict__["forward"]))
                    c.forward = staticmethod(self._wrap_forward(c.forward))
            for c in (Module, Layer):
                saved.append((c, "__call__", c.__dict__["__call__"]))
                c.__call__ = self._wrap_call(c.__dict__["__call__"])
            yield self
        finally:
            for c, attr, orig in reversed(saved):
                setattr(c, attr, orig)

    def _wrap_forward(self, orig):
        stack = self.stack

        def forward(ctx, *args, **params):
            ctx.onnx_args, ctx.onnx_params = args, params
            ctx.onnx_where = stack[-1] if stack else None
            return orig(ctx, *args, **params)
        return forward

    def _wrap_call(self, orig):
        trace = self

        def __call__(layer, *args, **kwargs):
            trace.stack.append(layer)
            try:
                out = orig(layer, *args, **kwargs)
            finally:
                trace.stack.pop()
            x = args[0] if args else kwargs.get("inputs", kwargs.get("input"))
            if (trace.is_leaf(layer) and isinstance(out, Tensor) and isinstance(x, Tensor)
                    and out is not x and not any(trace.is_leaf(o) for o in trace.stack)):
                trace.leaves[id(out)] = (layer, x, out)
                trace.keep.append(out)
            return out
        return __call__


def trace_model(model, x0, keras, is_leaf):
    """Run `model` on a copy of `x0` that requires grad; returns (trace, input, output)."""
    # An integer input (token ids) cannot require grad; the ops on it then fail to trace and
    # the first one that uses the parameters names itself as unsupported.
    x = Tensor._from_data(x0._data.copy(), requires_grad=x0._data.dtype.kind == "f")
    tr = Trace(is_leaf)
    with enable_grad(), tr.patched():
        out = model(x, training=False) if keras else model(x)
    if not isinstance(out, Tensor):
        raise NotImplementedError(f"[onnx.export] {type(model).__name__} returns "
                                  f"{type(out).__name__}; only a single output tensor is "
                                  "exported")
    return tr, x, out


class Emitter:
    """Names of traced tensors in the ONNX graph, emitting each producer once."""

    def __init__(self, g, tr, x, input_name, emit_leaf, known):
        self.g, self.tr, self.emit_leaf = g, tr, emit_leaf
        self.names = {id(x): input_name}
        self.known = known  # ids of storage arrays of parameters and buffers

    def name(self, t):
        key = id(t)
        if key in self.names:
            return self.names[key]
        todo = [t]
        while todo:  # iterative post-order: deep graphs need no recursion
            cur = todo[-1]
            deps = [d for d in self._inputs(cur) if d is not None and id(d) not in self.names]
            if deps:
                todo.extend(deps)
                continue
            todo.pop()
            if id(cur) not in self.names:
                self.names[id(cur)] = self._emit(cur)
        return self.names[key]

    def _computed(self, t):
        return t._node is not None or id(t) in self.tr.leaves

    def _inputs(self, t):
        """The computed tensors `t` is made from (constants are named when first used, so an
        op that rewrites a weight, e.g. reordered gates, leaves no unused initializer)."""
        leaf = self.tr.leaves.get(id(t))
        if leaf is not None:
            deps = [leaf[1]]
        elif t._node is not None:
            deps = [i for i in node_inputs(t._node) if isinstance(i, Tensor)]
        else:
            deps = []
        return [d for d in deps if self._computed(d)]

    def ref(self, t):
        """The name of a tensor already emitted, or of a new constant for it."""
        key = id(t)
        if key not in self.names:
            self.names[key] = self._constant(t)
        return self.names[key]

    def _emit(self, t):
        leaf = self.tr.leaves.get(id(t))
        if leaf is not None:
            layer, x, out = leaf
            return self.emit_leaf(self.g, layer, self.ref(x), x.shape, out.shape)
        if t._node is None:
            return self._constant(t)
        return ops_map.emit(self, t, t._node)

    def _constant(self, t):
        a = t._data
        if a.size > 1 and id(a) not in self.known and not t.requires_grad:
            raise NotImplementedError(
                f"[onnx.export] a tensor of shape {tuple(a.shape)} enters the graph without "
                "being computed from the input by a traced op, and it is not a parameter or "
                "buffer (made inside forward without autograd, or sized by the batch); it "
                "cannot be exported")
        return self.g.const("const", a.astype(np.float32) if a.dtype.kind == "f" else a)

    def arg(self, node, i, dtype=np.float32):
        """The name of the i-th argument of `node`: a traced tensor or a constant."""
        inputs = node_inputs(node)
        inp = inputs[i] if i < len(inputs) else None
        if isinstance(inp, Tensor):
            return self.ref(inp)
        v = np.asarray(node.ctx.onnx_args[i])
        return self.g.const("const", v.astype(dtype) if v.dtype.kind in "fiub" else v)
