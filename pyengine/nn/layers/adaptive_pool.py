"""AdaptiveMaxPool2d / AdaptiveMaxPool1d over F.adaptive_max_pool2d / F.adaptive_max_pool1d."""
from .. import functional as F
from ..module import Module


class AdaptiveMaxPool2d(Module):
    """Max pooling of (N, C, H, W) input to a fixed output_size (int or (H, W); None keeps that
    input dim); return_indices=True also returns the flat per-plane argmax.

    >>> pe.nn.AdaptiveMaxPool2d((2, None))(pe.randn(1, 3, 5, 4)).shape
    (1, 3, 2, 4)
    """

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, input):
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(Module):
    """Max pooling of (N, C, L) input to output_size positions; return_indices=True also returns
    the argmax positions along L.

    >>> pe.nn.AdaptiveMaxPool1d(3)(pe.randn(2, 4, 10)).shape
    (2, 4, 3)
    """

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, input):
        return F.adaptive_max_pool1d(input, self.output_size, self.return_indices)

    def extra_repr(self):
        return f"output_size={self.output_size}"
