"""Dataset.padded_batch: consecutive elements stacked after padding each leaf to a common shape
(tf.data's rules): a dimension given as None or -1 in `padded_shapes` (every dimension when
padded_shapes is None) pads to the longest in the batch, an int pads to exactly that size
(an element longer than it raises); padding goes at the end of each dimension, with
`padding_values` (0 for numbers, "" for text unless given)."""
import numpy as np

from . import structure as _st


def padded_stack(elements, padded_shapes, padding_values):
    """One batch from `elements` (same structure, leaves of one rank per position)."""
    first = elements[0]
    shapes = _broadcast(padded_shapes, first, "padded_shapes")
    values = _broadcast(padding_values, first, "padding_values")
    return _zip(lambda xs, shape, value: _pad_leaves(xs, shape, value), elements, shapes, values)


def _broadcast(spec, like, what):
    """`spec` given once per leaf of `like` (None and scalars apply to every leaf)."""
    if spec is None or not isinstance(spec, (tuple, dict)) or _is_shape(spec, like):
        return _st.map_leaves(lambda _a: spec, like)
    if isinstance(like, dict):
        if not isinstance(spec, dict) or spec.keys() != like.keys():
            raise ValueError(f"[Dataset.padded_batch] {what} must have the elements' structure "
                             f"(keys {sorted(like)}); received {spec!r}")
        return {k: _broadcast(spec[k], like[k], what) for k in like}
    if isinstance(like, tuple):
        if not isinstance(spec, tuple) or len(spec) != len(like):
            raise ValueError(f"[Dataset.padded_batch] {what} must have the elements' structure "
                             f"({len(like)} components); received {spec!r}")
        return tuple(_broadcast(s, x, what) for s, x in zip(spec, like))
    return spec


def _is_shape(spec, like):
    # a tuple of ints / None for a single leaf is a shape, not a structure
    return not isinstance(like, (tuple, dict)) and isinstance(spec, tuple) and \
        all(d is None or isinstance(d, (int, np.integer)) for d in spec)


def _zip(fn, elements, shapes, values):
    first = elements[0]
    if isinstance(first, dict):
        return {k: _zip(fn, [e[k] for e in elements], shapes[k], values[k]) for k in first}
    if isinstance(first, tuple):
        return tuple(_zip(fn, [e[i] for e in elements], shapes[i], values[i])
                     for i in range(len(first)))
    return fn(elements, shapes, values)


def _pad_leaves(arrays, shape, value):
    ranks = {a.ndim for a in arrays}
    if len(ranks) != 1:
        raise ValueError(f"[Dataset.padded_batch] elements have different ranks {sorted(ranks)} "
                         "at the same position; padding cannot change a rank")
    rank = ranks.pop()
    longest = tuple(max(a.shape[d] for a in arrays) for d in range(rank))
    if shape is None:
        target = longest
    else:
        shape = tuple(getattr(shape, "as_list", lambda: shape)())
        if len(shape) != rank:
            raise ValueError(f"[Dataset.padded_batch] padded shape {shape} has rank "
                             f"{len(shape)} but the elements have rank {rank}")
        target = tuple(n if d is None or d == -1 else int(d) for d, n in zip(shape, longest))
        for d, (want, have) in enumerate(zip(target, longest)):
            if have > want:
                raise ValueError(f"[Dataset.padded_batch] an element has size {have} in "
                                 f"dimension {d}, more than the padded shape {shape} allows")
    text = arrays[0].dtype.kind in "SUO"
    if value is None:
        value = "" if text else 0
    value = np.asarray(getattr(value, "_data", value))
    if value.ndim != 0:
        raise ValueError(f"[Dataset.padded_batch] a padding value must be a scalar; received "
                         f"shape {value.shape}")
    if text != (value.dtype.kind in "SUO"):
        raise TypeError(f"[Dataset.padded_batch] padding value {value[()]!r} does not match "
                        f"elements of dtype {arrays[0].dtype}")
    dtype = np.result_type(*arrays) if text else arrays[0].dtype
    out = np.full((len(arrays),) + target, value[()], dtype=dtype)
    for i, a in enumerate(arrays):
        out[(i,) + tuple(slice(0, n) for n in a.shape)] = a
    return out
