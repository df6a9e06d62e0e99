"""AdaptiveMaxPool2d / AdaptiveMaxPool1d over F.adaptive_max_pool2d / F.adaptive_max_pool1d, and
AdaptiveAvgPool1d over F.adaptive_avg_pool1d."""
from .. import functional as F
from ..module import Module


class _AdaptiveMaxPool(Module):
    """The two layers' shared state; `_pool` names the F function of the subclass."""
    _pool = None

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, input):
        return getattr(F, self._pool)(input, self.output_size, self.return_indices)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(_AdaptiveMaxPool):
    """Max pooling of (N, C, H, W) input to a fixed output_size (int or (H, W); None keeps that
    input dim); return_indices=True also returns the flat per-plane argmax.

    >>> pe.nn.AdaptiveMaxPool2d((2, None))(pe.randn(1, 3, 5, 4)).shape
    (1, 3, 2, 4)
    """
    _pool = "adaptive_max_pool2d"


class AdaptiveMaxPool1d(_AdaptiveMaxPool):
    """Max pooling of (N, C, L) input to output_size positions; return_indices=True also returns
    the argmax positions along L.

    >>> pe.nn.AdaptiveMaxPool1d(3)(pe.randn(2, 4, 10)).shape
    (2, 4, 3)
    """
    _pool = "adaptive_max_pool1d"


class AdaptiveAvgPool1d(Module):
    """Average pooling of (N, C, L) input to output_size positions.

    >>> pe.nn.AdaptiveAvgPool1d(3)(pe.randn(2, 4, 10)).shape
    (2, 4, 3)
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return F.adaptive_avg_pool1d(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"
