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
# more unary ops whose torch.name_ function exists too
_UNARY_MORE = ("acosh", "arccos", "arcsin", "arctan", "asinh", "atanh", "erfc", "exp2", "fix",
               "i0", "logit", "nan_to_num", "negative", "sinc", "xlogy")
# in-place methods of ops with other operands or arguments (Tensor methods only, as in torch)
_BINARY = ("arctan2", "atan2", "bitwise_and", "bitwise_not", "bitwise_or", "bitwise_xor",
           "cumprod", "cumsum", "divide", "eq", "fmod", "ge", "greater", "greater_equal", "gt",
           "le", "less", "less_equal", "logical_and", "logical_not", "logical_or",
           "logical_xor", "lt", "multiply", "ne", "not_equal", "polygamma", "remainder",
           "renorm", "subtract", "tril", "triu", "true_divide", "addmm", "baddbmm")
# in-place view changes (the tensor takes another shape of its own storage, as transpose_)
_RESTRIDE = ("swapaxes", "swapdims")


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


def _restride_method(name):
    def inplace(self, *args, **kwargs):
        return self._restride(getattr(self, name)(*args, **kwargs), name + "_")
    inplace.__name__ = inplace.__qualname__ = name + "_"
    inplace.__doc__ = f"In place {name}: self becomes self.{name}() of its own storage."
    return inplace


def install():
    """Attach the missing Tensor.name_ methods (after the modules that define Tensor.name)."""
    for n in _UNARY + _UNARY_MORE + _BINARY:
        if hasattr(Tensor, n) and not hasattr(Tensor, n + "_"):
            setattr(Tensor, n + "_", _method(n))
    for n in _RESTRIDE:
        if not hasattr(Tensor, n + "_"):
            setattr(Tensor, n + "_", _restride_method(n))
    return {n + "_": _function(n + "_") for n in _UNARY + _OTHER + _UNARY_MORE
            if hasattr(Tensor, n + "_")}


FUNCTIONS = install()
