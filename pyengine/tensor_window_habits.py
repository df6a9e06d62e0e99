"""Tensor.unfold(dimension, size, step): PyTorch's sliding windows along one dimension (the
ViT patch extractor's `x.unfold(2, p, p).unfold(3, p, p)`). Mixed into Tensor through
TorchHabits. A view of the tensor's memory by strides (StridedView, as PyTorch's), whose
gradient sums into each element viewed (overlapping windows accumulate).
F.unfold (im2col) is a different operation: pyengine/nn/functional_fold.py."""
import numpy as np


class WindowHabits:
    __slots__ = ()

    def unfold(self, dimension, size, step):
        """Windows of `size` elements every `step` along `dimension`, as a new last
        dimension: shape [..., (n - size) // step + 1, ..., size]."""
        from .ops.strided_view import StridedView
        if isinstance(dimension, bool) or not isinstance(dimension, (int, np.integer)):
            raise TypeError(f"[unfold] dimension must be an int, got {dimension!r}")
        for name, v in (("size", size), ("step", step)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise TypeError(f"[unfold] {name} must be an int, got {v!r}")
        shape = tuple(self.shape)
        nd = max(len(shape), 1)
        if not -nd <= dimension < nd:
            raise IndexError(f"[unfold] dimension {dimension} out of range for {len(shape)}-d tensor")
        dim = dimension % nd
        n = shape[dim] if shape else 1
        if step <= 0:
            raise RuntimeError(f"[unfold] step is {step} but must be > 0")
        if size < 0 or size > n:
            raise RuntimeError(f"[unfold] maximum size for tensor at dimension {dim} is {n} "
                               f"but size is {size}")
        x = self if shape else self.reshape(1)
        count = (n - size) // step + 1
        a = x._data
        out = StridedView.apply(
            x, shape=a.shape[:dim] + (count,) + a.shape[dim + 1:] + (size,),
            strides=a.strides[:dim] + (a.strides[dim] * step,) + a.strides[dim + 1:] +
            (a.strides[dim],), offset=0, op="unfold")
        # a 0-d tensor gives shape (size,), as PyTorch
        return out if shape else out.reshape(size)
