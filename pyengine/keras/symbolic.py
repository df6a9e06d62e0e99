"""Symbolic tensors of the functional API. `keras.Input(shape=(None, 8))` returns a KerasTensor;
a layer called on KerasTensors records a Node (layer, its call arguments, its outputs) and
returns new KerasTensors. `keras.Model(inputs, outputs)` walks the nodes back from the outputs
(keras/functional.py).

Shapes are found by running the layer, once, on two small example batches that every KerasTensor
carries (batch 2 and 3; a None dimension is 8 in one and 9 in the other): a dimension that
differs between the two results is None. Building the layer's weights and checking its input
happen in that run, so a shape error is raised when the graph is built, naming the layer and the
input shape it received. A layer that fails on examples this short while a None dimension lies
upstream (keras-io's text CNN: Conv1D(kernel 7, stride 3) twice after Input((None,))) is tried
again on longer ones (_SIZES' next level): the nodes from the graph's inputs are replayed at
those sizes, and a dimension found to differ there becomes None too. A layer that still fails
where an input has several None dimensions is tried once more at the broadcast level
(_BROADCAST): the first None dimension is 8 / 9 and the others 1, which broadcasts as
TensorFlow's unknown dimensions do (keras-io video_transformers adds (frames, 1024) position
embeddings to Input((None, None)): (None, None, 1024)); one with a single None dimension is
tried once at lengths 512 / 768 (_DIVISIBLE), which every pooling window up to 256 divides
(keras-io pointnet_segmentation tiles MaxPool1D(pool_size=num_points) back to num_points and
concatenates it with the per-point features)."""
import operator
import threading

import numpy as np

from .. import string_dtype as _sd
from ..autograd import no_grad
from ..ops.shape_errors import InputTooSmallError
from ..tensor import Tensor
from . import tree

# (batch, None-dimension) of the two example batches, per level; the later levels' lengths
# differ by more than common strides, so a strided layer's output length still differs, and
# are both multiples of 32 / 256: an encoder-decoder on a None x None image (keras-io MIRNet:
# MaxPooling2D twice, UpSampling2D twice, added to its input) gives back its input's size,
# where 97 -> 48 -> 24 -> 96 did not match 97 in the Add. The
# long levels (from _LONG on: audio lengths, keras-io's STFT example feeds 640-sample frames to
# long Conv1D kernels) are tried only after an InputTooSmallError (a window longer than its
# input) and only for inputs with one None dimension (a None x None image stays small).
_SIZES = (((2, 8), (3, 9)), ((2, 64), (3, 96)), ((2, 512), (3, 768)),
          ((2, 4096), (3, 4591)), ((2, 40960), (3, 45131)),
          ((2, (8, 1)), (3, (9, 1))), ((2, 512), (3, 768)))
_LONG = 3
# fallback levels, tried only when the levels before them failed: the broadcast level (first
# None dimension, the other None dimensions), and lengths divisible by every power of two up to
# 256 (a MaxPool1D(pool_size=num_points) whose result is tiled back to the input's length)
_BROADCAST, _DIVISIBLE = len(_SIZES) - 2, len(_SIZES) - 1


def _free_sizes(shape, free):
    """shape with its None dimensions filled from `free`: an int for all of them, or (first,
    rest) at the broadcast level."""
    first, rest = free if isinstance(free, tuple) else (free, free)
    out, seen = [], False
    for d in shape:
        out.append(d if d is not None else (rest if seen else first))
        seen = seen or d is None
    return tuple(out)


class KerasTensor:
    """A symbolic tensor: shape (None for unknown dimensions), dtype, name and the node that
    made it (`_keras_history` = (layer, node_index, tensor_index)). Its examples are those of
    _SIZES[level]; free: a None dimension (other than the batch) lies upstream."""

    def __init__(self, shape, dtype, examples, history, name=None, level=0, free=False):
        self.shape = tuple(shape)
        self.dtype = dtype
        self._examples = examples
        self._keras_history = history
        self._level, self._free = level, free
        self.name = name or f"{history[0].name}_output_{history[2]}"

    @property
    def ndim(self):
        return len(self.shape)

    def get_shape(self):
        """TensorFlow's name for .shape, a tf.TensorShape (None for the batch)."""
        from ..tensor_shape import TensorShape
        return TensorShape(self.shape)

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    @property
    def _keras_mask(self):
        """The mask the layer that made this tensor attaches (Keras 3 puts it on symbolic
        tensors too): a symbolic (batch, time) boolean tensor computed with the graph, or None
        when that layer attaches none."""
        if getattr(self, "_example_masks", None) is None:
            return None
        return symbolic_op(_mask_of, self, name="keras_mask")

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
    def __rpow__(self, o): return symbolic_op(operator.pow, o, self, name="power")
    def __matmul__(self, o): return symbolic_op(operator.matmul, self, o, name="matmul")
    def __rmatmul__(self, o): return symbolic_op(operator.matmul, o, self, name="matmul")
    # pe.Tensor's operators return NotImplemented for these, so `variable + symbolic` (Keras
    # 2's `loss = K.variable(0.); loss = loss + ...`) lands in the reflected methods above
    _pyengine_defer_ops = True
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


def _input_examples(layer, level):
    bound = getattr(layer, "_bound_value", None)
    if bound is not None:  # Input(tensor=value): its value at every level
        return (bound, bound)
    if layer.input_dtype == "string":
        # texts of 8 and 9 words (longer at later levels): a TextVectorization without
        # output_sequence_length then gives a None length, as Keras' (None, None); empty
        # strings made it a fixed 0 that an Embedding + GRU after it could not run on
        return tuple(np.full((layer.shape[0] or batch,) + _free_sizes(layer.shape[1:], free),
                             " ".join(["a"] * _free_sizes((None,), free)[0]))
                     for batch, free in _SIZES[level])
    else:
        kind = np.dtype(layer.input_dtype)
        kind = np.dtype(np.float32) if kind.kind == "f" else kind
    if level >= _LONG and level != _BROADCAST and sum(d is None for d in layer.shape[1:]) > 1:
        raise ValueError(f"[{layer.name}] no long examples for several None dimensions")
    return tuple(np.zeros((layer.shape[0] or batch,) + _free_sizes(layer.shape[1:], free), kind)
                 for batch, free in _SIZES[level])


def input_tensor(layer):
    """The output KerasTensor of an InputLayer."""
    t = KerasTensor((layer.shape[0],) + layer.shape[1:], layer.input_dtype,
                    _input_examples(layer, 0), (layer, 0, 0), name=layer.name,
                    free=any(d is None for d in layer.shape[1:]) or layer.input_dtype == "string")
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


def _example_value(a):
    return _sd.as_string_array(a) if a.dtype.kind in "SU" else Tensor._wrap(a)


def _mask_of(t):
    from .layers.masking import get_mask
    mask = get_mask(t)
    if mask is None:
        raise ValueError("[keras_mask] this tensor carries no mask at run time")
    return Tensor._wrap(mask)


def _with_example_mask(x, value, which, level):
    """The example value of KerasTensor x, carrying the mask its layer attached to its example
    at the level it was made (so symbolic calls see masks as run-time calls do)."""
    masks = getattr(x, "_example_masks", None)
    if masks is not None and level == x._level and isinstance(value, Tensor):
        from .layers.masking import set_mask
        set_mask(value, masks[which])
    return value


def _examples_at(t, level, memo):
    """t's two examples at _SIZES[level]: its own, or found by replaying the nodes that made it
    from the graph's inputs (memo: (id, level) -> examples). A dimension of t that differs at
    this level is made None."""
    if t._level == level:
        return t._examples
    if (id(t), level) in memo:
        return memo[id(t), level]
    layer, ni, ti = t._keras_history
    node = layer._inbound_nodes[ni]
    if not node.parents:  # an input
        found = [_input_examples(layer, level)]
    else:
        one, two = _run_on_examples(layer, node.call_args[0], node.call_args[1:],
                                    node.call_kwargs, level, memo)
        found = [(a._data, b._data) for a, b in zip(tree.flatten(one), tree.flatten(two))]
    for kt, examples in zip(tree.flatten(node.outputs), found):
        memo[id(kt), level] = examples
        kt.shape = (kt.shape[0],) + tuple(
            None if d is None or any(e.shape[i] != d for e in examples) else d
            for i, d in enumerate(kt.shape[1:], 1))
    return memo[id(t), level]


def settle_shape(t):
    """Makes None the dimensions of KerasTensor t that only looked fixed at its example sizes:
    with a None dimension upstream, strided layers can bring both examples to one size (8 and
    9 -> 1 after five stride-2 stages of a ResNet), so t is replayed once at the next level's
    sizes and a dimension that differs there becomes None. For a model whose input is such an
    intermediate tensor (keras-io BASNet: a Model from a ResNet34 backbone layer's .input).
    A replay that fails leaves the shape as it was."""
    if not t._free or t._level + 1 >= _LONG or all(d is None for d in t.shape[1:]):
        return
    try:
        _examples_at(t, t._level + 1, {})
    except (ValueError, TypeError, IndexError):
        pass


def _shape_str(x):
    return tree.map_structure(lambda t: t.shape if isinstance(t, KerasTensor) else t, x)


def _fallback_level(level, symbols):
    """The fallback level to try after `level` failed, or None: the broadcast level where an
    argument has several None dimensions, else the divisible one."""
    several = any(sum(d is None for d in t.shape[1:]) > 1 for t in symbols)
    if several:
        return _BROADCAST if level < _BROADCAST else None
    return _DIVISIBLE if level < _DIVISIBLE else None


def call_symbolic(layer, inputs, args, kwargs):
    """Run `layer` on the example batches behind symbolic `inputs`; record and return the
    output KerasTensors."""
    from .layers.masking import get_mask
    kwargs = dict(kwargs)
    # an explicit training= (a base model called with training=False to keep its
    # BatchNormalization in inference mode while fine-tuning) is part of the node: it wins over
    # the training flag of later calls of the graph, as in Keras; the example runs below are
    # always in inference mode
    training = kwargs.pop("training", None)
    symbols = [t for t in tree.flatten((inputs, args, kwargs)) if isinstance(t, KerasTensor)]
    level = max(t._level for t in symbols)
    free = any(t._free for t in symbols)
    memo, first = {}, None
    from ..tf_gradients import requested_input_gradients
    requested_input_gradients()  # reset
    while True:
        try:
            results = _run_on_examples(layer, inputs, args, kwargs, level, memo)
            break
        except (ValueError, TypeError, IndexError) as e:
            first = e if first is None else first
            if not free or level + 1 >= _BROADCAST or (
                    level + 1 >= _LONG and not isinstance(e, InputTooSmallError)):
                fallback = _fallback_level(level, symbols) if free else None
                if fallback is not None:
                    level = fallback
                    continue
                raise type(first)(f"[{layer.name}] cannot be called on input of shape "
                                  f"{_shape_str(inputs)}: {first}") from None
            level += 1  # longer examples for the None dimensions upstream
    if requested_input_gradients():
        # the layer differentiates w.r.t. a graph tensor (tf.gradients in a Lambda): the model
        # built on it runs with its inputs requiring gradients (Model._run_graph)
        layer.__dict__["_wants_input_gradients"] = True
    if results[0] is None and results[1] is None:
        return None  # a call() that returns nothing gives nothing, as in Keras 3
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
                                (layer, node_index, i), level=level, free=free))
        masks = (get_mask(a), get_mask(b))
        if masks[0] is not None and masks[1] is not None:
            outs[-1]._example_masks = masks
    outputs = tree.pack_sequence_as(results[0], outs)
    if training is not None:
        kwargs["training"] = training
    layer._inbound_nodes.append(Node(layer, (inputs,) + tuple(args), kwargs, outputs))
    # the caller gets its own containers: `x = backbone(inp); x[-1] = head(x[-1])` (keras-io
    # FCN) must not rewrite the outputs the node recorded (Keras returns fresh structures)
    return tree.map_structure(lambda t: t, outputs)


def get_source_inputs(tensor):
    """The graph inputs (keras.Input outputs) `tensor` is computed from, in first-reached
    order: an input itself gives [itself] (keras.utils.get_source_inputs)."""
    if not isinstance(tensor, KerasTensor):
        raise TypeError(f"[get_source_inputs] expected a Keras symbolic tensor, received "
                        f"{type(tensor).__name__}")
    out, stack = [], [tensor]
    while stack:
        t = stack.pop()
        layer, ni, _ = t._keras_history
        parents = layer._inbound_nodes[ni].parents
        if parents:
            stack.extend(reversed(parents))
        elif not any(t is o for o in out):
            out.append(t)
    return out


_examples_state = threading.local()


def on_examples():
    """True while a layer runs on the example batches behind symbolic inputs (shape inference),
    also inside layers it calls: a vocabulary lookup nested in a custom layer takes the
    examples' placeholder tokens for in-vocabulary ones instead of rejecting them as data."""
    return getattr(_examples_state, "depth", 0) > 0


def _run_on_examples(layer, inputs, args, kwargs, level, memo):
    """The layer's two results on the examples at _SIZES[level] of its symbolic arguments."""
    _examples_state.depth = getattr(_examples_state, "depth", 0) + 1
    try:
        return _run_examples_pair(layer, inputs, args, kwargs, level, memo)
    finally:
        _examples_state.depth -= 1


def _run_examples_pair(layer, inputs, args, kwargs, level, memo):
    results = []
    # a node's recorded training= (call_symbolic) is replaced: examples run in inference mode
    kwargs = {k: v for k, v in kwargs.items() if k != "training"}
    for which in (0, 1):
        def pick(x):
            return _with_example_mask(x, _example_value(_examples_at(x, level, memo)[which]),
                                      which, level) if isinstance(x, KerasTensor) else x
        ex_in = tree.map_structure(pick, inputs)
        ex_args = tree.map_structure(pick, args)
        ex_kw = tree.map_structure(pick, kwargs)
        with no_grad(), np.errstate(all="ignore"):
            try:
                results.append(layer(ex_in, *ex_args, training=False, **ex_kw))
            except (ValueError, TypeError, IndexError):
                # a layer that declares its output shape (Lambda(output_shape=...)) may
                # compute something the all-zero examples do not allow (a CTC loss over input
                # lengths of 0): its declared shape stands in, as Keras infers it from there
                declared = getattr(layer, "declared_output_example", None)
                out = declared(ex_in) if declared is not None else None
                if out is None:
                    raise
                results.append(out)
    return results


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
        if isinstance(a, Tensor) and a.grad_fn is not None:
            # an eager result (CCT's `pos_embed(positions)` added to the graph) is a constant
            # of the graph, as in TensorFlow; kept attached, every train step would backward
            # through its one recorded graph again
            return a.detach()
        return a
    marked_args, marked_kwargs = mark(list(args)), mark(dict(kwargs))
    return OpLayer(fn, marked_args, marked_kwargs, name=_unique(name))(symbols)


def _unique(base):
    from .utils import unique_name
    return unique_name(base)
