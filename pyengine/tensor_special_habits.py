"""PyTorch's special-function tensor methods (x.erfinv(), x.lgamma(), x.polygamma(n), ...),
mixed into Tensor through TorchHabits. The values and derivatives are pyengine/ops/special.py;
sinc, xlogy and logit are compositions of differentiable ops."""
import math


def _T():
    from .tensor import Tensor
    return Tensor


def _special(x, name, n=0):
    from .ops.special import special
    return special(x, name, n)


def _where(cond, a, b):
    from .nn.functional import where
    return where(cond, a, b)


class SpecialHabits:
    __slots__ = ()

    def erfinv(self): return _special(self, "erfinv")
    def erfc(self): return _special(self, "erfc")
    def lgamma(self): return _special(self, "lgamma")
    def digamma(self): return _special(self, "digamma")
    def i0(self): return _special(self, "i0")
    def erfinv_(self): return self._inplace(self.erfinv())
    def lgamma_(self): return self._inplace(self.lgamma())
    def digamma_(self): return self._inplace(self.digamma())

    def polygamma(self, n):
        """The n-th derivative of digamma (n = 0: digamma itself), n a non-negative int."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"[polygamma] n must be a non-negative int, got {n!r}")
        return _special(self, "polygamma", n)

    def sinc(self):
        """sin(pi x) / (pi x), 1 at x = 0 (where the gradient is 0)."""
        x = self if self._data.dtype.kind == "f" else self.float()
        zero = _T()._wrap(x._data == 0)
        safe = _where(zero, 1.0, x) * math.pi
        return _where(zero, 1.0, safe.sin() / safe)

    def xlogy(self, other):
        """self * log(other), 0 where self == 0 (unless other is NaN), broadcasting."""
        import numpy as np
        y = other if isinstance(other, _T()) else _T()._from_data(other, dtype=self.dtype
                                                      if self._data.dtype.kind == "f" else None)
        x = self if self._data.dtype.kind == "f" else self.float()
        zero = _T()._wrap((x._data == 0) & ~np.isnan(y._data))
        return _where(zero, 0.0, x * _where(zero, 1.0, y).log())

    def logit(self, eps=None):
        """log(p / (1 - p)); with eps, p clamped to [eps, 1 - eps] first."""
        p = self if eps is None else self.clamp(eps, 1.0 - eps)
        return p.log() - (1.0 - p).log()


def special_tensor_functions():
    """Names pe exports at the top level that forward to these methods (pe.erfinv(x) ...)."""
    return ("erfinv", "erfc", "lgamma", "digamma", "i0", "sinc", "xlogy", "logit")
