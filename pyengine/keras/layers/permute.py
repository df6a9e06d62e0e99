"""Keras Permute: reorders the non-batch axes (a view, as Tensor.permute)."""
from .base import Layer


class Permute(Layer):
    """Permute(dims): dims is a permutation of 1..rank-1 (the batch axis 0 stays first).

    >>> keras.layers.Permute((2, 1))(pe.randn(4, 3, 5)).shape
    (4, 5, 3)
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        dims = tuple(int(d) for d in dims)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(f"[Permute] dims must be a permutation of 1..{len(dims)} (the batch "
                             f"axis is not included). Received: dims={dims}")
        self.dims = dims

    def call(self, x):
        if x.ndim != len(self.dims) + 1:
            raise ValueError(f"[{self.name}] dims={self.dims} needs inputs of rank "
                             f"{len(self.dims) + 1}, received shape {tuple(x.shape)}")
        return x.permute(0, *self.dims)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)
