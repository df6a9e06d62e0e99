"""pe.special: torch.special's functions. Those pyengine already had are re-exported (erf,
expm1, exp2, log1p, softmax, ...); the others are the special-function ops of
pyengine/ops/special.py (values float64 accurate without SciPy) or compositions of
differentiable ops.

>>> pe.special.gammaln(pe.tensor([1.0, 2.0, 3.0]))
tensor([0.       , 0.       , 0.6931472])
"""
import math

from .nn.functional import erf, log1p  # noqa: F401  (re-exported)
from .nn.functional import sigmoid as expit  # noqa: F401

__all__ = ["expit", "logit", "erf", "erfc", "erfinv", "gammaln", "digamma", "psi", "polygamma",
           "xlogy", "log_softmax", "softmax", "logsumexp", "entr", "sinc", "log1p", "expm1",
           "exp2", "ndtr", "ndtri", "i0"]


def _t(x):
    from .tensor import Tensor
    return x if isinstance(x, Tensor) else Tensor._from_data(x)


def _cast(input, dtype):
    return input if dtype is None else input.to(dtype)


def erfc(input): return _t(input).erfc()  # noqa: E704
def erfinv(input): return _t(input).erfinv()  # noqa: E704
def gammaln(input): return _t(input).lgamma()  # noqa: E704
def digamma(input): return _t(input).digamma()  # noqa: E704
def i0(input): return _t(input).i0()  # noqa: E704
def sinc(input): return _t(input).sinc()  # noqa: E704
def logit(input, eps=None): return _t(input).logit(eps)  # noqa: E704
def expm1(input): return _t(input).expm1()  # noqa: E704
def exp2(input): return _t(input).exp2()  # noqa: E704


psi = digamma


def polygamma(n, input):
    """The n-th derivative of digamma at input (torch's argument order: n first)."""
    return _t(input).polygamma(n)


def xlogy(input, other):
    """input * log(other), 0 where input == 0; either may be a Python number."""
    from .tensor import Tensor
    if not isinstance(input, Tensor):
        input = Tensor._from_data(input, dtype=other.dtype if isinstance(other, Tensor) else None)
    return input.xlogy(other)


def entr(input):
    """-x log x elementwise: 0 at x = 0, -inf for x < 0."""
    from .nn.functional import where
    x = _t(input)
    return where(x < 0, -math.inf, 0.0 - x.xlogy(x))  # 0 - 0: +0 at x = 0, as torch


def ndtr(input):
    """The standard normal CDF, erfc(-x / sqrt 2) / 2 (accurate in the lower tail)."""
    return 0.5 * (_t(input) * (-1.0 / math.sqrt(2.0))).erfc()


def ndtri(input):
    """The inverse of ndtr: the x with ndtr(x) = p, p in [0, 1]."""
    from .ops.special import special
    return special(_t(input), "ndtri")


def softmax(input, dim, dtype=None):
    return _cast(_t(input), dtype).softmax(dim=dim)


def log_softmax(input, dim, dtype=None):
    return _cast(_t(input), dtype).log_softmax(dim=dim)


def logsumexp(input, dim, keepdim=False):
    return _t(input).logsumexp(dim=dim, keepdim=keepdim)
