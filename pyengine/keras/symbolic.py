"""Symbolic tensors of the functional API. `keras.Input(shape=(None, 8))` returns a KerasTensor;
a layer called on KerasTensors records a Node (layer, its call arguments, its outputs) and
returns new KerasTensors. `keras.Model(inputs, outputs)` walks the nodes back from the outputs
(keras/functional.py).

Shapes are found by running the layer, once, on two small example batches that every KerasTensor
carries (batch 2 and 3; a None dimension is 8 in one and 9 in the other): a dimension that
differs between the two results is None. Building the layer's weights and checking its input
happen in that run, so a shape error is raised when the graph is built, naming the layer and the
input shape it received."""
import operator

import numpy as np

from ..autograd import no_grad
from ..tensor import Tensor
from . import tree

_SIZES = ((2, 8), (3, 9))  # (batch, None-dimension) of the two example batches


class KerasTensor:
    """A symbolic tensor: shape (None for unknown dimensions), dtype, name and the node that
    made it (`_keras_history` = (layer, node_index, tensor_index))."""

    def __init__(self, shape, dtype, examples, history, name=None):
        self.shape = tuple(shape)
        self.dtype = dtype
        self._examples = examples
        self._keras_history = history
        self.name = name or f"{history[0].name}_output_{history[2]}"

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    def __len__(self):
        raise TypeError("[KerasTensor] a symbolic tensor has no length; use .shape")

    def __bool__(self):
        raise TypeError("[KerasTensor] a symbolic tensor has no truth value")

    __hash__ = object.__hash__

    # arithmetic on symbolic tensors records an op node (Keras 3 does the same)
    # (the operator module's functions: a saved model refers to them by name)
    def __add__(self, o): return symbolic_op(operator.add, self, o, name="add")
    def __radd__(self, o): return symbolic_op(operator.add, o, self, name="add")
    def __sub__(self, o): return symbolic_op(operator.sub, self, o, name="subtract")
    def __rsub__(self, o): return symbolic_op(operator.sub, o, self, name="subtract")
    def __mul__(self, o): return symbolic_op(operator.mul, self, o, name="multiply")
    def __rmul__(self, o): return symbolic_op(operator.mul, o, self, name="multiply")
    def __truediv__(self, o): return symbolic_op(operator.truediv, self, o, name="divide")
    def __rtruediv__(self, o): return symbolic_op(operator.truediv, o, self, name="divide")
    def __pow__(self, o): return symbolic_op(operator.pow, self, o, name="power")
    def __matmul__(self, o): return symbolic_op(operator.matmul, self, o, name="matmul")
    def __gt__(self, o): return symbolic_op(operator.gt, self, o, name="greater")
    def __ge__(self, o): return symbolic_op(operator.ge, self, o, name="greater_equal")
    def __lt__(self, o): return symbolic_op(operator.lt, self, o, name="less")
    def __le__(self, o): return symbolic_op(operator.le, self, o, name="less_equal")
    def __neg__(self): return symbolic_op(operator.neg, self, name="negative")
    def __abs__(self): return symbolic_op(operator.abs, self, name="absolute")

    def __getitem__(self, key):
        return symbolic_op(operator.getitem, self, key, name="get_item")


def is_symbolic(x):
    return any(isinstance(leaf, KerasTensor) for leaf in tree.flatten(x))


def input_tensor(layer):
    """The output KerasTensor of an InputLayer."""
    kind = np.dtype(layer.input_dtype)
    examples = []
    for batch, free in _SIZES:
        shape = (layer.shape[0] or batch,) + tuple(free if d is None else d
                                                   for d in layer.shape[1:])
        examples.append(np.zeros(shape, np.float32 if kind.kind == "f" else kind))
    t = KerasTensor((layer.shape[0],) + layer.shape[1:], layer.input_dtype, tuple(examples),
                    (layer, 0, 0), name=layer.name)
    layer._inbound_nodes.append(Node(layer, (t,), {}, t))
    return t


class Node:
    """One call of a layer in a functional graph: call_args (the first is the inputs
    structure; KerasTensors inside are filled at run time), call_kwargs, and the output
    structure of KerasTensors."""

    def __init__(self, layer, call_args, call_kwargs, outputs):
        self.layer, self.call_args, self.call_kwargs, self.outputs = \
            layer, call_args, call_kwargs, outputs

    @property
    def parents(self):
        """KerasTensors this node reads (none for an input)."""
        if not self.call_args or self.call_args[0] is self.outputs:
            return []
        return [t for t in tree.flatten((self.call_args, self.call_kwargs))
                if isinstance(t, KerasTensor)]


def _example_of(which):
    def pick(x):
        return Tensor._wrap(x._examples[which]) if isinstance(x, KerasTensor) else x
    return pick


def _shape_str(x):
    return tree.map_structure(lambda t: t.shape if isinstance(t, KerasTensor) else t, x)


def call_symbolic(layer, inputs, args, kwargs):
    """Run `layer` on the example batches behind symbolic `inputs`; record and return the
    output KerasTensors."""
    kwargs = dict(kwargs)
    kwargs.pop("training", None)
    results = []
    for which in (0, 1):
        pick = _example_of(which)
        ex_in = tree.map_structure(pick, inputs)
        ex_args = tree.map_structure(pick, args)
        ex_kw = tree.map_structure(pick, kwargs)
        try:
            with no_grad(), np.errstate(all="ignore"):
                results.append(layer(ex_in, *ex_args, training=False, **ex_kw))
        except (ValueError, TypeError, IndexError) as e:
            msg = str(e)
            raise type(e)(f"[{layer.name}] cannot be called on input of shape "
                          f"{_shape_str(inputs)}: {msg}") from None
    flat1, flat2 = tree.flatten(results[0]), tree.flatten(results[1])
    node_index = len(layer._inbound_nodes)
    outs = []
    for i, (a, b) in enumerate(zip(flat1, flat2)):
        if not isinstance(a, Tensor):
            raise TypeError(f"[{layer.name}] call() returned {type(a).__name__}; layers in a "
                            "functional model must return tensors (or structures of them)")
        sa, sb = a.shape, b.shape
        shape = tuple(x if x == y else None for x, y in zip(sa, sb)) if len(sa) == len(sb) \
            else (None,) * len(sa)
        outs.append(KerasTensor(shape, str(a._data.dtype), (a._data, b._data),
                                (layer, node_index, i)))
    outputs = tree.pack_sequence_as(results[0], outs)
    layer._inbound_nodes.append(Node(layer, (inputs,) + tuple(args), kwargs, outputs))
    return outputs


def graph_op(fn):
    """fn, recording a graph node (symbolic_op) when any argument, at any nesting, is a
    KerasTensor: the wrapper of keras.ops (ops.py, ops_more.py). tf_names.symbolic_aware is the
    torch face's lighter version (one level of lists, no import of this module)."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if is_symbolic((args, kwargs)):
            return symbolic_op(fn, *args, name=fn.__name__, **kwargs)
        return fn(*args, **kwargs)
    return wrapper


def symbolic_op(fn, *args, name="op", **kwargs):
    """fn(*args, **kwargs) as a node of the graph (an OpLayer whose inputs are the
    KerasTensors among the arguments, marked {"__input__": i} in its arguments; every other
    argument is kept as a constant)."""
    from .layers.code_layers import OpLayer
    symbols = []

    def mark(a):
        if isinstance(a, KerasTensor):
            symbols.append(a)
            return {"__input__": len(symbols) - 1}
        if isinstance(a, (list, tuple)):
            return type(a)(mark(v) for v in a)
        if isinstance(a, dict):
            return {k: mark(v) for k, v in a.items()}
        return a
    marked_args, marked_kwargs = mark(list(args)), mark(dict(kwargs))
    return OpLayer(fn, marked_args, marked_kwargs, name=_unique(name))(symbols)


def _unique(base):
    from .utils import unique_name
    return unique_name(base)
