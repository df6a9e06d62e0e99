"""ConvTranspose2d over F.conv_transpose2d (pyengine/ops/conv_transpose.py: conv2d's kernels)."""
import numpy as np

from .. import functional as F
from ..module import Module, Parameter
from .conv import _ConvNd, _tuple
from .linear import _dtype


class ConvTranspose2d(Module):
    """2-D transposed convolution over (N, C_in, H, W); weight (C_in, C_out / groups, kH, kW),
    PyTorch's layout, names and default init (kaiming_uniform(a=sqrt(5)) with fan_in taken from
    weight dim 1, bias U(+-1/sqrt(fan_in))), so a PyTorch state_dict loads unchanged.

    forward(x, output_size=None): output_size (H, W) picks output_padding as PyTorch does.

    >>> pe.nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1)(
    ...     pe.randn(2, 8, 7, 7)).shape
    (2, 4, 14, 14)
    """

    _n = 2  # spatial dimensions (ConvTranspose1d: 1)

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        super().__init__()
        cls = type(self).__name__
        if groups <= 0 or in_channels % groups or out_channels % groups:
            raise ValueError(f"[{cls}] in_channels and out_channels must be divisible by groups, "
                             f"received in_channels={in_channels}, out_channels={out_channels}, "
                             f"groups={groups}")
        if padding_mode != "zeros":
            raise ValueError(f"[{cls}] only padding_mode='zeros' is supported for transposed "
                             f"convolution (as PyTorch), received padding_mode={padding_mode!r}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _tuple(kernel_size, self._n, "kernel_size", cls)
        self.stride = _tuple(stride, self._n, "stride", cls)
        self.padding = _tuple(padding, self._n, "padding", cls)
        self.output_padding = _tuple(output_padding, self._n, "output_padding", cls)
        self.dilation = _tuple(dilation, self._n, "dilation", cls)
        self.padding_mode = padding_mode
        for op, s, d in zip(self.output_padding, self.stride, self.dilation):
            if op >= max(s, d):
                raise ValueError(f"[{cls}] output_padding must be smaller than either stride or "
                                 f"dilation, received output_padding={self.output_padding}, "
                                 f"stride={self.stride}, dilation={self.dilation}")
        dt = _dtype(dtype, device)
        self.weight = Parameter(np.empty((in_channels, out_channels // groups) + self.kernel_size,
                                         dt))
        self.bias = Parameter(np.empty((out_channels,), dt)) if bias else None
        self.reset_parameters()

    reset_parameters = _ConvNd.reset_parameters  # the same init, fan_in from weight dim 1

    def _output_padding(self, x, output_size):
        if output_size is None:
            return self.output_padding
        size = tuple(output_size)[-self._n:]
        pad = []
        for i in range(self._n):
            least = (x.shape[-self._n + i] - 1) * self.stride[i] - 2 * self.padding[i] + \
                self.dilation[i] * (self.kernel_size[i] - 1) + 1
            extra = size[i] - least
            if not 0 <= extra < max(self.stride[i], self.dilation[i]):
                raise ValueError(f"[{type(self).__name__}] requested output size {size} is not "
                                 f"reachable from input {tuple(x.shape)}: dimension {i} must be "
                                 f"between {least} and "
                                 f"{least + max(self.stride[i], self.dilation[i]) - 1}")
            pad.append(extra)
        return tuple(pad)

    def forward(self, x, output_size=None):
        fn = F.conv_transpose2d if self._n == 2 else F.conv_transpose1d
        return fn(x, self.weight, self.bias, self.stride, self.padding,
                  self._output_padding(x, output_size), self.groups, self.dilation)

    def extra_repr(self):
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if any(self.padding):
            s += f", padding={self.padding}"
        if any(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.dilation != (1,) * self._n:
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class ConvTranspose1d(ConvTranspose2d):
    """1-D transposed convolution over (N, C_in, L); weight (C_in, C_out / groups, k), PyTorch's
    layout and init: a ConvTranspose2d of height 1 (F.conv_transpose1d), the same kernels.

    >>> pe.nn.ConvTranspose1d(8, 4, 4, stride=2, padding=1)(pe.randn(2, 8, 10)).shape
    (2, 4, 20)
    """
    _n = 1
