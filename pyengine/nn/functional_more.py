"""More of PyTorch's nn.functional: activations, distances, 1-D pooling, group norm and
gumbel_softmax, each composed of differentiable pe ops (so autograd supplies the gradients).

Imported at the end of nn/functional.py (`F.silu`, `F.group_norm` ...); the nn modules in
nn/layers/activation_more.py, distance.py, pooling1d.py and groupnorm.py call these, so a module
and its functional form share one implementation. Differences from PyTorch: docs/nn_more.md."""
import numpy as _np

from .. import random as _random
from ..ops import elementwise as _ew
from ..ops.pool import avg_pool2d as _avg_pool2d, max_pool2d as _max_pool2d
from ..tensor import Tensor
from .functional import Activation, _inplace_result, elu, layer_norm, softmax, softplus

__all__ = ["silu", "relu6", "hardtanh", "logsigmoid", "selu", "celu", "mish", "softsign",
           "hardsigmoid", "hardswish", "glu", "softmin", "tanhshrink", "threshold", "hardshrink",
           "softshrink", "normalize", "cosine_similarity", "pairwise_distance", "gumbel_softmax",
           "max_pool1d", "avg_pool1d", "group_norm"]

_INF = float("inf")


def _check_tensor(x, op, name="input"):
    if not isinstance(x, Tensor):
        raise TypeError(f"[{op}] {name} must be a pe.Tensor, got {type(x).__name__}")
    return x


# ---- elementwise activations -------------------------------------------------------------
def silu(input, inplace=False, _op="silu"):
    """x * sigmoid(x) (swish). _op: the name errors use (nn.SiLU passes its own)."""
    return _inplace_result(input, input * input.sigmoid(), inplace, _op)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False, _op="hardtanh"):
    """x clamped to [min_val, max_val]. _op: the name errors use (nn.Hardtanh / nn.ReLU6 pass
    their own)."""
    if max_val < min_val:
        raise ValueError(f"[{_op}] max_val must be >= min_val, got min_val={min_val}, "
                         f"max_val={max_val}")
    return _inplace_result(input, input.clamp(min_val, max_val), inplace, _op)


def relu6(input, inplace=False, _op="relu6"):
    """min(max(x, 0), 6): hardtanh(x, 0, 6)."""
    return hardtanh(input, 0.0, 6.0, inplace, _op)


def logsigmoid(input):
    """log(sigmoid(x)) = -softplus(-x). The softplus kernel with an infinite threshold is the
    stable log1p(exp(.)) form, exact for large |x| (the default threshold 20 would cut it)."""
    return -Activation.apply(-input, name="softplus", p0=1.0, p1=_INF)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace=False):
    """scale * elu(x, alpha) with the self-normalising constants of Klambauer et al."""
    return _inplace_result(input, _SELU_SCALE * elu(input, _SELU_ALPHA), inplace, "selu")


def celu(input, alpha=1.0, inplace=False):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1)), which is alpha * elu(x / alpha)."""
    if alpha == 0:
        raise ValueError("[celu] alpha must not be 0 (it divides x)")
    return _inplace_result(input, alpha * elu(input / alpha, 1.0), inplace, "celu")


def mish(input, inplace=False):
    """x * tanh(softplus(x))."""
    return _inplace_result(input, input * softplus(input).tanh(), inplace, "mish")


def softsign(input):
    """x / (1 + |x|)."""
    return input / (input.abs() + 1.0)


def hardsigmoid(input, inplace=False):
    """clamp(x / 6 + 1/2, 0, 1)."""
    return _inplace_result(input, (input / 6.0 + 0.5).clamp(0.0, 1.0), inplace, "hardsigmoid")


def hardswish(input, inplace=False):
    """x * hardsigmoid(x)."""
    return _inplace_result(input, input * (input / 6.0 + 0.5).clamp(0.0, 1.0), inplace,
                           "hardswish")


def tanhshrink(input):
    """x - tanh(x)."""
    return input - input.tanh()


def threshold(input, threshold, value, inplace=False):
    """x where x > threshold, else value."""
    out = _ew.where(input > threshold, input, Tensor._wrap(_np.asarray(value, input._data.dtype)))
    return _inplace_result(input, out, inplace, "threshold")


def hardshrink(input, lambd=0.5):
    """x where |x| > lambd, else 0."""
    return _ew.where(input.abs() > lambd, input, Tensor._wrap(_np.zeros((), input._data.dtype)))


def softshrink(input, lambd=0.5):
    """x - lambd above lambd, x + lambd below -lambd, else 0: x - clamp(x, -lambd, lambd)."""
    if lambd < 0:
        raise ValueError(f"[softshrink] lambd must be >= 0, got {lambd}")
    return input - input.clamp(-lambd, lambd)


def glu(input, dim=-1):
    """a * sigmoid(b), a and b the two halves of input along dim."""
    _check_tensor(input, "glu")
    if input.ndim == 0:
        raise ValueError("[glu] input must have at least one dimension, got a scalar")
    d = dim % input.ndim if -input.ndim <= dim < input.ndim else None
    if d is None:
        raise IndexError(f"[glu] dim {dim} is out of range for input of shape {tuple(input.shape)}")
    n = input.shape[d]
    if n % 2:
        raise ValueError(f"[glu] the halved dimension {dim} must be even, got size {n} "
                         f"(input {tuple(input.shape)})")
    a, b = input.split(n // 2, d)
    return a * b.sigmoid()


def _softmax_dim(ndim):
    """PyTorch's legacy implicit dim when dim=None: 0 for 0-, 1- and 3-D input, else 1."""
    return 0 if ndim in (0, 1, 3) else 1


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-x) along dim (None: PyTorch's legacy choice, 0 for 0/1/3-D input, else 1)."""
    if dtype is not None:
        input = input.to(dtype)
    return softmax(-input, _softmax_dim(input.ndim) if dim is None else dim)


# ---- norms and distances -----------------------------------------------------------------
def _pnorm(x, p, dim, keepdim):
    """The p-norm of x along dim. A zero vector gets norm 0 and gradient 0 (PyTorch's
    subgradient), not the NaN that the root's infinite slope at 0 would give: the root is taken
    of 1 where the sum is 0 and the result masked."""
    p = float(p)
    if p == _INF:
        return x.abs().max(axis=dim, keepdims=keepdim)
    if p == -_INF:
        return x.abs().min(axis=dim, keepdims=keepdim)
    if p == 0:  # count of nonzeros: piecewise constant, no gradient
        return Tensor._wrap(_np.asarray((x._data != 0).sum(axis=dim, keepdims=keepdim),
                                        x._data.dtype))
    if p == 1:
        return x.abs().sum(dim=dim, keepdim=keepdim)
    s = (x * x if p == 2 else x.abs() ** p).sum(dim=dim, keepdim=keepdim)
    pos = s > 0
    one = Tensor._wrap(_np.ones((), s._data.dtype))
    zero = Tensor._wrap(_np.zeros((), s._data.dtype))
    safe = _ew.where(pos, s, one)
    root = safe.sqrt() if p == 2 else safe ** (1.0 / p)
    return _ew.where(pos, root, zero)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """input / max(||input||_p, eps) along dim."""
    if out is not None:
        raise NotImplementedError("[normalize] out= is not supported; use the return value")
    _check_tensor(input, "normalize")
    return input / _pnorm(input, p, dim, True).clamp(min=eps)


def _broadcast_pair(x1, x2, op):
    try:
        shape = _np.broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
    except ValueError:
        raise ValueError(f"[{op}] x1 {tuple(x1.shape)} and x2 {tuple(x2.shape)} do not "
                         f"broadcast") from None
    return shape


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """sum(x1 * x2, dim) / (max(||x1||, eps) * max(||x2||, eps)), x1 and x2 broadcast."""
    _check_tensor(x1, "cosine_similarity", "x1"), _check_tensor(x2, "cosine_similarity", "x2")
    shape = _broadcast_pair(x1, x2, "cosine_similarity")
    if not -len(shape) <= dim < max(len(shape), 1):
        raise IndexError(f"[cosine_similarity] dim {dim} is out of range for the broadcast "
                         f"shape {shape}")
    n1 = _pnorm(x1, 2, dim, True).clamp(min=eps)
    n2 = _pnorm(x2, 2, dim, True).clamp(min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim=dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p over the last dimension, x1 and x2 broadcast."""
    _check_tensor(x1, "pairwise_distance", "x1"), _check_tensor(x2, "pairwise_distance", "x2")
    _broadcast_pair(x1, x2, "pairwise_distance")
    if x1.ndim == 0 and x2.ndim == 0:
        raise ValueError("[pairwise_distance] inputs must have at least one dimension")
    return _pnorm(x1 - x2 + eps, p, -1, keepdim)


# ---- gumbel softmax ------------------------------------------------------------------------
def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    """softmax((logits + g) / tau) along dim, g Gumbel(0, 1) noise from pe's generator
    (pe.manual_seed). hard=True: the one-hot of the argmax in the forward pass, with the soft
    sample's gradient (straight-through: y_hard - y_soft.detach() + y_soft)."""
    _check_tensor(logits, "gumbel_softmax", "logits")
    if tau <= 0:
        raise ValueError(f"[gumbel_softmax] tau must be positive, got {tau}")
    e = _random.get_generator(None).exponential(1.0, tuple(logits.shape))
    g = Tensor._wrap(-_np.log(e).astype(logits._data.dtype), logits.device)
    y_soft = softmax((logits + g) / tau, dim)
    if not hard:
        return y_soft
    ys = y_soft._data
    idx = _np.expand_dims(_np.argmax(ys, axis=dim), dim)
    onehot = _np.zeros_like(ys)
    _np.put_along_axis(onehot, idx, 1.0, axis=dim)
    return Tensor._wrap(onehot, logits.device) - y_soft.detach() + y_soft


# ---- 1-D pooling on the 2-D kernels ---------------------------------------------------------
def _single(v, name, op):
    if isinstance(v, (tuple, list)):
        if len(v) != 1:
            raise ValueError(f"[{op}] {name} must be an int or a 1-tuple, got {v!r}")
        v = v[0]
    if not isinstance(v, (int, _np.integer)):
        raise TypeError(f"[{op}] {name} must be an int, got {v!r}")
    return int(v)


def _window1d(op, input, kernel_size, stride, padding, dilation=1):
    _check_tensor(input, op)
    if input.ndim not in (2, 3):
        raise ValueError(f"[{op}] input must be 2-D (C, L) or 3-D (N, C, L), got shape "
                         f"{tuple(input.shape)}")
    k = _single(kernel_size, "kernel_size", op)
    s = k if stride is None or stride == () or stride == [] else _single(stride, "stride", op)
    p, d = _single(padding, "padding", op), _single(dilation, "dilation", op)
    if k < 1 or s < 1 or d < 1 or p < 0:
        raise ValueError(f"[{op}] kernel_size, stride and dilation must be positive and padding "
                         f">= 0, got kernel_size={k}, stride={s}, padding={p}, dilation={d}")
    if p > (d * (k - 1) + 1) // 2:
        raise ValueError(f"[{op}] padding {p} must be at most half the kernel size {k}")
    return k, s, p, d


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over kernel_size windows of (N, C, L) or (C, L) input (stride defaults to
    kernel_size); max_pool2d on the (N, C, 1, L) view, so indices are positions along L."""
    k, s, p, d = _window1d("max_pool1d", input, kernel_size, stride, padding, dilation)
    if input.shape[-1] + 2 * p < d * (k - 1) + 1:
        raise ValueError(f"[max_pool1d] input length {input.shape[-1]} (padded by {p}) is "
                         f"shorter than the kernel {k} (dilation {d})")
    out = _max_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, p), (1, d), ceil_mode,
                      return_indices)
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """Mean over kernel_size windows of (N, C, L) or (C, L) input (stride defaults to
    kernel_size); avg_pool2d on the (N, C, 1, L) view."""
    k, s, p, _ = _window1d("avg_pool1d", input, kernel_size, stride, padding)
    if input.shape[-1] + 2 * p < k:
        raise ValueError(f"[avg_pool1d] input length {input.shape[-1]} (padded by {p}) is "
                         f"shorter than the kernel {k}")
    return _avg_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, p), ceil_mode,
                       count_include_pad).squeeze(-2)


# ---- group norm ----------------------------------------------------------------------------
def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise (N, C, *) input over each group of C / num_groups channels and its spatial
    values (biased variance), then scale and shift per channel by weight and bias (C,).
    layer_norm's fused kernel on the (N, num_groups, rest) reshape does the statistics."""
    _check_tensor(input, "group_norm")
    if input.ndim < 2:
        raise ValueError(f"[group_norm] expected input of shape (N, C, *), got "
                         f"{tuple(input.shape)}")
    n, c = input.shape[0], input.shape[1]
    g = int(num_groups)
    if g <= 0 or c % g:
        raise ValueError(f"[group_norm] num_groups {num_groups} must divide the {c} channels")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (c,):
            raise ValueError(f"[group_norm] {name} has shape {tuple(t.shape)}, expected ({c},) "
                             f"for input {tuple(input.shape)}")
    spatial = int(_np.prod(input.shape[2:], dtype=_np.int64))
    if n * (c // g) * spatial == 1:  # PyTorch's check (its _verify_batch_size on the groups)
        raise ValueError(f"[group_norm] expected more than 1 value per channel, got input "
                         f"{tuple(input.shape)} with num_groups {g}")
    rest = (c // g) * spatial
    if n == 0 or rest == 0:
        y = input * 1.0
    else:
        y = layer_norm(input.reshape(n, g, rest), (rest,), None, None, eps).reshape(
            *input.shape)
    shape = (1, c) + (1,) * (input.ndim - 2)
    if weight is not None:
        y = y * weight.reshape(*shape)
    if bias is not None:
        y = y + bias.reshape(*shape)
    return y

