"""In-place forms of torch's unary math: Tensor.sin_() ... and the function forms torch.sin_(t),
torch.abs_(t) ... (the "tensors in depth" tutorial calls torch.sin_(b)). Each writes the
out-of-place result back into the tensor through Tensor._inplace, so tensors that require grad
follow its rules (refused in a recorded graph, fine under no_grad)."""
from .tensor import Tensor

# torch's unary ops that have a `name_` method and a `torch.name_` function
_UNARY = ("abs", "acos", "asin", "atan", "ceil", "cos", "cosh", "exp", "expm1", "floor", "frac",
          "log", "log10", "log1p", "log2", "neg", "reciprocal", "relu", "round", "rsqrt",
          "sigmoid", "sign", "sin", "sinh", "sqrt", "square", "tan", "tanh", "trunc", "erf",
          "erfinv", "digamma", "lgamma")
# in-place methods that take more arguments and also exist as torch functions
_OTHER = ("clamp", "clip", "zero", "fill", "exp2")


def _method(name):
    def inplace(self, *args, **kwargs):
        return self._inplace(getattr(self, name)(*args, **kwargs))
    inplace.__name__ = inplace.__qualname__ = name + "_"
    inplace.__doc__ = f"In-place {name}: self = self.{name}(), returned (torch's {name}_)."
    return inplace


def _function(name):
    def fn(input, *args, **kwargs):  # noqa: A002 (torch's argument name)
        return getattr(input, name)(*args, **kwargs)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"pe.{name}(t, ...) is t.{name}(...) (torch.{name})."
    return fn


for _n in _UNARY:
    if hasattr(Tensor, _n) and not hasattr(Tensor, _n + "_"):
        setattr(Tensor, _n + "_", _method(_n))

FUNCTIONS = {n + "_": _function(n + "_") for n in _UNARY + _OTHER if hasattr(Tensor, n + "_")}
