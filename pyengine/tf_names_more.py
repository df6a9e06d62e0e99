"""More TensorFlow names for `import pyengine as tf` (tf_names.py holds the first ones): clipping,
identity / rank / fill / pad / unstack, the reductions reduce_prod / any / all, tf.math's
cumsum / cumprod / rsqrt / is_nan / is_inf / is_finite / top_k / confusion_matrix / bincount,
boolean_mask, sequence_mask, executing_eagerly and get_static_value. Each follows TensorFlow 2's
documented semantics and is composed of differentiable pyengine ops where TensorFlow's is
differentiable. `name=` is TensorFlow's op label: it names the node when the call is recorded
in a Keras functional graph and has nothing to name in eager code (tf_names.symbolic_aware)."""
import collections
import sys

import numpy as np

from . import dtypes as _dt
from .nn import functional as F
from .ops.pad import Pad
from .tensor import Tensor
from .tf_debugging import invalid
from .tf_names import _t, cast, constant, symbolic_aware


def _np(x):
    return np.asarray(x._data if isinstance(x, Tensor) else x)


def _axes(axis, ndim, op):
    """TensorFlow's axis argument (None, an int or a list, negatives from the end) as a sorted
    tuple of distinct non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axis = _np(axis).reshape(-1).tolist()
    for a in axis:
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise invalid(op, f"axis {a} out of range for a {ndim}-D tensor")
    return tuple(sorted({a % max(ndim, 1) for a in axis})) if ndim else ()


@symbolic_aware
def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    """tf.clip_by_value: min(max(t, clip_value_min), clip_value_max); the bounds broadcast to
    t's shape (never enlarging it) and take t's dtype; the gradient flows where t is inside."""
    x = _t(t)
    lo, hi = (_t(v).astype(x.dtype) for v in (clip_value_min, clip_value_max))
    out = x.maximum(lo).minimum(hi)
    if tuple(out.shape) != tuple(x.shape):
        raise invalid("tf.clip_by_value", f"the bounds {tuple(lo.shape)} / {tuple(hi.shape)} "
                      f"would broadcast t {tuple(x.shape)} to {tuple(out.shape)}")
    return out


@symbolic_aware
def clip_by_norm(t, clip_norm, axes=None, name=None):
    """tf.clip_by_norm: t * clip_norm / max(||t||_2, clip_norm), the L2 norm over `axes` (all
    by default); a zero norm leaves t unchanged (TensorFlow's safe form, no NaN gradient)."""
    x = _t(t)
    axes = _axes(axes, x.ndim, "tf.clip_by_norm")
    l2sum = (x * x).sum(axes, True) if axes else x * x
    pos = l2sum._data > 0
    safe = F.where(Tensor._wrap(pos), l2sum, Tensor._wrap(np.ones_like(l2sum._data)))
    norm = F.where(Tensor._wrap(pos), safe.sqrt(), l2sum)
    c = _t(clip_norm).astype(x.dtype)
    return (x * c) / norm.maximum(c)


def global_norm(t_list, name=None):
    """tf.linalg.global_norm: sqrt(sum of ||t||_2^2 over the tensors), None entries skipped."""
    if not isinstance(t_list, (list, tuple)):
        raise TypeError(f"[tf.linalg.global_norm] t_list should be a sequence, got "
                        f"{type(t_list).__name__}")
    parts = [(_t(v) * _t(v)).sum() for v in t_list if v is not None]
    if not parts:
        return Tensor._wrap(np.float32(0.0))
    total = parts[0]
    for p in parts[1:]:
        total = total + p.astype(total.dtype)
    return total.sqrt()


def clip_by_global_norm(t_list, clip_norm, use_norm=None, name=None):
    """tf.clip_by_global_norm: (each t * clip_norm / max(global_norm, clip_norm), global_norm),
    None entries kept as None; a non-finite global norm makes every entry NaN, as TensorFlow."""
    if not isinstance(t_list, (list, tuple)):
        raise TypeError(f"[tf.clip_by_global_norm] t_list should be a sequence, got "
                        f"{type(t_list).__name__}")
    norm = global_norm(t_list) if use_norm is None else _t(use_norm)
    c = float(_np(clip_norm))
    scale = c * (1.0 / norm).minimum(1.0 / c)
    if not np.isfinite(norm._data).all():
        scale = scale * float("nan")
    return [None if v is None else _t(v) * scale.astype(_t(v).dtype) for v in t_list], norm


@symbolic_aware
def identity(input, name=None):
    """tf.identity: a tensor of the same values; the gradient passes through unchanged."""
    return _t(input).clone()


@symbolic_aware
def rank(input, name=None):
    """tf.rank: the number of dimensions as a 0-d int32 tensor."""
    return Tensor._wrap(np.array(_t(input).ndim, dtype=np.int32))


@symbolic_aware
def size(input, out_type=None, name=None):
    """tf.size: the number of elements as a 0-d tensor of out_type (int32 by default, or
    int64; TensorFlow's tensor guide: `tf.size(rank_4_tensor).numpy()`)."""
    want = _dt.int32 if out_type is None else _dt.as_dtype(out_type)
    if want not in (_dt.int32, _dt.int64):
        raise TypeError(f"[tf.size] out_type must be int32 or int64, got {out_type!r}")
    return Tensor._wrap(np.array(_t(input).numel(), dtype=want.np))


def fill(dims, value, name=None):
    """tf.fill: a tensor of shape `dims` holding the scalar `value` (Python ints int32, floats
    float32, a tensor keeps its dtype and its gradient: the sum of the output's)."""
    shape = tuple(int(d) for d in _np(dims).reshape(-1))
    if any(d < 0 for d in shape):
        raise invalid("tf.fill", f"dims must be non-negative, got {shape}")
    v = value if isinstance(value, Tensor) else constant(value)
    if v.ndim != 0:
        raise invalid("tf.fill", f"value must be a scalar, got shape {tuple(v.shape)}")
    if v.requires_grad:
        return F.broadcast_to(v, shape).clone()
    return Tensor._wrap(np.full(shape, v._data, dtype=v._data.dtype))


def _mirror_index(n, before, after, mode):
    # REFLECT mirrors without repeating the edge, SYMMETRIC repeats it
    i = np.arange(-before, n + after)
    if mode == "REFLECT":
        period = 2 * (n - 1)
        i = np.abs(i) % period if period else np.zeros_like(i)
        return np.where(i >= n, period - i, i)
    i = np.where(i < 0, -i - 1, i)
    return np.where(i >= n, 2 * n - 1 - i, i)


def _is_text(value):
    try:
        a = np.asarray(value)
    except ValueError:  # ragged nesting
        return False
    return a.dtype.kind in "SU" or (a.dtype.kind == "O" and a.size > 0 and
                                     all(isinstance(v, (str, bytes)) for v in a.reshape(-1)))


def _pad_text(value, paddings, mode, constant_values):
    a = np.asarray(value)
    a = a.astype(str).astype(object) if a.dtype.kind in "SU" else a
    p = np.array([[int(v) for v in row] for row in
                  np.asarray(paddings, dtype=object).reshape(-1, 2)], dtype=np.int64)
    if p.shape != (a.ndim, 2):
        raise invalid("tf.pad", f"paddings must be of shape [{a.ndim}, 2], got {p.shape}")
    if (p < 0).any():
        raise invalid("tf.pad", f"paddings must be non-negative, got {p.tolist()}")
    m = str(mode).upper()
    if m in ("REFLECT", "SYMMETRIC"):  # NumPy's modes of the same names and meaning
        out = np.pad(a, p.tolist(), mode=m.lower())
    elif m == "CONSTANT":
        fill = "" if isinstance(constant_values, (int, np.integer)) and constant_values == 0 \
            else constant_values
        if not isinstance(fill, (str, bytes)):
            raise TypeError(f"[tf.pad] a string tensor pads with a string constant_values. "
                            f"Received: constant_values={constant_values!r}")
        out = np.pad(a, p.tolist(), mode="constant", constant_values=fill)
    else:
        raise ValueError(f"[tf.pad] mode must be 'CONSTANT', 'REFLECT' or 'SYMMETRIC', got "
                         f"{mode!r}")
    return np.array([str(v) if isinstance(v, str) else v for v in out.reshape(-1)],
                    dtype=object).reshape(out.shape)


@symbolic_aware
def pad(tensor, paddings, mode="CONSTANT", constant_values=0, name=None):
    """tf.pad: paddings [rank, 2] of (before, after) per dimension; mode 'CONSTANT' (fill with
    constant_values), 'REFLECT' (mirror, not repeating the edge: each amount < that size) or
    'SYMMETRIC' (mirror repeating the edge: each amount <= that size), case-insensitive.
    Strings (a str list or array, as tf.string tensors) pad with a string constant_values
    (NumPy, returned as an object array of str)."""
    if not isinstance(tensor, Tensor) and _is_text(tensor):
        return _pad_text(tensor, paddings, mode, constant_values)
    x = _t(tensor)
    p = _np(paddings).astype(np.int64)
    if p.shape != (x.ndim, 2):
        raise invalid("tf.pad", f"paddings must be of shape [{x.ndim}, 2], got {p.shape}")
    if (p < 0).any():
        raise invalid("tf.pad", f"paddings must be non-negative, got {p.tolist()}")
    m = str(mode).upper()
    if m == "CONSTANT":
        value = _np(constant_values).astype(x._data.dtype)
        return Pad.apply(x, widths=tuple(map(tuple, p.tolist())), value=value)
    if m not in ("REFLECT", "SYMMETRIC"):
        raise ValueError(f"[tf.pad] mode must be 'CONSTANT', 'REFLECT' or 'SYMMETRIC', got "
                         f"{mode!r}")
    if np.any(_np(constant_values) != 0):
        raise ValueError(f"[tf.pad] constant_values is for mode 'CONSTANT', got mode={mode!r}")
    out = x
    for d, (b, a) in enumerate(p.tolist()):
        limit = x.shape[d] - (1 if m == "REFLECT" else 0)
        if b > limit or a > limit:
            raise invalid("tf.pad", f"paddings {p[d].tolist()} of dimension {d} must be at most "
                          f"{limit} for mode {m} (its size is {x.shape[d]})")
        if b or a:
            idx = _mirror_index(x.shape[d], b, a, m)
            out = out[(slice(None),) * d + (Tensor._wrap(idx),)]
    return out


@symbolic_aware
def unstack(value, num=None, axis=0, name=None):
    """tf.unstack: the list of slices of `value` along `axis` (each one dimension less)."""
    x = _t(value)
    if x.ndim == 0:
        raise ValueError("[tf.unstack] value must have at least one dimension")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"[tf.unstack] axis {axis} out of range for a {x.ndim}-D tensor")
    if num is not None and int(num) != x.shape[axis]:
        raise ValueError(f"[tf.unstack] num={num} but dimension {axis} has size "
                         f"{x.shape[axis]}")
    return list(x.unbind(axis))


@symbolic_aware
def reduce_prod(input_tensor, axis=None, keepdims=False, name=None):
    """tf.reduce_prod: the product over `axis` (all axes by default); differentiable."""
    x = _t(input_tensor)
    out = x
    for a in reversed(_axes(axis, x.ndim, "tf.reduce_prod")):
        out = out.prod(a, keepdim=True)
    if not keepdims:
        out = out.reshape(tuple(s for i, s in enumerate(out.shape)
                                if i not in _axes(axis, x.ndim, "tf.reduce_prod")))
    return out.astype(x.dtype) if out.dtype != x.dtype else out


def _logical(op, x, axis, keepdims, np_fn):
    a = _np(x)
    if a.dtype != np.bool_:
        raise TypeError(f"[tf.{op}] input_tensor must be bool, got {a.dtype}")
    return Tensor._wrap(np.asarray(np_fn(a, axis=_axes(axis, a.ndim, f"tf.{op}"),
                                         keepdims=bool(keepdims))))


@symbolic_aware
def reduce_any(input_tensor, axis=None, keepdims=False, name=None):
    """tf.reduce_any: logical or over `axis` (all by default) of a bool tensor."""
    return _logical("reduce_any", input_tensor, axis, keepdims, np.any)


@symbolic_aware
def reduce_all(input_tensor, axis=None, keepdims=False, name=None):
    """tf.reduce_all: logical and over `axis` (all by default) of a bool tensor."""
    return _logical("reduce_all", input_tensor, axis, keepdims, np.all)


def _running(op, method, identity, x, axis, exclusive, reverse):
    """tf.math.cumsum / cumprod along `axis`: exclusive shifts the running values by one
    (starting from `identity`), reverse runs from the end. Keeps the dtype; differentiable."""
    t = _t(x)
    if t.ndim == 0:
        raise invalid(op, "x must have at least one dimension")
    ax = _axes(axis, t.ndim, op)[0]
    if reverse:
        t = t.flip(ax)
    out = getattr(t, method)(ax)
    if exclusive and t.shape[ax]:
        lead = (slice(None),) * ax
        # a constant slice, not t[0] * 0 (inf * 0 would start the run at NaN)
        first = np.full(t.shape[:ax] + (1,) + t.shape[ax + 1:], identity, t.numpy().dtype)
        out = F.cat([Tensor(first).astype(out.dtype), out[lead + (slice(0, -1),)]], ax)
    out = out.flip(ax) if reverse else out
    return out.astype(t.dtype) if out.dtype != t.dtype else out


@symbolic_aware
def cumsum(x, axis=0, exclusive=False, reverse=False, name=None):
    """tf.math.cumsum: running sums along `axis`; exclusive leaves each element out of its own
    sum (starting from 0), reverse sums from the end. Keeps the dtype; differentiable."""
    return _running("tf.math.cumsum", "cumsum", 0, x, axis, exclusive, reverse)


@symbolic_aware
def cumprod(x, axis=0, exclusive=False, reverse=False, name=None):
    """tf.math.cumprod: running products along `axis`; exclusive leaves each element out of its
    own product (starting from 1), reverse multiplies from the end. Keeps the dtype;
    differentiable."""
    return _running("tf.math.cumprod", "cumprod", 1, x, axis, exclusive, reverse)


@symbolic_aware
def torch_or_tf_cumsum(input, *args, axis=None, exclusive=None, reverse=None, name=None,
                       **torch_kwargs):
    """pe.cumsum in both spellings, resolved as pe.split is: torch.cumsum(input, dim, *,
    dtype=None) when called with one dim (by position or dim=) and none of TensorFlow's
    keywords; otherwise tf.cumsum(x, axis=0, exclusive=False, reverse=False) (axis= /
    exclusive / reverse / name given, a second positional after the axis, or no axis at all,
    which torch refuses and TensorFlow reads as 0). One positional dim means the same in both,
    except that torch's gives int64 running sums of integers, TensorFlow's keep the dtype."""
    tf_form = any(v is not None for v in (axis, exclusive, reverse, name)) or len(args) > 1 \
        or not (args or torch_kwargs)
    if not tf_form:
        return _t(input).cumsum(*args, **torch_kwargs)
    if torch_kwargs:
        raise TypeError(f"[cumsum] torch.cumsum's {sorted(torch_kwargs)} mixed with "
                        "TensorFlow's axis / exclusive / reverse")
    if len(args) > 3:
        raise TypeError(f"[cumsum] at most 4 positional arguments, got {len(args) + 1}")
    given = dict(zip(("axis", "exclusive", "reverse"), args))
    for key, v in (("axis", axis), ("exclusive", exclusive), ("reverse", reverse)):
        if v is not None:
            if key in given:
                raise TypeError(f"[cumsum] {key} given twice")
            given[key] = v
    return cumsum(input, given.get("axis", 0), bool(given.get("exclusive", False)),
                  bool(given.get("reverse", False)))


@symbolic_aware
def rsqrt(x, name=None):
    """tf.math.rsqrt: 1 / sqrt(x)."""
    return _t(x).sqrt() ** -1.0


def _float_test(op, fn):
    @symbolic_aware
    def test(x, name=None):
        a = _np(x)
        if a.dtype.kind != "f":
            raise TypeError(f"[tf.math.{op}] x must be floating, got {a.dtype}")
        return Tensor._wrap(fn(a))
    test.__name__ = test.__qualname__ = op
    test.__doc__ = f"tf.math.{op}: elementwise bool test of a floating tensor (np.{fn.__name__})."
    return test


is_nan, is_inf, is_finite = (_float_test(n, f) for n, f in (
    ("is_nan", np.isnan), ("is_inf", np.isinf), ("is_finite", np.isfinite)))

TopKV2 = collections.namedtuple("TopKV2", ["values", "indices"])


@symbolic_aware
def top_k(input, k=1, sorted=True, index_type=None, name=None):
    """tf.math.top_k: (values, indices) of the k largest entries along the last axis, largest
    first, equal values in index order (sorted=False allows any order, so this one too);
    indices int32 (or index_type int64). The values' gradient flows back to the chosen
    entries."""
    x = _t(input)
    k = int(_np(k))
    if x.ndim == 0:
        raise invalid("tf.math.top_k", "input must be at least 1-D")
    if not 0 <= k <= x.shape[-1]:
        raise invalid("tf.math.top_k", f"input must have at least k={k} columns, got "
                      f"{x.shape[-1]}")
    itype = np.int32 if index_type is None else _dt.as_dtype(index_type).np
    if np.dtype(itype) not in (np.dtype(np.int32), np.dtype(np.int64)):
        raise ValueError(f"[tf.math.top_k] index_type must be int32 or int64, got {index_type!r}")
    values, indices = x.topk(k, dim=-1)
    return TopKV2(values, Tensor._wrap(indices._data.astype(itype)))


@symbolic_aware
def boolean_mask(tensor, mask, axis=None, name=None):
    """tf.boolean_mask: the entries of `tensor` where `mask` (shape tensor.shape[axis:axis+K])
    is True, those K dimensions flattened into one; differentiable in tensor."""
    x, m = _t(tensor), _np(mask).astype(bool)
    if m.ndim == 0:
        raise ValueError("[tf.boolean_mask] mask cannot be scalar")
    ax = 0 if axis is None else int(axis) % max(x.ndim, 1)
    if tuple(x.shape[ax:ax + m.ndim]) != m.shape:
        raise ValueError(f"[tf.boolean_mask] mask {m.shape} must match the tensor's dimensions "
                         f"{tuple(x.shape[ax:ax + m.ndim])} from axis {ax}")
    flat = x.reshape(tuple(x.shape[:ax]) + (-1 if m.size else 0,) + tuple(x.shape[ax + m.ndim:]))
    keep = Tensor._wrap(np.flatnonzero(m).astype(np.int64))
    return flat[(slice(None),) * ax + (keep,)]


@symbolic_aware
def sequence_mask(lengths, maxlen=None, dtype=None, name=None):
    """tf.sequence_mask: mask[..., j] = j < lengths[...], shape lengths.shape + (maxlen,),
    maxlen max(lengths) by default; bool unless dtype says otherwise."""
    n = _np(lengths)
    if n.dtype.kind not in "iu" and not (n.dtype.kind == "f" and np.all(n == np.floor(n))):
        raise TypeError(f"[tf.sequence_mask] lengths must be integers, got {n.dtype}")
    n = n.astype(np.int64)
    m = (int(n.max()) if n.size else 0) if maxlen is None else int(_np(maxlen))
    if m < 0:
        raise invalid("tf.sequence_mask", f"maxlen must be non-negative, got {m}")
    out = Tensor._wrap(np.arange(m) < n[..., None])
    return out if dtype is None else cast(out, dtype)


def _int_values(op, x, what):
    a = _np(x)
    if a.dtype.kind == "f" and np.all(a == np.floor(a)):
        a = a.astype(np.int64)
    if a.dtype.kind not in "iu":
        raise TypeError(f"[{op}] {what} must be integers, got {a.dtype}")
    return a.astype(np.int64)


def confusion_matrix(labels, predictions, num_classes=None, weights=None, dtype=None,
                     name=None):
    """tf.math.confusion_matrix: (num_classes, num_classes), rows the labels, columns the
    predictions, each (label, prediction) pair counting 1 (or its weight); num_classes
    max(labels, predictions) + 1 by default; int32 unless dtype says otherwise."""
    op = "tf.math.confusion_matrix"
    lab, pred = _int_values(op, labels, "labels").ravel(), _int_values(op, predictions,
                                                                       "predictions").ravel()
    if lab.shape != pred.shape:
        raise ValueError(f"[{op}] labels {lab.shape} and predictions {pred.shape} differ")
    if (lab < 0).any() or (pred < 0).any():
        raise invalid(op, "labels and predictions must be non-negative")
    n = (int(max(lab.max(initial=-1), pred.max(initial=-1))) + 1) if num_classes is None \
        else int(_np(num_classes))
    if (lab >= n).any() or (pred >= n).any():
        raise invalid(op, f"labels and predictions must be < num_classes={n}")
    npd = _dt.as_dtype(dtype).np if dtype is not None else np.int32
    w = np.ones(lab.shape) if weights is None else np.broadcast_to(_np(weights), lab.shape)
    out = np.zeros((n, n), dtype=np.float64 if np.dtype(npd).kind == "f" else np.int64)
    np.add.at(out, (lab, pred), w.astype(out.dtype))
    return Tensor._wrap(out.astype(npd))


def bincount(arr, weights=None, minlength=None, maxlength=None, dtype=None, name=None,
             axis=None, binary_output=False):
    """tf.math.bincount: counts of each value 0, 1, ... of the non-negative int `arr` (length
    max(arr) + 1, at least minlength, values >= maxlength dropped); with weights, their sums
    (in the weights' dtype); binary_output: 1 where a value occurs; axis=-1 counts each row of
    a 2-D arr. Without weights int32 unless dtype says otherwise."""
    op = "tf.math.bincount"
    a = _int_values(op, arr, "arr")
    if (a < 0).any():
        raise invalid(op, "arr must be non-negative")
    if axis not in (None, 0, -1):
        raise ValueError(f"[{op}] axis must be None, 0 or -1, got {axis!r}")
    if binary_output and weights is not None:
        raise ValueError(f"[{op}] weights and binary_output=True cannot be used together")
    w = None if weights is None else np.broadcast_to(_np(weights), a.shape)
    n = int(a.max()) + 1 if a.size else 0
    n = max(n, int(minlength)) if minlength is not None else n
    n = min(n, int(maxlength)) if maxlength is not None else n
    rows = a.reshape(a.shape[0] if axis == -1 and a.ndim == 2 else 1, -1)
    if axis == -1 and a.ndim != 2:
        raise ValueError(f"[{op}] axis=-1 needs a 2-D arr, got shape {a.shape}")
    wr = None if w is None else w.reshape(rows.shape)
    npd = np.dtype(wr.dtype if wr is not None else
                   (_dt.as_dtype(dtype).np if dtype is not None else np.int32))
    out = np.zeros((rows.shape[0], n), dtype=np.float64 if npd.kind == "f" else np.int64)
    r, c = np.nonzero(rows < n)
    np.add.at(out, (r, rows[r, c]), 1 if wr is None else wr[r, c])
    if binary_output:
        out = (out > 0).astype(out.dtype)
    return Tensor._wrap((out if axis == -1 else out[0]).astype(npd))


def executing_eagerly():
    """tf.executing_eagerly: True; pyengine always runs eagerly (tf.function included)."""
    return True


def get_static_value(tensor, partial=False):
    """tf.get_static_value: the value as a NumPy array (every eager tensor's value is known,
    so `partial` changes nothing); None for a symbolic Keras tensor, other values as given."""
    import sys
    sym = sys.modules.get("pyengine.keras.symbolic")
    if sym is not None and isinstance(tensor, sym.KerasTensor):
        return None
    return tensor.numpy() if isinstance(tensor, Tensor) else tensor


# tf.math.* (tf_names.math, the one tf.math namespace): these names join it
from .tf_names import math as _math  # noqa: E402
for _fn in (reduce_prod, reduce_any, reduce_all, cumsum, cumprod, rsqrt, is_nan, is_inf, is_finite,
            top_k, confusion_matrix, bincount):
    setattr(_math, _fn.__name__, _fn)


@symbolic_aware
def _arg_extreme(fn, x, axis, keepdims, dim, keepdim):
    return fn(x, axis, keepdims, dim, keepdim)


def _is_tf_variable(x):
    """A tf.Variable / keras.Variable (keras' weight class; torch programs make Parameters)."""
    base = sys.modules.get("pyengine.keras.layers.base")
    return base is not None and isinstance(x, base.Variable)


def _torch_or_tf_arg(op, fn, input, axis, keepdims, dim, keepdim, output_type, name):
    """pe.argmax / argmin in both spellings. torch.argmax(input, dim=None, keepdim=False) takes
    only Tensors and with no dim returns the index into the flattened tensor; tf.argmax(input,
    axis=None, output_type=tf.int64, name=None) reads a missing axis as 0. A call is
    TensorFlow's when it names output_type= or name=, passes a dtype third (tf.argmax(x, 1,
    tf.int32)), or passes anything but a pe.Tensor (a NumPy array, a list, a Keras symbolic
    tensor), which torch refuses, or a tf.Variable (TensorFlow's variable guide:
    `tf.argmax(my_variable)`); otherwise PyTorch's."""
    if isinstance(keepdims, (_dt.DType, type, np.dtype, str)):
        if output_type is not None:
            raise TypeError(f"[{op}] output_type given twice")
        output_type, keepdims = keepdims, False
    tf_form = output_type is not None or name is not None or not isinstance(input, Tensor) \
        or _is_tf_variable(input)
    if tf_form and axis is None and dim is None:
        axis = 0
    out = _arg_extreme(fn, input, axis, keepdims, dim, keepdim)
    if output_type is None:
        return out
    want = _dt.as_dtype(output_type)
    if want not in (_dt.int16, _dt.int32, _dt.int64):
        raise TypeError(f"[{op}] output_type must be int16, int32 or int64, got "
                        f"{output_type!r}")
    return cast(out, want)


def torch_or_tf_argmax(input, axis=None, keepdims=False, dim=None, keepdim=None, *,
                       output_type=None, name=None):
    """pe.argmax: torch.argmax and tf.argmax, resolved as _torch_or_tf_arg says."""
    return _torch_or_tf_arg("argmax", F.argmax, input, axis, keepdims, dim, keepdim,
                            output_type, name)


def torch_or_tf_argmin(input, axis=None, keepdims=False, dim=None, keepdim=None, *,
                       output_type=None, name=None):
    """pe.argmin: torch.argmin and tf.argmin, resolved as _torch_or_tf_arg says."""
    return _torch_or_tf_arg("argmin", F.argmin, input, axis, keepdims, dim, keepdim,
                            output_type, name)


def _tf_sort_form(input, kwargs, tf_keys):
    return bool(kwargs.keys() & tf_keys) or not isinstance(input, Tensor)


def _direction(op, direction):
    if direction not in ("ASCENDING", "DESCENDING"):
        raise ValueError(f"[{op}] direction must be 'ASCENDING' or 'DESCENDING', got "
                         f"{direction!r}")
    return direction == "DESCENDING"


def torch_or_tf_argsort(input, *args, **kwargs):
    """pe.argsort: torch.argsort(input, dim=-1, descending=False, stable=False) (int64) and
    tf.argsort(values, axis=-1, direction='ASCENDING', stable=False) (int32). TensorFlow's when
    given axis= / direction= / name= or a non-Tensor input (which torch refuses)."""
    if not _tf_sort_form(input, kwargs, {"axis", "direction", "name"}):
        return _t(input).argsort(*args, **kwargs)
    return _tf_sort("tf.argsort", input, args, kwargs, want_indices=True)


def torch_or_tf_sort(input, *args, **kwargs):
    """pe.sort: torch.sort(input, dim=-1, descending=False, stable=False) -> (values, indices),
    and tf.sort(values, axis=-1, direction='ASCENDING') -> the sorted values alone; resolved as
    pe.argsort is."""
    if not _tf_sort_form(input, kwargs, {"axis", "direction", "name"}):
        return _t(input).sort(*args, **kwargs)
    return _tf_sort("tf.sort", input, args, kwargs, want_indices=False)


def _tf_sort(op, values, args, kwargs, want_indices):
    names = ("axis", "direction", "stable", "name") if want_indices else \
        ("axis", "direction", "name")
    if len(args) > len(names):
        raise TypeError(f"[{op}] at most {len(names) + 1} positional arguments")
    given = dict(zip(names, args))
    for k, v in kwargs.items():
        if k not in names or k in given:
            raise TypeError(f"[{op}] unexpected or repeated argument {k!r}")
        given[k] = v
    x = _t(values)
    descending = _direction(op, given.get("direction", "ASCENDING"))
    vals, idx = x.sort(int(given.get("axis", -1)), descending=descending, stable=True)
    return cast(idx, _dt.int32) if want_indices else vals
