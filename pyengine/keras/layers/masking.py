"""Keras masks of sequence batches: which time steps are real (1) and which are padding (0).

Embedding(mask_zero=True) and Masking attach a (batch, time) boolean mask to their output;
recurrent layers read it (masked steps carry the state through), and layers that keep the time
axis (RNNs with return_sequences, Bidirectional, TimeDistributed) attach it to theirs. The mask
lives beside the tensor (keyed by identity, dropped when the tensor is freed), as Keras'
`_keras_mask` attribute does; `get_mask(t)` is None for a tensor no mask-producing layer made.
Layers in between that do not propagate masks (Flatten, Conv1D, pooling, ...) end the mask
there; Dense, Dropout, Activation and the normalizations pass it on, as in Keras 3. Eager and
symbolic tensors show it as Keras' `_keras_mask` attribute (layers/base.py, symbolic.py)."""
import weakref

import numpy as np

from ...tensor import Tensor
from .base import Layer

_MASKS = {}


def set_mask(tensor, mask):
    """Attach mask (batch, time) to `tensor` (None clears); returns the tensor."""
    key = id(tensor)
    if mask is None:
        _MASKS.pop(key, None)
        return tensor
    mask = np.asarray(getattr(mask, "data", mask)).astype(bool)
    _MASKS[key] = (weakref.ref(tensor, lambda _r, k=key: _MASKS.pop(k, None)), mask)
    return tensor


def get_mask(tensor):
    entry = _MASKS.get(id(tensor))
    if entry is not None and entry[0]() is tensor:
        return entry[1]
    # `y._keras_mask = m` on a tensor that was not a layer's output yet (TensorFlow's way of
    # setting a mask inside call) lands in the instance dict, under EagerTensor's property
    own = getattr(tensor, "__dict__", {}).get("_keras_mask")
    return None if own is None else np.asarray(getattr(own, "data", own)).astype(bool)


def mask_weights(tensor, shape, owner):
    """The mask of `tensor` as float32 weights of `shape` (per-position losses or metric
    values), None when it carries none. Keras 3 weights losses and mean metrics of a masked
    output this way (a mask whose last axis is 1, or one axis short of a trailing 1, is
    squeezed / expanded as Keras' squeeze_or_expand_to_same_rank does)."""
    mask = get_mask(tensor) if isinstance(tensor, Tensor) else None
    if mask is None:
        return None
    shape = tuple(shape)
    if mask.ndim == len(shape) + 1 and mask.shape[-1] == 1:
        mask = mask[..., 0]
    elif len(shape) == mask.ndim + 1 and shape[-1] == 1:
        mask = mask[..., None]
    try:
        return np.ascontiguousarray(np.broadcast_to(mask, shape), dtype=np.float32)
    except ValueError:
        raise ValueError(f"[{owner}] the predictions carry a Keras mask of shape {mask.shape} "
                         f"that does not match the per-position values of shape {shape}; "
                         "a layer kept a mask it should have ended (compute_mask)") from None


class Masking(Layer):
    """Masks time steps whose features all equal mask_value: the output is the input with those
    steps zeroed, and the mask goes to the layers after it (e.g. an LSTM skips those steps)."""

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = float(mask_value)

    def call(self, x):
        if x.ndim < 3:
            raise ValueError(f"[{self.name}] expects (batch, time, features...) input, received "
                             f"shape {tuple(x.shape)}")
        axes = tuple(range(2, x.ndim))
        keep = np.any(x._data != self.mask_value, axis=axes)
        out = x * Tensor._wrap(keep.reshape(keep.shape + (1,) * len(axes)).astype(x._data.dtype))
        return set_mask(out, keep)
