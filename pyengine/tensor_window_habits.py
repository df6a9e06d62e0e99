"""Tensor.unfold(dimension, size, step): PyTorch's sliding windows along one dimension (the
ViT patch extractor's `x.unfold(2, p, p).unfold(3, p, p)`). Mixed into Tensor through
TorchHabits. Built from index_select + view + movedim, so it is differentiable through those
ops (overlapping windows accumulate their gradients) and needs no kernel of its own.
F.unfold (im2col) is a different operation: pyengine/nn/functional_fold.py."""
import numpy as np


class WindowHabits:
    __slots__ = ()

    def unfold(self, dimension, size, step):
        """Windows of `size` elements every `step` along `dimension`, as a new last
        dimension: shape [..., (n - size) // step + 1, ..., size]."""
        from .creation import tensor
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
        idx = (np.arange(count)[:, None] * step + np.arange(size)[None, :]).reshape(-1)
        picked = x.index_select(dim, tensor(idx.astype(np.int64), device=self.device))
        split = shape[:dim] + (count, size) + shape[dim + 1:] if shape else (count, size)
        out = picked.reshape(split).movedim(dim + 1, -1)
        # a 0-d tensor gives shape (size,), as PyTorch
        return out if shape else out.reshape(size)
