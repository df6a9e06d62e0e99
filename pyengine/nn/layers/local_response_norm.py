"""LocalResponseNorm over F.local_response_norm."""
from .. import functional as F
from ..module import Module


class LocalResponseNorm(Module):
    """b_c = a_c * (k + alpha / size * sum of a_{c'}^2 over size neighbouring channels) ^ -beta,
    for (N, C, *) input (3-D or more).

    >>> pe.nn.LocalResponseNorm(2)(pe.randn(2, 8, 5, 5)).shape
    (2, 8, 5, 5)
    """

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"[LocalResponseNorm] size must be a positive int, got size={size!r}")
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
