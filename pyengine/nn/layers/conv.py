"""Conv1d / Conv2d modules over F.conv1d / F.conv2d (kernels in pyengine/ops/conv.py)."""
import math

import numpy as np

from .. import functional as F
from .. import init
from ..module import Module, Parameter
from .linear import _dtype


def _tuple(v, n, name, cls):
    t = (v,) * n if isinstance(v, (int, np.integer)) else tuple(v)
    if len(t) != n or not all(isinstance(x, (int, np.integer)) for x in t):
        raise ValueError(f"[{cls}] {name} must be an int or a tuple of {n} ints, received "
                         f"{name}={v!r}")
    return tuple(int(x) for x in t)


def functional(name):
    """F.<name>, or a clear error while the conv/pool ops are not in this build."""
    fn = getattr(F, name, None)
    if fn is None:
        raise NotImplementedError(f"[{name}] pyengine.nn.functional.{name} is not available in "
                                  "this build (pyengine/ops/conv.py, pool.py)")
    return fn


class _ConvNd(Module):
    _n = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        cls, n = type(self).__name__, self._n
        if groups <= 0 or in_channels % groups or out_channels % groups:
            raise ValueError(f"[{cls}] in_channels and out_channels must be divisible by groups, "
                             f"received in_channels={in_channels}, out_channels={out_channels}, "
                             f"groups={groups}")
        if padding_mode != "zeros":
            raise NotImplementedError(f"[{cls}] only padding_mode='zeros' is supported, "
                                      f"received padding_mode={padding_mode!r}")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"[{cls}] padding must be 'same', 'valid' or ints, "
                                 f"received padding={padding!r}")
            self.padding = padding
        else:
            self.padding = _tuple(padding, n, "padding", cls)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _tuple(kernel_size, n, "kernel_size", cls)
        self.stride = _tuple(stride, n, "stride", cls)
        self.dilation = _tuple(dilation, n, "dilation", cls)
        self.groups, self.padding_mode = groups, padding_mode
        dt = _dtype(dtype, device)
        self.weight = Parameter(np.empty((out_channels, in_channels // groups) + self.kernel_size, dt))
        self.bias = Parameter(np.empty((out_channels,), dt)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def _conv_args(self):
        one = (1,) * self._n
        args = (self.stride, self.padding, self.dilation, self.groups)
        return args if (self.dilation != one or self.groups != 1) else args[:2]

    def extra_repr(self):
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * self._n:
            s += f", padding={self.padding}"  # as PyTorch prints it: padding=same, unquoted
        if self.dilation != (1,) * self._n:
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class Conv1d(_ConvNd):
    """1-D convolution over (N, C_in, L) input; weight (C_out, C_in / groups, k)."""
    _n = 1

    def forward(self, x):
        return functional("conv1d")(x, self.weight, self.bias, *self._conv_args())


class Conv2d(_ConvNd):
    """2-D convolution over (N, C_in, H, W) input; weight (C_out, C_in / groups, kH, kW).
    Default init as PyTorch: kaiming_uniform(a=sqrt(5)), bias U(+-1/sqrt(fan_in)).

    >>> pe.nn.Conv2d(3, 8, 3, padding=1)(pe.randn(2, 3, 16, 16)).shape
    (2, 8, 16, 16)
    """
    _n = 2

    def forward(self, x):
        return functional("conv2d")(x, self.weight, self.bias, *self._conv_args())
