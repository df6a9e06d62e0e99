"""The special functions (torch.special) lgamma, digamma, polygamma, erfc, erfinv, i0 and ndtri,
as entries of torch_math's unary table (UnaryMath is their Function). The values come from
backend/cpu_special.py and cpu_erf.py (float64 accurate, no SciPy); each derivative sits beside
its forward:

    lgamma'        = digamma            digamma' = polygamma(1, .)
    polygamma(n)'  = polygamma(n + 1)   erfc'    = -2 / sqrt(pi) exp(-x^2)
    erfinv'(y)     = sqrt(pi) / 2 exp(erfinv(y)^2)
    i0'            = i1                 ndtri'(p) = sqrt(2 pi) exp(ndtri(p)^2 / 2)
"""
import math

import numpy as np

from ..backend import cpu_erf, cpu_special as sp
from .torch_math import _UNARY, UnaryMath

_SQRT2 = math.sqrt(2.0)


def _ndtri(p):
    """The x with Phi(x) = p: Abramowitz & Stegun 26.2.23 (|error| < 4.5e-4) on the smaller tail
    q = min(p, 1 - p), then Newton steps on Q(x) = erfc(x / sqrt 2) / 2 = q, accurate far into
    the tail (erfc has no cancellation there)."""
    p = np.asarray(p, np.float64)
    out = np.full_like(p, np.nan)
    inside = (p > 0) & (p < 1)
    pi = p[inside]
    q = np.minimum(pi, 1.0 - pi)
    t = np.sqrt(-2.0 * np.log(q))
    x = t - (2.515517 + t * (0.802853 + t * 0.010328)) / \
        (1.0 + t * (1.432788 + t * (0.189269 + t * 0.001308)))
    for _ in range(4):
        phi = np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        x = x + (0.5 * cpu_erf.erfc(x / _SQRT2) - q) / phi
    out[inside] = np.where(pi < 0.5, -x, x)
    out[p == 0] = -np.inf
    out[p == 1] = np.inf
    out[p == 0.5] = 0.0
    return out


# name -> (forward, derivative from (x, out)), registered in torch_math's table of unary ops so
# that UnaryMath (one Function for all of them) computes and differentiates them
_UNARY.update({
    "lgamma": (sp.lgamma, lambda x, y: sp.digamma(x)),
    "digamma": (sp.digamma, lambda x, y: sp.polygamma(1, x)),
    "erfc": (cpu_erf.erfc, lambda x, y: -2.0 / math.sqrt(math.pi) * np.exp(-x * x)),
    "erfinv": (sp.erfinv, lambda x, y: math.sqrt(math.pi) / 2 * np.exp(y * y)),
    "i0": (lambda x: sp.bessel_i01(x)[0], lambda x, y: sp.bessel_i01(x)[1]),
    "ndtri": (_ndtri, lambda x, y: math.sqrt(2 * math.pi) * np.exp(0.5 * y * y)),
})


def _polygamma_entry(n):
    """The table entry of polygamma(n, .), added on first use of each order n."""
    name = f"polygamma{n}"
    if name not in _UNARY:
        _UNARY[name] = (lambda x: sp.polygamma(n, x), lambda x, y: sp.polygamma(n + 1, x))
    return name


def special(x, name, n=0):
    """The special function `name` (polygamma: of order n) of a Tensor, differentiable."""
    from ..tensor import Tensor
    x = x if isinstance(x, Tensor) else Tensor._from_data(x)
    return UnaryMath.apply(x, name=_polygamma_entry(n) if name == "polygamma" else name)
