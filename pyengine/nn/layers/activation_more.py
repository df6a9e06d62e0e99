"""More activation modules (PyTorch names and arguments): configuration in __init__, forward
calls the functional form in nn/functional_more.py, where the math lives."""
from .. import functional as F
from ..module import Module


def _inplace_repr(inplace):
    return "inplace=True" if inplace else ""


class _Inplace(Module):
    """An activation whose only option is inplace; subclasses name their functional form."""
    _fn = None

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return getattr(F, self._fn)(input, inplace=self.inplace)

    def extra_repr(self):
        return _inplace_repr(self.inplace)


class _Plain(Module):
    """An activation without options."""
    _fn = None

    def forward(self, input):
        return getattr(F, self._fn)(input)


class SELU(_Inplace):
    """scale * elu(x, alpha), the self-normalising constants."""
    _fn = "selu"


class Hardsigmoid(_Inplace):
    """clamp(x / 6 + 1/2, 0, 1)."""
    _fn = "hardsigmoid"


class Hardswish(_Inplace):
    """x * hardsigmoid(x)."""
    _fn = "hardswish"


class Mish(_Inplace):
    """x * tanh(softplus(x))."""
    _fn = "mish"


class LogSigmoid(_Plain):
    """log(sigmoid(x)), computed stably."""
    _fn = "logsigmoid"


class Softsign(_Plain):
    """x / (1 + |x|)."""
    _fn = "softsign"


class Tanhshrink(_Plain):
    """x - tanh(x)."""
    _fn = "tanhshrink"


class CELU(Module):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):
        return F.celu(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class Threshold(Module):
    """x where x > threshold, else value."""

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input):
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}" + \
            (", inplace=True" if self.inplace else "")


class Hardshrink(Module):
    """x where |x| > lambd, else 0."""

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return F.hardshrink(input, self.lambd)

    def extra_repr(self):
        return f"{self.lambd}"


class Softshrink(Hardshrink):
    """x shrunk towards 0 by lambd, 0 inside [-lambd, lambd]."""

    def forward(self, input):
        return F.softshrink(input, self.lambd)


class GLU(Module):
    """a * sigmoid(b), a and b the halves of the input along dim."""

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.glu(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmin(Module):
    """softmax(-x) along dim (None: PyTorch's legacy implicit choice)."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.softmin(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax2d(Module):
    """softmax over the channels of (N, C, H, W) or (C, H, W) input, at each location."""

    def forward(self, input):
        if input.ndim not in (3, 4):
            raise ValueError(f"[Softmax2d] expected a 3-D or 4-D input, got shape "
                             f"{tuple(input.shape)}")
        return F.softmax(input, -3)
