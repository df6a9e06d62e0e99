"""RReLU, LPPool1d / LPPool2d, Bilinear, RMSNorm, AlphaDropout / FeatureAlphaDropout,
ChannelShuffle and LazyLinear: PyTorch's arguments, init and repr; forward calls the functional
form in nn/functional_missing.py."""
import math

import numpy as np

from .. import functional as F
from .. import init
from ..module import Module, Parameter
from .dropout import _DropoutNd
from ..parameter import UninitializedParameter
from .linear import Linear, _dtype


class RReLU(Module):
    """x for x >= 0, a * x below, a ~ U(lower, upper) per element in training and
    (lower + upper) / 2 in evaluation; see F.rrelu."""

    def __init__(self, lower=1.0 / 8, upper=1.0 / 3, inplace=False):
        super().__init__()
        if not lower <= upper:
            raise ValueError(f"[RReLU] lower must not exceed upper, received lower={lower}, "
                             f"upper={upper}")
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input):
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self):
        return f"lower={self.lower}, upper={self.upper}" + (", inplace=True" if self.inplace
                                                             else "")


class _LPPoolNd(Module):
    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type, self.kernel_size = norm_type, kernel_size
        self.stride, self.ceil_mode = stride, ceil_mode

    def extra_repr(self):
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPoolNd):
    """(sum of x^p over each window)^(1/p) over (N, C, L); see F.lp_pool1d."""

    def forward(self, input):
        return F.lp_pool1d(input, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)


class LPPool2d(_LPPoolNd):
    """(sum of x^p over each window)^(1/p) over (N, C, H, W); see F.lp_pool2d."""

    def forward(self, input):
        return F.lp_pool2d(input, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)


def _check_features(op, **sizes):
    for name, v in sizes.items():
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v <= 0:
            raise ValueError(f"[{op}] {name} must be a positive int, received {name}={v!r}")


class Bilinear(Module):
    """y = x1^T W x2 + b, weight (out_features, in1_features, in2_features), bias
    (out_features,), both U(-1/sqrt(in1_features), 1/sqrt(in1_features)) as torch.

    >>> pe.nn.Bilinear(20, 30, 40)(pe.randn(128, 20), pe.randn(128, 30)).shape
    (128, 40)
    """

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None,
                 dtype=None):
        super().__init__()
        _check_features("Bilinear", in1_features=in1_features, in2_features=in2_features,
                        out_features=out_features)
        self.in1_features, self.in2_features = int(in1_features), int(in2_features)
        self.out_features = int(out_features)
        dt = _dtype(dtype, device)
        self.weight = Parameter(np.empty((out_features, in1_features, in2_features), dt))
        self.bias = Parameter(np.empty((out_features,), dt)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class RMSNorm(Module):
    """x / sqrt(mean(x^2) + eps) * weight over the trailing normalized_shape dims; weight starts
    at ones (dtype: pe.get_default_dtype() unless given); eps None: the input dtype's machine
    epsilon (F.rms_norm)."""

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None,
                 dtype=None):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else \
            tuple(normalized_shape)
        self.normalized_shape = tuple(int(s) for s in shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        dt = _dtype(dtype, device)
        self.weight = Parameter(np.ones(self.normalized_shape, dt)) if elementwise_affine else None

    def reset_parameters(self):
        if self.weight is not None:
            init.ones_(self.weight)

    def forward(self, x):
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class AlphaDropout(_DropoutNd):
    """Dropout keeping a SELU network's mean and variance (F.alpha_dropout); identity in eval."""

    def forward(self, input):
        return F.alpha_dropout(input, self.p, self.training, self.inplace)


class FeatureAlphaDropout(_DropoutNd):
    """AlphaDropout of whole channels of (N, C, *) input (F.feature_alpha_dropout)."""

    def forward(self, input):
        return F.feature_alpha_dropout(input, self.p, self.training, self.inplace)


class ChannelShuffle(Module):
    """Interleaves the channels of (N, C, *) input in `groups` groups (F.channel_shuffle)."""

    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, input):
        return F.channel_shuffle(input, self.groups)

    def extra_repr(self):
        return f"groups={self.groups}"


class LazyLinear(Linear):
    """Linear whose in_features is the last dim of its first input. Until then weight and bias
    are UninitializedParameters; the first call materializes those same objects in place
    (shape, then Linear's init) and the module becomes a Linear, as torch's cls_to_become. As with
    torch, do a dry run (one forward) before creating the optimizer, so that it sees the
    initialised parameters. dtype: pe.get_default_dtype() unless given.

    >>> m = pe.nn.LazyLinear(3); m(pe.randn(2, 5)).shape, m
    ((2, 3), Linear(in_features=5, out_features=3, bias=True))
    """

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        Module.__init__(self)
        _check_features("LazyLinear", out_features=out_features)
        self.in_features, self.out_features = 0, int(out_features)
        dt = _dtype(dtype, device)
        self.weight = UninitializedParameter(dtype=dt)
        self.bias = UninitializedParameter(dtype=dt) if bias else None

    def reset_parameters(self):
        if self.in_features:
            super().reset_parameters()

    def forward(self, x):
        if x.ndim < 1:
            raise ValueError("[LazyLinear] the input must have at least 1 dimension (features "
                             "last), got a scalar")
        self.in_features = int(x.shape[-1])
        self.weight.materialize((self.out_features, self.in_features))
        if self.bias is not None:
            self.bias.materialize((self.out_features,))
        self.__class__ = Linear
        self.reset_parameters()
        return self.forward(x)
