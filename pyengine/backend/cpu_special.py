"""Special functions on NumPy arrays, float64 accurate, without SciPy:

    lgamma(x)        log |Gamma(x)|, math.lgamma per element (+inf at the poles 0, -1, ...)
    polygamma(n, x)  psi^(n)(x): x shifted up to M by the recurrence
                       psi^(n)(x) = psi^(n)(x + 1) - (-1)^n n! / x^(n+1),
                     then the asymptotic series (Abramowitz & Stegun 6.3.18, 6.4.11)
                       psi(x)      ~ ln x - 1/(2x) - sum_k B_2k / (2k x^2k)
                       psi^(n)(x)  ~ (-1)^(n+1) [(n-1)!/x^n + n!/(2 x^(n+1))
                                      + sum_k B_2k (2k+n-1)! / ((2k)! x^(2k+n))];
                     digamma (n = 0) of x < 0 by the reflection psi(1 - x) - pi / tan(pi x)
    erfinv(y)        Giles' single-precision rational form, then two Newton steps on erf
    i0(x), i1(x)     modified Bessel functions of the first kind, by their positive power series
"""
import math

import numpy as np

from .cpu_erf import erf

# B_2, B_4, ..., B_20
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510,
              43867 / 798, -174611 / 330)


def _float64(x):
    x = np.asarray(x)
    return x.dtype if x.dtype in (np.float32, np.float64) else np.dtype(np.float64), \
        np.array(x, np.float64)


def _lgamma_one(v):
    try:
        return math.lgamma(v)
    except ValueError:  # a pole: 0, -1, -2, ...
        return math.inf


_lgamma_ufunc = np.frompyfunc(_lgamma_one, 1, 1)


def lgamma(x):
    dtype, x = _float64(x)
    return np.asarray(_lgamma_ufunc(x), np.float64).astype(dtype, copy=False)


def _polygamma_positive(n, x):
    """psi^(n)(x) for x where the recurrence applies (no pole), as float64."""
    shift = 15.0 + 2.0 * n  # large enough that the series' last term is below 1 ulp
    acc = np.zeros_like(x)
    sign = -1.0 if n % 2 else 1.0  # (-1)^n
    fact = math.factorial(n)
    x = x.copy()
    low = x < shift
    while low.any():
        xl = x[low]
        acc[low] -= (1.0 / xl if n == 0 else sign * fact / xl ** (n + 1))
        x[low] = xl + 1.0
        low = x < shift
    inv = 1.0 / x
    inv2 = inv * inv
    if n == 0:
        series = np.log(x) - 0.5 * inv
        p = np.ones_like(x)
        for k, b in enumerate(_BERNOULLI, 1):
            p *= inv2
            series -= b / (2 * k) * p
        return acc + series
    series = math.factorial(n - 1) * inv ** n + 0.5 * fact * inv ** (n + 1)
    p = inv ** n
    for k, b in enumerate(_BERNOULLI, 1):
        p *= inv2
        series += b * math.factorial(2 * k + n - 1) / math.factorial(2 * k) * p
    return acc - sign * series


def polygamma(n, x):
    """psi^(n)(x), n >= 0; +inf/-inf/nan at the poles as PyTorch."""
    dtype, x = _float64(x)
    out = np.full_like(x, np.nan)
    finite = np.isfinite(x)
    pole = finite & (x <= 0) & (x == np.floor(x))
    if n == 0:
        pos = finite & (x > 0)
        out[pos] = _polygamma_positive(0, x[pos])
        neg = finite & (x < 0) & ~pole
        xn = x[neg]
        out[neg] = _polygamma_positive(0, 1.0 - xn) - np.pi / np.tan(np.pi * xn)
        out[pole & (x == 0)] = -np.inf  # torch: digamma(0) = -inf, negative integers nan
        out[x == np.inf] = np.inf
    else:
        ok = finite & ~pole
        out[ok] = _polygamma_positive(n, x[ok])
        out[pole] = np.inf if n % 2 else np.nan
        out[x == np.inf] = 0.0
    return out.astype(dtype, copy=False)


def digamma(x):
    return polygamma(0, x)


# Giles (2010), "Approximating the erfinv function", single-precision form
_GILES_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
                  0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_GILES_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844,
               0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)
_SQRT_PI_OVER_2 = math.sqrt(math.pi) / 2


def _poly(coeffs, t):
    acc = np.full_like(t, coeffs[0])
    for c in coeffs[1:]:
        acc = acc * t + c
    return acc


def erfinv(y):
    """The x with erf(x) = y, |y| <= 1 (+-inf at +-1, nan outside)."""
    dtype, y = _float64(y)
    out = np.full_like(y, np.nan)
    inside = np.abs(y) < 1
    yi = y[inside]
    with np.errstate(divide="ignore"):
        w = -np.log((1.0 - yi) * (1.0 + yi))
    central = w < 5.0
    x = np.where(central, _poly(_GILES_CENTRAL, w - 2.5),
                 _poly(_GILES_TAIL, np.sqrt(np.maximum(w, 5.0)) - 3.0)) * yi
    for _ in range(2):  # Newton on erf(x) - y: quadratic, 1e-7 -> 1e-14 -> double
        x = x - (erf(x) - yi) * _SQRT_PI_OVER_2 * np.exp(x * x)
    out[inside] = x
    out[np.abs(y) == 1] = np.copysign(np.inf, y[np.abs(y) == 1])
    return out.astype(dtype, copy=False)


def bessel_i01(x):
    """(I0(x), I1(x)) by sum_k (x/2)^(2k) / (k!)^2 and sum_k (x/2)^(2k+1) / (k! (k+1)!): all
    terms positive, so no cancellation; as many terms as the largest |x| needs."""
    dtype, x = _float64(x)
    h = 0.5 * x
    q = h * h
    term0, term1 = np.ones_like(x), h.copy()
    i0, i1 = term0.copy(), term1.copy()
    k = 0
    with np.errstate(over="ignore", invalid="ignore"):
        while True:
            k += 1
            term0 = term0 * q / (k * k)
            term1 = term1 * q / (k * (k + 1))
            i0 += term0
            i1 += term1
            if not np.any(term0 > 1e-17 * i0):  # also stops on inf / nan
                break
    return i0.astype(dtype, copy=False), i1.astype(dtype, copy=False)
