"""F.local_response_norm: each channel divided by a power of the mean square over a window of
neighbouring channels (AlexNet's LRN), composed of differentiable pe ops (square, pad, slice
sums, pow, divide), so autograd supplies the gradient. nn.LocalResponseNorm calls it."""
from ..tensor import Tensor
from .functional import pad

__all__ = ["local_response_norm"]


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """b_c = a_c * (k + alpha / n * sum_{c'} a_{c'}^2) ^ -beta over the n = size channels
    c' in [c - size // 2, c + (size - 1) // 2] (zeros beyond the ends), as PyTorch.
    input (N, C, *): 3-D or more.

    >>> F.local_response_norm(pe.ones(1, 3, 1), size=2, alpha=1.0, beta=1.0, k=1.0)
    tensor([[[0.6666667],
             [0.5      ],
             [0.5      ]]])
    """
    op = "local_response_norm"
    if not isinstance(input, Tensor):
        raise TypeError(f"[{op}] input must be a pe.Tensor, got {type(input).__name__}")
    if input.ndim < 3:
        raise ValueError(f"[{op}] input must be 3-D or more (N, C, *), got shape "
                         f"{tuple(input.shape)}")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"[{op}] size must be a positive int, got size={size!r}")
    if input.numel() == 0:
        return input
    n, c = input.shape[:2]
    sq = (input * input).reshape(n, c, -1)
    sq = pad(sq, (0, 0, size // 2, (size - 1) // 2))
    window = sq[:, 0:c]
    for j in range(1, size):
        window = window + sq[:, j:j + c]
    div = (window.reshape(*input.shape) * (alpha / size) + k) ** beta
    return input / div
