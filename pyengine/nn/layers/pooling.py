"""Pooling modules over F.max_pool2d / F.avg_pool2d / F.adaptive_avg_pool2d."""
from ..module import Module
from .conv import functional


class MaxPool2d(Module):
    """Max over kernel_size windows of (N, C, H, W) input; stride defaults to kernel_size."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        self.kernel_size, self.padding, self.dilation = kernel_size, padding, dilation
        self.stride = kernel_size if stride is None else stride
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, x):
        extra = {}  # only non-default options, so the op sees the plainest call it can
        if self.dilation != 1:
            extra["dilation"] = self.dilation
        if self.ceil_mode:
            extra["ceil_mode"] = True
        if self.return_indices:
            extra["return_indices"] = True
        return functional("max_pool2d")(x, self.kernel_size, self.stride, self.padding, **extra)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """Mean over kernel_size windows of (N, C, H, W) input; stride defaults to kernel_size."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        self.kernel_size, self.padding = kernel_size, padding
        self.stride = kernel_size if stride is None else stride
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad
        self.divisor_override = divisor_override

    def forward(self, x):
        extra = {}
        if self.ceil_mode:
            extra["ceil_mode"] = True
        if not self.count_include_pad:
            extra["count_include_pad"] = False
        if self.divisor_override is not None:
            extra["divisor_override"] = self.divisor_override
        return functional("avg_pool2d")(x, self.kernel_size, self.stride, self.padding, **extra)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output_size (int or (H, W); None keeps that input dim)."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        return functional("adaptive_avg_pool2d")(x, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"
