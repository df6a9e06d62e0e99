"""PReLU: max(0, x) + a * min(0, x) with a learned slope (F.prelu)."""
import numpy as np

from .. import functional as F
from ..module import Module, Parameter
from .linear import _dtype


class PReLU(Module):
    """max(0, x) + a * min(0, x) with a learnable slope a: one shared (num_parameters=1) or one per
    channel (dim 1), initialised to `init` (PyTorch's nn.PReLU).

    >>> pe.nn.PReLU(3)(pe.randn(2, 3, 4)).shape
    (2, 3, 4)
    """

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        if not isinstance(num_parameters, int) or num_parameters < 1:
            raise ValueError(f"[PReLU] num_parameters must be a positive int, received "
                             f"num_parameters={num_parameters!r}")
        self.num_parameters = num_parameters
        self.weight = Parameter(np.full((num_parameters,), init, _dtype(dtype, device)))

    def forward(self, x):
        return F.prelu(x, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"
