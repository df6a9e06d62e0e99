"""Symbolic tensors of the functional API. `keras.Input(shape=(None, 8))` returns a KerasTensor;
a layer called on KerasTensors records a Node (layer, its call arguments, its outputs) and
returns new KerasTensors. `keras.Model(inputs, outputs)` walks the nodes back from the outputs
(keras/functional.py).

Shapes are found by running the layer, once, on two small example batches that every KerasTensor
carries (batch 2 and 3; a None dimension is 8 in one and 9 in the other): a dimension that
differs between the two results is None. Building the layer's weights and checking its input
happen in that run, so a shape error is raised when the graph is built, naming the layer and the
input shape it received."""
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
    def __add__(self, o): return symbolic_op(lambda a, b: a + b, self, o, name="add")
    def __radd__(self, o): return symbolic_op(lambda a, b: b + a, self, o, name="add")
    def __sub__(self, o): return symbolic_op(lambda a, b: a - b, self, o, name="subtract")
    def __rsub__(self, o): return symbolic_op(lambda a, b: b - a, self, o, name="subtract")
    def __mul__(self, o): return symbolic_op(lambda a, b: a * b, self, o, name="multiply")
    def __rmul__(self, o): return symbolic_op(lambda a, b: b * a, self, o, name="multiply")
    def __truediv__(self, o): return symbolic_op(lambda a, b: a / b, self, o, name="divide")
    def __rtruediv__(self, o): return symbolic_op(lambda a, b: b / a, self, o, name="divide")
    def __pow__(self, o): return symbolic_op(lambda a, b: a ** b, self, o, name="power")
    def __matmul__(self, o): return symbolic_op(lambda a, b: a @ b, self, o, name="matmul")
    def __neg__(self): return symbolic_op(lambda a: -a, self, name="negative")
    def __abs__(self): return symbolic_op(lambda a: abs(a), self, name="absolute")

    def __getitem__(self, key):
        return symbolic_op(lambda a: a[key], self, name="get_item")


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


def symbolic_op(fn, *args, name="op", **kwargs):
    """fn(*args, **kwargs) as a node of the graph (a Lambda layer whose inputs are the
    KerasTensors among the arguments; every other argument is kept as a constant)."""
    from .layers.core import Lambda
    flat = tree.flatten((args, kwargs))
    symbols = [a for a in flat if isinstance(a, KerasTensor)]

    def run(xs):
        it = iter(xs)
        leaves = [next(it) if isinstance(a, KerasTensor) else a for a in flat]
        a2, k2 = tree.pack_sequence_as((args, kwargs), leaves)
        return fn(*a2, **k2)
    return Lambda(run, name=_unique(name))(symbols)


def _unique(base):
    from .utils import unique_name
    return unique_name(base)
