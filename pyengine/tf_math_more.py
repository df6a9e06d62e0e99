"""More of tf.math for `import pyengine as tf`: the elementwise arithmetic and functions
TensorFlow programs call through tf.math (keras-io Swin's `tf.math.divide`), each the pe
function of the same meaning with TensorFlow's trailing `name=` (a label, recorded as the node
name on Keras symbolic tensors), plus divide_no_nan and squared_difference, which pe lacks.
Attached to pe.math in pyengine/__init__.py."""
from . import creation as _creation
from .nn import functional as F
from .tf_names import _t, symbolic_aware


def _unary(fn, tf_name):
    def op(x, name=None):
        return fn(_t(x))
    op.__name__ = op.__qualname__ = tf_name
    op.__doc__ = f"tf.math.{tf_name}(x, name=None): elementwise, as pe.{fn.__name__}."
    return symbolic_aware(op)


def _binary(fn, tf_name):
    def op(x, y, name=None):
        return fn(x if hasattr(x, "_data") else _t(x), y)
    op.__name__ = op.__qualname__ = tf_name
    op.__doc__ = f"tf.math.{tf_name}(x, y, name=None): elementwise with broadcasting."
    return symbolic_aware(op)


@symbolic_aware
def divide_no_nan(x, y, name=None):
    """tf.math.divide_no_nan: x / y, and 0 where y == 0 (even for x == 0 or inf); the gradient
    is 0 there too."""
    xt, yt = _t(x), _t(y)
    zero = yt == 0
    safe = F.where(zero, _creation.ones_like(yt), yt)
    q = xt / safe
    return F.where(zero, _creation.zeros_like(q), q)


@symbolic_aware
def squared_difference(x, y, name=None):
    """tf.math.squared_difference: (x - y)^2 elementwise."""
    d = _t(x) - y
    return d * d


@symbolic_aware
def multiply_no_nan(x, y, name=None):
    """tf.math.multiply_no_nan: x * y, and 0 where y == 0 (even where x is nan or inf)."""
    xt, yt = _t(x), _t(y)
    zero = yt == 0
    prod = F.where(zero, _creation.zeros_like(xt), xt) * yt
    return F.where(zero, _creation.zeros_like(prod), prod)


@symbolic_aware
def log_sigmoid(x, name=None):
    """tf.math.log_sigmoid: log(1 / (1 + exp(-x))), computed stably."""
    return F.logsigmoid(_t(x))


def _reduce_args(x, axis):
    axis = getattr(axis, "_data", axis)
    if axis is not None and not isinstance(axis, int):
        axis = tuple(int(a) for a in (axis.tolist() if hasattr(axis, "tolist") else axis))
    return _t(x), axis


@symbolic_aware
def reduce_euclidean_norm(input_tensor, axis=None, keepdims=False, name=None):
    """tf.math.reduce_euclidean_norm: sqrt(sum(x^2)) over `axis` (all axes when None)."""
    x, axis = _reduce_args(input_tensor, axis)
    return ((x * x).sum(axis=axis, keepdims=keepdims) if axis is not None or keepdims
            else (x * x).sum()).sqrt()


@symbolic_aware
def count_nonzero(input, axis=None, keepdims=False, dtype="int64", name=None):
    """tf.math.count_nonzero: how many entries are not 0 (not False, not '') over `axis`;
    int64 by default."""
    import numpy as np
    from .dtypes import as_dtype
    x, axis = _reduce_args(input, axis)
    a = np.asarray(x._data)
    counts = np.count_nonzero(a != (b"" if a.dtype.kind in "SO" else 0), axis=axis,
                              keepdims=keepdims)
    return _creation.tensor(np.asarray(counts), dtype=as_dtype(dtype))


@symbolic_aware
def add_n(inputs, name=None):
    """tf.math.add_n (tf.add_n): the elementwise sum of a list of tensors of one shape and
    dtype (no broadcasting), e.g. `tf.add_n(model.losses)`. Differentiable."""
    if isinstance(inputs, (list, tuple)):
        items = [v if hasattr(v, "_data") else _t(v) for v in inputs]
    else:  # one tensor: TensorFlow sums it alone
        items = [_t(inputs)]
    if not items:
        raise ValueError("[add_n] inputs must be a non-empty list of tensors")
    shape, dtype = tuple(items[0].shape), items[0].dtype
    for k, v in enumerate(items[1:], 1):
        if tuple(v.shape) != shape or v.dtype != dtype:
            raise ValueError(f"[add_n] every input must have the shape and dtype of the first "
                             f"{shape} {dtype}; input {k} is {tuple(v.shape)} {v.dtype}")
    total = items[0]
    for v in items[1:]:
        total = total + v
    return total


def attach(math, pe):
    """Add the names to pe.math (tf.math) from the pe functions of the same meaning."""
    for tf_name, pe_name in dict(add="add", subtract="sub", multiply="mul", divide="div",
                                 truediv="div", pow="pow", xlogy="xlogy", atan2="atan2",
                                 logical_and="logical_and", logical_or="logical_or",
                                 logical_xor="logical_xor").items():
        setattr(math, tf_name, _binary(getattr(pe, pe_name), tf_name))
    for name in ("floor", "ceil", "round", "sign", "reciprocal", "erf", "erfc", "expm1", "tan",
                 "atan", "sinh", "cosh", "asin", "acos", "asinh", "acosh", "atanh", "lgamma",
                 "digamma", "logical_not"):
        setattr(math, name, _unary(getattr(pe, name), name))
    math.divide_no_nan, math.squared_difference = divide_no_nan, squared_difference
    math.multiply_no_nan, math.log_sigmoid = multiply_no_nan, log_sigmoid
    math.reduce_euclidean_norm, math.count_nonzero = reduce_euclidean_norm, count_nonzero
    math.add_n = pe.add_n = add_n


def torch_or_tf_roll(input, *args, shift=None, axis=None, shifts=None, dims=None, name=None):
    """pe.roll in both spellings: torch.roll(input, shifts, dims=None) and tf.roll(input,
    shift, axis) (keras-io Swin's shifted windows); positional calls mean the same in both.
    Shifts and axes may be ints, lists or tensors."""
    import numpy as np
    if len(args) > 2:
        raise TypeError(f"[roll] at most 3 positional arguments, got {len(args) + 1}")
    given = dict(zip(("shift", "axis"), args))
    for key, v in (("shift", shift), ("shift", shifts), ("axis", axis), ("axis", dims)):
        if v is not None:
            if key in given:
                raise TypeError(f"[roll] the {key} is given twice")
            given[key] = v
    if "shift" not in given:
        raise TypeError("[roll] missing the shift (shifts= / shift=)")

    def ints(v):
        a = np.asarray(getattr(v, "_data", v)).reshape(-1).tolist()
        return tuple(int(i) for i in a) if np.ndim(getattr(v, "_data", v)) else int(a[0])
    ax = given.get("axis")
    return _t(input).roll(ints(given["shift"]), None if ax is None else ints(ax))
