"""GroupNorm over F.group_norm (nn/functional_more.py)."""
import numpy as np

from .. import functional as F
from .. import init
from ..module import Module, Parameter
from .linear import _dtype


class GroupNorm(Module):
    """Normalises (N, C, *) input over groups of C / num_groups channels; per-channel affine
    weight and bias (ones and zeros at init) when affine=True."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None):
        super().__init__()
        if not isinstance(num_groups, (int, np.integer)) or num_groups <= 0 or \
                not isinstance(num_channels, (int, np.integer)) or num_channels % num_groups:
            raise ValueError(f"[GroupNorm] num_groups {num_groups} must divide the "
                             f"{num_channels} channels")
        self.num_groups, self.num_channels = int(num_groups), int(num_channels)
        self.eps, self.affine = eps, affine
        dt = _dtype(dtype, device)
        if affine:
            self.weight = Parameter(np.ones(self.num_channels, dt))
            self.bias = Parameter(np.zeros(self.num_channels, dt))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self):
        if self.affine:
            init.ones_(self.weight)
            init.zeros_(self.bias)

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"
