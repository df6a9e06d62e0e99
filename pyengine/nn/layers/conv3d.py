"""Conv3d, MaxPool3d, AvgPool3d modules over F.conv3d / F.max_pool3d / F.avg_pool3d (composed
from the 2-D kernels in pyengine/ops/conv3d.py)."""
from .. import functional as F
from ..module import Module
from .conv import _ConvNd


class Conv3d(_ConvNd):
    """3-D convolution over (N, C_in, D, H, W) input; weight (C_out, C_in / groups, kD, kH,
    kW), PyTorch's default init.

    >>> pe.nn.Conv3d(2, 4, 3, padding=1)(pe.randn(1, 2, 5, 6, 6)).shape
    (1, 4, 5, 6, 6)
    """
    _n = 3

    def forward(self, x):
        return F.conv3d(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups)


def _reject(cls, **options):
    for name, (value, default) in options.items():
        if value != default:
            raise ValueError(f"[{cls}] {name}={value!r} is not supported (only the default "
                             f"{default!r})")


class MaxPool3d(Module):
    """Max over kernel_size windows of (N, C, D, H, W); stride defaults to kernel_size."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        _reject("MaxPool3d", dilation=(dilation, 1), return_indices=(return_indices, False),
                ceil_mode=(ceil_mode, False))
        self.kernel_size, self.padding = kernel_size, padding
        self.stride = kernel_size if stride is None else stride

    def forward(self, x):
        return F.max_pool3d(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool3d(Module):
    """Mean over kernel_size windows of (N, C, D, H, W); stride defaults to kernel_size."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        _reject("AvgPool3d", ceil_mode=(ceil_mode, False),
                divisor_override=(divisor_override, None))
        self.kernel_size, self.padding = kernel_size, padding
        self.stride = kernel_size if stride is None else stride
        self.count_include_pad = bool(count_include_pad)

    def forward(self, x):
        return F.avg_pool3d(x, self.kernel_size, self.stride, self.padding,
                            self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
