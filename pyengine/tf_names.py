"""TensorFlow's spellings, so programs written `import tensorflow as tf` run as
`import pyengine as tf`: each is a one-line alias of pe.nn.functional / creation, named as
TensorFlow names it (reduce_* over `axis`, concat, cast ...). tf.random.normal / uniform live in
pyengine/random.py, tf.GradientTape in pyengine/gradient_tape.py, tf.keras is pe.keras.
`name=` (a TensorFlow op name) is accepted and cannot act: pyengine runs eagerly and has no
op names (docs/hardening.md)."""
import functools
import sys
import types

import numpy as np

from . import dtypes as _dt
from . import string_dtype as _sd
from .creation import tensor as _tensor
from .nn import functional as F
from .tensor import Tensor


def _t(x):
    """x as a Tensor, as TensorFlow converts an op's argument: a (nested) list of tensors is
    stacked by a recorded op, so gradients reach the tensors (tf.nn.softmax([a, b], axis=0))."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (list, tuple)) and _packable(x):
        return _pack(x)
    return _tensor(x)


def _packable(v):
    return isinstance(v, Tensor) or (isinstance(v, (list, tuple)) and len(v) > 0
                                     and all(_packable(e) for e in v))


def _pack(v):
    from .ops.shape import stack
    return v if isinstance(v, Tensor) else stack([_pack(e) for e in v])


def symbolic_aware(fn):
    """fn, recording a node of a Keras functional graph when called on KerasTensors (as
    TensorFlow wraps a tf op called on Keras symbolic tensors). Keras' symbolic module is looked
    up only if it was imported: before that no KerasTensor exists. A TensorFlow `name=` names
    the node (it is only a label to the tf functions, which accept and drop it)."""
    takes_name = _takes_name(fn)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        sym = sys.modules.get("pyengine.keras.symbolic")
        if sym is not None and _has_symbolic(args, kwargs, sym.KerasTensor):
            if "name" in kwargs and not takes_name:
                raise TypeError(f"[{fn.__name__}] unexpected keyword argument 'name'")
            label = kwargs.pop("name", None) or fn.__name__
            out = sym.symbolic_op(fn, *args, name=label, **kwargs)
            # tf.keras 2 lists a tf op called on Keras tensors (TFOpLambda) in model.layers;
            # keras.ops / keras.backend ops are not layers (Keras 3's and Keras 2's rule)
            first = out if isinstance(out, sym.KerasTensor) else next(
                (t for t in sym.tree.flatten(out) if isinstance(t, sym.KerasTensor)), None)
            if first is not None:
                first._keras_history[0]._listed_as_layer = True
            return out
        return fn(*args, **kwargs)
    return wrapper


def _takes_name(fn):
    import inspect
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "name" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def _has_symbolic(args, kwargs, kind):
    # arguments and the items of list / tuple arguments (tf.concat([a, b])): cheap enough for
    # the torch face's pe.matmul / pe.exp, which are these wrappers too
    for a in (*args, *kwargs.values()):
        if isinstance(a, kind) or (isinstance(a, (list, tuple))
                                   and any(isinstance(b, kind) for b in a)):
            return True
    return False


@symbolic_aware
def shape(x, out_type=None, name=None):
    """The shape as a 1-D tensor of out_type (int32 by default), as TensorFlow returns it:
    tf.shape(x)[0] is the batch size, usable as an int (`__index__`) and in tf ops.
    out_type int64, or float32 / float64 as TensorFlow gives for the static shapes of a traced
    train_step (keras-io NNCLR divides by tf.shape(x, out_type=tf.float32)[0]).
    keras.ops.shape returns a tuple."""
    from . import dtypes as _dt
    want = _dt.int32 if out_type is None else _dt.as_dtype(out_type)
    if want not in (_dt.int32, _dt.int64, _dt.float32, _dt.float64):
        raise TypeError(f"[tf.shape] out_type must be int32, int64, float32 or float64, got "
                        f"{out_type!r}")
    return Tensor._wrap(np.asarray(getattr(x, "shape", np.shape(x)), dtype=want.np))


@symbolic_aware
def reduce_mean(x, axis=None, keepdims=False, name=None): return F.mean(x, axis, keepdims)
@symbolic_aware
def reduce_sum(x, axis=None, keepdims=False, name=None): return F.sum(x, axis, keepdims)
@symbolic_aware
def reduce_max(x, axis=None, keepdims=False, name=None):
    return F.max(x, axis=axis, keepdims=keepdims)


@symbolic_aware
def reduce_min(x, axis=None, keepdims=False, name=None):
    return F.min(x, axis=axis, keepdims=keepdims)


@symbolic_aware
def reduce_logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x), axis)) computed stably (TensorFlow's tf.reduce_logsumexp)."""
    return F.logsumexp(_t(x), tuple(axis) if isinstance(axis, (list, tuple)) else axis, keepdims)
@symbolic_aware
def negative(x): return -_t(x)
@symbolic_aware
def reverse(tensor, axis):
    """tensor with the order of the listed axes reversed (tf.reverse; axis is a list)."""
    axes = [int(a) for a in (axis if isinstance(axis, (list, tuple)) else [axis])]
    return _t(tensor).flip(axes)
@symbolic_aware
def floordiv(x, y):
    """floor(x / y) elementwise, rounding toward -inf as Python's // (tf.math.floordiv)."""
    return _t(x) // y
@symbolic_aware
def floormod(x, y):
    """x - floordiv(x, y) * y: the remainder takes y's sign, as Python's % (tf.math.floormod)."""
    return _t(x) % y
@symbolic_aware
def square(x): return F.square(x)
@symbolic_aware
def concat(values, axis, name=None):
    """tf.concat. Text (str / bytes arrays, as tfds.as_numpy gives reviews) concatenates as
    text; mixing text with numbers raises, as TensorFlow."""
    text = [isinstance(v, np.ndarray) and v.dtype.kind in "SU" for v in values]
    if any(text):
        if not all(text):
            raise TypeError("[tf.concat] cannot concatenate text with numbers")
        from .string_dtype import as_string_array
        return as_string_array(np.concatenate([np.asarray(v) for v in values], axis))
    return F.cat([_t(v) for v in values], axis)


@symbolic_aware
def expand_dims(x, axis):
    """A new axis of size 1 at `axis`; text (a pe.data string batch, keras-io's
    `tf.expand_dims(text, -1)` before TextVectorization; a str, or an object array of str
    such as tf.strings' results) stays a string array."""
    if isinstance(x, (str, bytes)) or (isinstance(x, np.ndarray) and (
            x.dtype.kind in "SU" or (x.dtype.kind == "O" and x.size and
                                     all(isinstance(v, (str, bytes)) for v in x.reshape(-1))))):
        from .string_dtype import as_string_array
        return as_string_array(np.expand_dims(np.asarray(x).astype(str), axis))
    return F.unsqueeze(_t(x), axis)


@symbolic_aware
def one_hot(indices, depth, on_value=1.0, off_value=0.0, axis=None, dtype=None, name=None):
    """float32 one-hot of integer `indices`: (...) -> (..., depth), the new axis at `axis`
    (-1 / None: last; keras-io wgan-graphs puts the bond types at axis 1). An index outside
    [0, depth) gives a row of off_value, as in TensorFlow (keras-io RetinaNet one-hots its
    -1 background / -2 ignore labels and masks those anchors out)."""
    ids = np.asarray(getattr(indices, "_data", indices))
    if ids.dtype.kind in "iu":
        depth = int(depth)
        if depth < 0:
            raise ValueError(f"[tf.one_hot] depth must be non-negative, got {depth}")
        out = (ids[..., None] == np.arange(depth)).astype(np.float32)
    else:
        out = F.one_hot(indices, depth)._data.astype(np.float32)
    if on_value != 1.0 or off_value != 0.0:
        out = np.where(out > 0, np.float32(on_value), np.float32(off_value))
    if axis is not None and axis != -1:
        if not -out.ndim <= int(axis) < out.ndim:
            raise ValueError(f"[tf.one_hot] axis {axis} is out of range for a {out.ndim}-D "
                             "result")
        out = np.ascontiguousarray(np.moveaxis(out, -1, int(axis)))
    return cast(Tensor._wrap(out), dtype) if dtype is not None else Tensor._wrap(out)


@symbolic_aware
def stop_gradient(input, name=None):
    """tf.stop_gradient: the same values with no gradient flowing back (x.detach()); keras-io
    vq_vae's straight-through estimator `x + tf.stop_gradient(quantized - x)`. `name` is
    TensorFlow's op label (no use here, as reshape's)."""
    return _t(input).detach()


@symbolic_aware
def cast(x, dtype, name=None):
    """tf.cast. Text (a str array, as pe.data pipelines hand it) cast to tf.string is itself;
    TensorFlow casts no number to string nor string to number (tf.strings.to_number /
    as_string do that), and neither does this. A tf.SparseTensor has its values cast."""
    from .tf_sparse import SparseTensor, cast as sparse_cast
    if isinstance(x, SparseTensor):
        return sparse_cast(x, dtype)
    text = not isinstance(x, Tensor) and np.asarray(x).dtype.kind in "SU"
    if _sd.is_string(dtype) or text:
        if text and _sd.is_string(dtype):
            return _sd.as_string_array(np.asarray(x))
        kind = "string" if text else np.asarray(getattr(x, "_data", x)).dtype
        raise TypeError(f"[tf.cast] cannot cast {kind} to {dtype}: TensorFlow casts between "
                        "numeric types only (tf.strings.to_number "
                        "converts text)")
    return _t(x).astype(_dt.as_dtype(dtype))


@symbolic_aware
def repeat(input, repeats, axis=None, name=None):
    """tf.repeat: each element along `axis` (of the flattened input when axis is None) repeated
    `repeats` times; repeats is an int, a one-element list (keras-io's
    `tf.repeat(labels, repeats=[h * w])`), or one count per element along the axis. The
    gradient flows (Tensor.repeat_interleave's indexing)."""
    r = np.asarray(repeats._data if isinstance(repeats, Tensor) else repeats)
    if r.dtype.kind not in "iu" and not (r.dtype.kind == "f" and np.all(np.mod(r, 1) == 0)):
        raise ValueError(f"[repeat] repeats must be integers. Received: repeats={repeats!r}")
    r = r.astype(np.int64)
    if r.ndim > 1:
        raise ValueError(f"[repeat] repeats must be a scalar or 1-D. Received shape {r.shape}")
    if r.size == 1:
        r = r.reshape(())
    return _t(input).repeat_interleave(r, dim=axis)


_TORCH_RANGE_ARGS = ("end", "step", "out", "layout", "device", "requires_grad")


def tf_range(start, limit=None, delta=1, dtype=None, name=None, **torch_kwargs):
    """tf.range: start, start + delta, ... up to, not including, `limit` (one argument is the
    limit, from 0), as np.arange and pe.arange. `pe.range` is this TensorFlow function: PyTorch's
    torch.range (inclusive end) is deprecated by PyTorch in favour of arange and is not provided,
    so its keywords (end=, step=, device=, requires_grad=) raise here instead of giving one
    element fewer. 0-d tensors (tf.shape(x)[-1]) are taken as numbers; `name` is TensorFlow's
    op label (pyengine has no op names). Python integers give int32, as in TensorFlow (int64
    NumPy / tensor arguments keep int64)."""
    if torch_kwargs:
        bad = sorted(torch_kwargs)
        hint = (" pyengine.range is TensorFlow's tf.range (exclusive limit); torch.range "
                "(inclusive end, deprecated by PyTorch) is not provided: use arange(start, "
                "end + step, step)" if set(bad) & set(_TORCH_RANGE_ARGS) else "")
        raise TypeError(f"[range] unexpected keyword arguments {bad}.{hint}")
    given = (start, limit, delta)
    start, limit, delta = (v.item() if isinstance(v, Tensor) else v for v in given)
    if limit is None:
        start, limit = 0, start
    from .creation import arange
    out = arange(start, limit, delta)
    if dtype is None and out.dtype == _dt.int64 and not any(
            isinstance(v, (np.integer, np.ndarray)) or
            (isinstance(v, Tensor) and v.dtype == _dt.int64) for v in given) \
            and (out.numel() == 0 or (abs(start) < 2 ** 31 and abs(limit) < 2 ** 31)):
        return cast(out, _dt.int32)  # TensorFlow: Python integers (and int32 tensors) give int32
    return out if dtype is None else cast(out, dtype)


def split(x=None, split_size_or_sections=None, dim=None, *, axis=None, num_or_size_splits=None,
          num=None, name=None, value=None, tensor=None):
    """pe.split in both its spellings. PyTorch's `torch.split(x, split_size_or_sections,
    dim=0)`: an int is the size of each piece (the last may be smaller). TensorFlow's
    `tf.split(x, num_or_size_splits, axis=0, num=None)`: an int is the NUMBER of equal pieces
    (the dimension must divide evenly), a list the sizes (one -1 is inferred). A call naming
    `axis=` or `num_or_size_splits=` (names torch.split does not accept) or `num=` is
    TensorFlow's; otherwise PyTorch's, positional calls included. Lists of sizes mean the same
    in both. The tensor may be named as either library names it: `value=` (TensorFlow's, keras-io
    Focal Modulation Networks) or `tensor=` (PyTorch's)."""
    from .ops.shape import split as _split
    given = [v for v in (x, value, tensor) if v is not None]
    if len(given) != 1:
        raise TypeError(f"[split] give the tensor once (by position, value= or tensor=); got "
                        f"{len(given)}")
    x = given[0]
    tf_form = num_or_size_splits is not None or axis is not None or num is not None \
        or value is not None
    if num_or_size_splits is not None:
        if split_size_or_sections is not None:
            raise TypeError("[split] the split given twice (num_or_size_splits= and by position)")
        split_size_or_sections = num_or_size_splits
    if split_size_or_sections is None:
        raise TypeError("[split] missing the split sizes (split_size_or_sections / "
                        "num_or_size_splits)")
    if dim is not None and axis is not None:
        raise TypeError("[split] dim= and axis= given together")
    x = _t(x)
    along = (axis if axis is not None else dim) or 0
    spec = split_size_or_sections
    spec = spec.tolist() if isinstance(spec, (np.ndarray, Tensor)) else spec
    if not tf_form:
        return _split(x, spec, along)
    n = x.shape[along]
    if isinstance(spec, (int, np.integer)):
        if spec < 1 or n % spec:
            raise ValueError(f"[tf.split] dimension {along} of size {n} cannot be split into "
                             f"{spec} equal pieces")
        sizes = [n // spec] * int(spec)
    else:
        sizes = [int(v) for v in spec]
        if sizes.count(-1) > 1:
            raise ValueError("[tf.split] at most one size may be -1")
        if -1 in sizes:
            sizes[sizes.index(-1)] = n - (sum(sizes) + 1)
    if num is not None and int(num) != len(sizes):
        raise ValueError(f"[tf.split] num={num} but the split gives {len(sizes)} pieces")
    # a list, as TensorFlow returns (ShiftViT assigns x_splits[0] = ...); torch's form a tuple
    return list(_split(x, sizes, along))


def constant(value, dtype=None, shape=None, name="Const"):
    """tf.constant: Python integers become int32, as TensorFlow makes them (NumPy arrays and
    tensors keep their dtype). Text gives a pe.string array (string_dtype.StringArray), the
    tf.string tensor keras-io builds its inference inputs with
    (`tf.convert_to_tensor(["fixed"])`); pyengine Tensors hold numbers only. `shape` reshapes
    the value to it, a single value filling it (TensorFlow's rule); `name` names an op in a
    TensorFlow graph, which eager pyengine has not."""
    _check_name("constant", name)
    out = _constant(value, dtype)
    if shape is None:
        return out
    shape = tuple(int(d) for d in shape)
    size = int(np.prod(shape, dtype=np.int64))
    if out.numel() == 1:
        return _tensor(np.full(shape, out._data.reshape(()), dtype=out._data.dtype))
    if out.numel() != size:
        raise TypeError(f"[constant] the value has {out.numel()} elements (shape "
                        f"{tuple(out.shape)}) but shape={shape} has {size}: only a single value "
                        "fills a shape, others must have its number of elements")
    return _tensor(out._data.reshape(shape).copy())


def _check_name(op, name):
    if name is not None and not isinstance(name, str):
        raise TypeError(f"[{op}] name must be a string. Received: name={name!r}")


def _constant(value, dtype):
    if isinstance(value, (list, tuple)):
        try:
            np.asarray(value)
        except ValueError as e:
            if "inhomogeneous" not in str(e):
                raise
            raise ValueError("[constant] cannot convert a non-rectangular Python sequence to a "
                             "Tensor (its rows have different lengths); use tf.ragged.constant "
                             "for ragged data") from None
    if not isinstance(value, Tensor) and (dtype is None or _sd.is_string(dtype)):
        try:
            a = np.asarray(value)
        except ValueError:  # not an array NumPy can make: the numeric path reports it
            a = None
        if a is not None and a.dtype.kind in "SU":
            return _sd.as_string_array(a)
    if dtype is None and not isinstance(value, (np.ndarray, np.generic, Tensor)):
        a = np.asarray(value)
        if a.dtype == np.int64 and a.size and np.abs(a).max() < 2 ** 31:
            return _tensor(a.astype(np.int32))
    return _tensor(value, dtype=None if dtype is None else _dt.as_dtype(dtype))


def convert_to_tensor(value, dtype=None, dtype_hint=None, name=None):
    """tf.convert_to_tensor: tf.constant's conversion, except that a (nested) list of tensors is
    stacked by a recorded op (TensorFlow's auto-packing, differentiable; tf.constant is not);
    `dtype_hint` is the dtype Python data gets when no dtype is given (a value that already has
    a dtype keeps it)."""
    _check_name("convert_to_tensor", name)
    if isinstance(value, (list, tuple)) and _packable(value):
        t = _pack(value)
        return t if dtype is None else t.to(_dt.as_dtype(dtype))
    if dtype is None and dtype_hint is not None and \
            not isinstance(value, (np.ndarray, np.generic, Tensor)):
        return _constant(value, dtype_hint)
    return _constant(value, dtype)


newaxis = None  # tf.newaxis: NumPy's new-axis index, `mask[:, tf.newaxis, :]`


def Variable(initial_value=None, trainable=None, name=None, dtype=None, validate_shape=True,
             **unsupported):
    """tf.Variable: a mutable weight (assign / assign_add / assign_sub / numpy) holding
    `initial_value` (a value, or a function returning one); floating variables are trainable
    unless trainable=False, and become a Keras layer's weight when set as its attribute."""
    if unsupported:
        raise TypeError(f"[Variable] unsupported arguments: {sorted(unsupported)}")
    if initial_value is None:
        raise ValueError("[Variable] initial_value is required")
    if callable(initial_value) and not isinstance(initial_value, Tensor):
        initial_value = initial_value()
    from .keras.layers.base import new_variable
    return new_variable(initial_value, trainable, name, dtype, "Variable")


def _initializer(name):
    def make(*args, **kwargs):
        from .keras import initializers
        return getattr(initializers, name)(*args, **kwargs)
    make.__name__ = name
    return make


# tf.*_initializer: TensorFlow 2's initializer classes (called as init(shape, dtype))
random_normal_initializer = _initializer("RandomNormal")
random_uniform_initializer = _initializer("RandomUniform")
zeros_initializer = _initializer("Zeros")
ones_initializer = _initializer("Ones")
constant_initializer = _initializer("Constant")


# tf.nn.* activations (pe.nn re-exports them: `import pyengine as tf` makes tf.nn pe.nn)
def _nn_act(fn, name):
    def act(features, name=None):
        return fn(features)
    act.__name__, act.__qualname__ = name, f"nn_{name}"  # qualname: this module's attribute
    act.__doc__ = f"tf.nn.{name}: pe.nn.functional.{fn.__name__}."
    return symbolic_aware(act)


nn_relu = _nn_act(F.relu, "relu")
nn_sigmoid = _nn_act(F.sigmoid, "sigmoid")
nn_tanh = _nn_act(F.tanh, "tanh")
nn_elu = _nn_act(F.elu, "elu")
nn_gelu = _nn_act(F.gelu, "gelu")
nn_softplus = _nn_act(F.softplus, "softplus")


@symbolic_aware
def nn_dropout(x, rate, noise_shape=None, seed=None, name=None):
    """tf.nn.dropout: always drops (no training flag): each element (or each slice broadcast
    from noise_shape, None entries taking x's size) is zeroed with probability `rate` and the
    rest scaled by 1 / (1 - rate). `seed` draws the mask from its own generator, so a given
    seed repeats the mask; without it pyengine's generator is used (pe.manual_seed)."""
    from .ops.dropout import dropout
    rate = float(rate)
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"[tf.nn.dropout] rate must be in [0, 1). Received: rate={rate}")
    x = _t(x)
    shape = None
    if noise_shape is not None:
        shape = tuple(x.shape[i] if d is None else int(d) for i, d in enumerate(noise_shape))
        if len(shape) != x.ndim or any(d not in (1, s) for d, s in zip(shape, x.shape)):
            raise ValueError(f"[tf.nn.dropout] noise_shape {tuple(noise_shape)} does not "
                             f"broadcast to the input's shape {tuple(x.shape)}")
    generator = None if seed is None else np.random.default_rng(int(seed))
    return dropout(x, rate, training=True, mask_shape=shape, generator=generator)


@symbolic_aware
def nn_embedding_lookup(params, ids, max_norm=None, name=None):
    """tf.nn.embedding_lookup: rows `ids` of `params` (differentiable in params); with
    max_norm, each looked-up row of larger L2 norm is scaled down to it (params unchanged)."""
    from .nn.functional import embedding
    ids = _t(ids)
    if ids._data.dtype.kind == "f":
        # a Keras layer's call receives NumPy ids as float32 (keras/layers/base.py to_tensor):
        # whole numbers are taken as the ids they were; others are refused, as TensorFlow does
        if not np.all(np.floor(ids._data) == ids._data):
            raise TypeError("[tf.nn.embedding_lookup] ids must be integers")
        ids = Tensor._wrap(ids._data.astype(np.int64))
    rows = embedding(ids, _t(params))
    if max_norm is None:
        return rows
    norm = (rows * rows).sum(axis=-1, keepdims=True).sqrt()
    scale = (float(max_norm) / norm.clamp(min=1e-12)).clamp(max=1.0)
    return rows * scale


@symbolic_aware
def nn_silu(features, beta=1.0, name=None):
    x = _t(features)
    return x * F.sigmoid(x * beta) if beta != 1.0 else x * F.sigmoid(x)


@symbolic_aware
def nn_leaky_relu(features, alpha=0.2, name=None): return F.leaky_relu(features, alpha)
@symbolic_aware
def nn_softmax(logits, axis=None, name=None): return F.softmax(_t(logits), axis=-1 if axis is None else axis)
@symbolic_aware
def nn_log_softmax(logits, axis=None, name=None): return F.log_softmax(_t(logits), axis=-1 if axis is None else axis)


@symbolic_aware
def nn_moments(x, axes, shift=None, keepdims=False, name=None):
    """tf.nn.moments: (mean, variance) over `axes`, the variance biased (divided by n)."""
    if shift is not None:
        raise ValueError("[tf.nn.moments] shift is not supported (TensorFlow ignores it too "
                         "since 2.0); pass shift=None")
    x, axes = _t(x), tuple(axes) if isinstance(axes, (list, tuple)) else axes
    return F.mean(x, axes, keepdims), F.var(x, axis=axes, keepdims=keepdims, correction=0)


def _conv_arg(v, what):
    # TensorFlow's strides / dilations: an int, a list of 1 or 2, or the 4 of NHWC ([1, s, s, 1])
    v = [int(v)] if isinstance(v, (int, np.integer)) else [int(i) for i in v]
    if len(v) == 4:
        if v[0] != 1 or v[3] != 1:
            raise ValueError(f"[tf.nn.conv2d] {what} on the batch and channel axes must be 1, "
                             f"got {v}")
        v = v[1:3]
    if len(v) == 1:
        v = v * 2
    if len(v) != 2:
        raise ValueError(f"[tf.nn.conv2d] {what} must be an int or a list of 1, 2 or 4 ints, "
                         f"got {v}")
    return tuple(v)


@symbolic_aware
def nn_conv2d(input, filters, strides, padding, data_format="NHWC", dilations=None, name=None):
    """tf.nn.conv2d: input (N, H, W, C), filters (KH, KW, C, OC); padding 'SAME', 'VALID' or the
    explicit [[0, 0], [top, bottom], [left, right], [0, 0]]. F.conv2d_nhwc (the Keras Conv2D
    op)."""
    if data_format != "NHWC":
        raise ValueError(f"[tf.nn.conv2d] only data_format='NHWC' is supported, got "
                         f"{data_format!r}")
    if isinstance(padding, str):
        pads = padding.lower()
        if pads not in ("same", "valid"):
            raise ValueError(f"[tf.nn.conv2d] padding must be 'SAME', 'VALID' or explicit "
                             f"pads, got {padding!r}")
    else:
        p = [tuple(int(i) for i in q) for q in padding]
        if len(p) != 4 or p[0] != (0, 0) or p[3] != (0, 0):
            raise ValueError(f"[tf.nn.conv2d] explicit padding must be [[0, 0], [top, bottom], "
                             f"[left, right], [0, 0]], got {padding!r}")
        pads = (p[1], p[2])
    return F.conv2d_nhwc(_t(input), _t(filters), None, stride=_conv_arg(strides, "strides"),
                         padding=pads, dilation=_conv_arg(1 if dilations is None else dilations,
                                                          "dilations"))


@symbolic_aware
def nn_reduce_std(input_tensor, axis=None, keepdims=False):
    return F.std(_t(input_tensor), axis=axis, keepdims=keepdims, correction=0)


@symbolic_aware
def nn_reduce_variance(input_tensor, axis=None, keepdims=False):
    return F.var(_t(input_tensor), axis=axis, keepdims=keepdims, correction=0)


@symbolic_aware
def nn_l2_normalize(x, axis=None, epsilon=1e-12):
    """x / sqrt(max(sum(x^2, axis), epsilon)) (tf.math.l2_normalize)."""
    t = _t(x)
    return t * ((t * t).sum(axis, True).clamp(min=epsilon).sqrt() ** -1.0)


# tf.math.*: the same functions under TensorFlow's math namespace
math = types.ModuleType("pyengine.math", "tf.math: TensorFlow's math names (aliases).")
for _name, _fn in dict(
        reduce_mean=reduce_mean, reduce_sum=reduce_sum, reduce_max=reduce_max,
        reduce_min=reduce_min, square=square, exp=F.exp, log=F.log, log1p=F.log1p,
        sqrt=F.sqrt, abs=F.abs, maximum=F.maximum, minimum=F.minimum, sigmoid=F.sigmoid,
        tanh=F.tanh, sin=F.sin, cos=F.cos, argmax=F.argmax, argmin=F.argmin,
        reduce_logsumexp=reduce_logsumexp, negative=negative, floordiv=floordiv,
        floormod=floormod, mod=floormod, softplus=F.softplus, reduce_std=nn_reduce_std,
        reduce_variance=nn_reduce_variance, l2_normalize=nn_l2_normalize,
        softmax=nn_softmax, log_softmax=nn_log_softmax,
        # elementwise comparisons (tf.math.equal: keras-io MobileViT compares channel counts)
        equal=F.eq, not_equal=F.ne, greater=F.gt, greater_equal=F.ge, less=F.lt,
        less_equal=F.le).items():
    setattr(math, _name, _fn if _fn.__module__ == __name__ else symbolic_aware(_fn))
