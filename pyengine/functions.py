"""Module-level forms of tensor ops: pe.exp(x), pe.cat([...]), pe.matmul(a, b) ..."""
from .ops.shape import cat, chunk, concatenate, split, stack  # noqa: F401
from .ops.elementwise import where  # noqa: F401
from .tensor import Tensor
from .creation import tensor as _tensor


def _t(x):
    return x if isinstance(x, Tensor) else _tensor(x)


def matmul(a, b):
    return _t(a) @ _t(b)


def maximum(a, b): return _t(a).maximum(b)
def minimum(a, b): return _t(a).minimum(b)
def clamp(x, min=None, max=None): return _t(x).clamp(min, max)
def exp(x): return _t(x).exp()
def log(x): return _t(x).log()
def log1p(x): return _t(x).log1p()
def sqrt(x): return _t(x).sqrt()
def sin(x): return _t(x).sin()
def cos(x): return _t(x).cos()
def abs(x): return _t(x).abs()
def tanh(x): return _t(x).tanh()
def sigmoid(x): return _t(x).sigmoid()
def relu(x): return _t(x).relu()
def softmax(x, dim=-1): return _t(x).softmax(dim)
def log_softmax(x, dim=-1): return _t(x).log_softmax(dim)
def sum(x, axis=None, keepdims=False, dim=None, keepdim=None): return _t(x).sum(axis, keepdims, dim, keepdim)
def mean(x, axis=None, keepdims=False, dim=None, keepdim=None): return _t(x).mean(axis, keepdims, dim, keepdim)
def max(x, axis=None, keepdims=False, dim=None, keepdim=None): return _t(x).max(axis, keepdims, dim, keepdim)
def min(x, axis=None, keepdims=False, dim=None, keepdim=None): return _t(x).min(axis, keepdims, dim, keepdim)
def argmax(x, axis=None, keepdims=False, dim=None, keepdim=None): return _t(x).argmax(axis, keepdims, dim, keepdim)
def argmin(x, axis=None, keepdims=False, dim=None, keepdim=None): return _t(x).argmin(axis, keepdims, dim, keepdim)
def var(x, axis=None, keepdims=False, correction=1): return _t(x).var(axis, keepdims, correction)
def std(x, axis=None, keepdims=False, correction=1): return _t(x).std(axis, keepdims, correction)
def logsumexp(x, axis=None, keepdims=False, dim=None, keepdim=None): return _t(x).logsumexp(axis, keepdims, dim, keepdim)
def reshape(x, *shape): return _t(x).reshape(*shape)
def flatten(x, start_dim=0, end_dim=-1): return _t(x).flatten(start_dim, end_dim)
def squeeze(x, axis=None): return _t(x).squeeze(axis)
def unsqueeze(x, axis): return _t(x).unsqueeze(axis)
def transpose(x, *axes): return _t(x).transpose(*axes)
def permute(x, *axes): return _t(x).permute(*axes)


__all__ = [n for n in dir() if not n.startswith("_") and n != "Tensor"]
