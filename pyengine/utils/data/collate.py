"""Turning a list of samples into a batch (torch.utils.data's default_collate rules):
tensors and arrays are stacked into a Tensor (a new leading batch dimension), Python floats
become a float64 tensor and ints an int64 one, strings stay a list, and dicts, tuples, lists
and namedtuples are collated field by field."""
import collections.abc
import numbers

import numpy as np

from ...tensor import Tensor


def _stack(arrays, what):
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise RuntimeError(f"[default_collate] can't stack {what}s of different shapes into a "
                           f"batch: {sorted(shapes, key=str)}; pad them or pass a collate_fn")
    return Tensor._wrap(np.stack(arrays))


def default_collate(batch):
    """A batch from a list of samples; see the module docstring.

    >>> default_collate([(np.zeros(3), 1), (np.ones(3), 0)])   # [Tensor (2, 3), Tensor (2,)]
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack([b._data for b in batch], "tensor")
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in "USOV":
            raise TypeError(f"[default_collate] batch must contain numeric arrays, tensors, "
                            f"numbers, dicts or lists; found an array of dtype {elem.dtype}")
        return _stack([np.asarray(b) for b in batch], "array")
    if isinstance(elem, np.generic):
        return Tensor._wrap(np.asarray(batch))
    if isinstance(elem, bool):
        return Tensor._wrap(np.asarray(batch, dtype=np.bool_))
    if isinstance(elem, float):
        return Tensor._wrap(np.asarray(batch, dtype=np.float64))
    if isinstance(elem, numbers.Integral):
        return Tensor._wrap(np.asarray(batch, dtype=np.int64))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        return type(elem)({k: default_collate([d[k] for d in batch]) for k in elem}) \
            if type(elem) is not dict else {k: default_collate([d[k] for d in batch]) for k in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        n = len(elem)
        if any(len(b) != n for b in batch):
            raise RuntimeError("[default_collate] each element in list of batch should be of "
                               f"equal size, got lengths {sorted({len(b) for b in batch})}")
        return [default_collate(list(s)) for s in zip(*batch)]
    raise TypeError(f"[default_collate] batch must contain tensors, numpy arrays, numbers, dicts "
                    f"or lists; found {type(elem).__name__}")


def default_convert(data):
    """Without batching (batch_size=None): numpy arrays become Tensors, containers recurse."""
    if isinstance(data, np.ndarray) and data.dtype.kind not in "USOV":
        return Tensor._wrap(data)
    if isinstance(data, collections.abc.Mapping):
        return {k: default_convert(v) for k, v in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, list):
        return [default_convert(d) for d in data]
    return data
