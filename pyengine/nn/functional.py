"""Functional forms of the ops, PyTorch names and argument names (`import pyengine.nn.functional
as F`). Each is one line over an op in pyengine/ops; see there for forward and backward.

This is pyengine's ONE functional namespace: the layers of pe.nn and pe.keras call these; the
tensor math at the end (exp, sum, matmul, cat, one_hot ...) is what `pe.exp`, `pe.cat` ... export
at the top level and what keras.ops / keras.backend / the `import pyengine as tf` spellings
(pyengine/tf_names.py) alias."""
import numpy as _np

from .. import autograd as _autograd
from ..ops import elementwise as _ew
from ..ops import loss as _loss
from ..ops.activation import Activation, ReLU as _ReLU, Sigmoid as _Sigmoid, Softmax, Tanh as _Tanh
from ..ops.conv import conv1d, conv2d  # noqa: F401
from ..ops.linear import linear as _linear
from ..ops.shape_errors import ShapeError
from ..ops.pool import adaptive_avg_pool2d, avg_pool2d, max_pool2d  # noqa: F401
from ..ops.conv_nhwc import avg_pool2d_nhwc, conv2d_nhwc, max_pool2d_nhwc  # noqa: F401
from ..tensor import Tensor
from ..tensor_view_write import view_root as _view_root


def _inplace_result(x, out, inplace, op):
    """PyTorch's inplace=True: the values are written into x and x is returned, so a caller
    reading x afterwards sees them. A tensor computed in a recorded graph takes the result and
    its node (Tensor._adopt: the ops that read x before keep the version they read); a view
    passes the write on to the tensor it views (tensor_view_write.py). A leaf that requires
    grad, and a view of one, get the out-of-place result and keep their values (PyTorch
    raises)."""
    if not inplace or not isinstance(x, Tensor):
        return out
    if _autograd.is_grad_enabled() and (x.requires_grad or x._node is not None):
        if x._node is None:
            return out
        if x._views_another():
            root, _ = _view_root(x, op)
            if root is None or (root._node is None and root.requires_grad):
                return out
    if out is not x and not _np.can_cast(out._data.dtype, x._data.dtype, "same_kind"):
        raise TypeError(f"[{op}] inplace=True cannot write the {out._data.dtype} result into the "
                        f"{x._data.dtype} input; use inplace=False")
    return x._inplace(out)


def relu(x, inplace=False):
    """relu(x) = max(x, 0), elementwise; any shape. inplace=True: see _inplace_result.

    >>> F.relu(pe.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """
    return _inplace_result(x, _ReLU.apply(x), inplace, "relu")


def leaky_relu(x, negative_slope=0.01, inplace=False):
    """leaky_relu(x) = x if x > 0 else negative_slope * x, elementwise.

    >>> F.leaky_relu(pe.tensor([-1.0, 2.0]), 0.1)
    tensor([-0.1000,  2.0000])
    """
    return _inplace_result(x, Activation.apply(x, name="leaky_relu", p0=float(negative_slope)),
                           inplace, "leaky_relu")


def elu(x, alpha=1.0, inplace=False):
    """elu(x) = x if x > 0 else alpha * (exp(x) - 1), elementwise.

    >>> F.elu(pe.tensor([0.0, 2.0]))
    tensor([0., 2.])
    """
    return _inplace_result(x, Activation.apply(x, name="elu", p0=float(alpha)), inplace, "elu")


def gelu(x, approximate="none"):
    """gelu(x) = x * Phi(x), Phi the standard normal CDF (exact erf form), elementwise.

    >>> F.gelu(pe.tensor([0.0, 10.0]))
    tensor([ 0., 10.])
    """
    if approximate != "none":
        raise ValueError(f"[gelu] only approximate='none' is supported, got {approximate!r}")
    return Activation.apply(x, name="gelu")


def sigmoid(x):
    """sigmoid(x) = 1 / (1 + exp(-x)), elementwise.

    >>> F.sigmoid(pe.tensor([0.0]))
    tensor([0.5000])
    """
    return _Sigmoid.apply(x)


def tanh(x):
    """tanh(x), elementwise.

    >>> F.tanh(pe.tensor([0.0]))
    tensor([0.])
    """
    return _Tanh.apply(x)


def softplus(x, beta=1.0, threshold=20.0):
    """softplus(x) = (1/beta) * log(1 + exp(beta * x)), linear where beta * x > threshold.

    >>> F.softplus(pe.tensor([30.0]))
    tensor([30.])
    """
    if beta <= 0:
        raise ValueError(f"[softplus] beta must be positive, got {beta}")
    return Activation.apply(x, name="softplus", p0=float(beta), p1=float(threshold))


def softmax(x, dim=-1, axis=None, *, dtype=None):
    """softmax(x)_i = exp(x_i) / sum_j exp(x_j) along `dim`; output has x's shape. dtype=
    casts the input first (torch's F.softmax(x, dim, dtype=torch.float64)).

    >>> F.softmax(pe.tensor([[0.0, 0.0]]), dim=1)
    tensor([[0.5000, 0.5000]])
    """
    if dtype is not None:
        x = x.to(dtype)
    return Softmax.apply(x, axis=dim if axis is None else axis, log=False)


def log_softmax(x, dim=-1, axis=None, *, dtype=None):
    """log_softmax(x)_i = x_i - logsumexp(x) along `dim`, computed stably; x's shape. dtype=
    casts the input first, as torch.

    >>> F.log_softmax(pe.tensor([[0.0, 0.0]]), dim=1).exp()
    tensor([[0.5000, 0.5000]])
    """
    if dtype is not None:
        x = x.to(dtype)
    return Softmax.apply(x, axis=dim if axis is None else axis, log=True)


def linear(x, weight, bias=None, activation=None):
    """activation(x @ weight.T + bias), weight (out_features, in_features), bias (out_features,).

    One fused op (GEMM with the bias and activation in its epilogue; backward takes the bias
    gradient in the same pass): activation is None, "relu", "sigmoid" or "tanh".

    >>> F.linear(pe.randn(32, 20), pe.randn(30, 20), pe.zeros(30), activation="relu").shape
    (32, 30)
    """
    if x.shape[-1] != weight.shape[-1]:
        raise ShapeError(f"[linear] input has {x.shape[-1]} features but weight expects "
                         f"{weight.shape[-1]} (input {x.shape}, weight {weight.shape})")
    return _linear(x, weight, bias, activation)



# ---- nn layers' functional forms (dropout, normalization, embedding) ----------------------------
from ..ops.dropout import dropout as _dropout  # noqa: E402


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero elements with probability p, scale the rest by 1 / (1 - p); identity if not training.
    inplace=True writes into input (see _inplace_result)."""
    return _inplace_result(input, _dropout(input, p, training), inplace, "dropout")


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, L) input with probability p."""
    if input.ndim not in (2, 3):
        raise ValueError(f"[dropout1d] expected a 2-D or 3-D input, got shape {input.shape}")
    return _inplace_result(input, _dropout(input, p, training,
                                           mask_shape=input.shape[:-1] + (1,)), inplace,
                           "dropout1d")


def _feature_dropout(input, p, training, inplace, op):
    """PyTorch's feature_dropout: one mask value per (N, C) pair, broadcast over the rest."""
    if input.ndim < 2:
        raise ValueError(f"[{op}] feature dropout needs at least 2 dimensions (N, C, ...), got "
                         f"shape {input.shape}")
    mask_shape = input.shape[:2] + (1,) * (input.ndim - 2)
    return _inplace_result(input, _dropout(input, p, training, mask_shape=mask_shape), inplace,
                           op)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, H, W) input with probability p.

    Other ranks follow PyTorch (with its warnings): a 3-D input is read as (N, C, L), one mask
    value per (n, c), not as an unbatched (C, H, W); 2-D (N, C) input, as after an LSTM in
    pytorch/examples mnist_rnn, is ordinary element dropout; 5-D and up mask per (n, c)."""
    import warnings
    if input.ndim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is "
                      "deprecated in PyTorch; use dropout instead (dropout2d is channel-wise "
                      "dropout for 3-D or 4-D inputs)", UserWarning, stacklevel=2)
    elif input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that "
                      "channel-wise 1D dropout behavior is desired - input is interpreted as "
                      "shape (N, C, L), as PyTorch does; use dropout1d to say so",
                      UserWarning, stacklevel=2)
    return _feature_dropout(input, p, training, inplace, "dropout2d")


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, D, H, W) or unbatched (C, D, H, W) input with probability
    p. Other ranks: PyTorch's warning and feature dropout (one mask value per (n, c))."""
    import warnings
    if input.ndim == 4:  # unbatched, as PyTorch: one mask value per channel
        return _inplace_result(input, _dropout(input, p, training,
                                               mask_shape=input.shape[:1] + (1, 1, 1)),
                               inplace, "dropout3d")
    if input.ndim != 5:
        warnings.warn(f"dropout3d: Received a {input.ndim}-D input to dropout3d, which is "
                      "deprecated in PyTorch; use dropout instead (dropout3d is channel-wise "
                      "dropout for 4-D or 5-D inputs)", UserWarning, stacklevel=2)
    return _feature_dropout(input, p, training, inplace, "dropout3d")


from ..ops.normalization import batch_norm, layer_norm  # noqa: E402,F401
from ..ops.embedding import embedding as _embedding  # noqa: E402


def embedding(input, weight, padding_idx=None, max_norm=None):
    """weight[input]: rows of the (num_embeddings, dim) table for integer indices of any shape."""
    if max_norm is not None:
        raise NotImplementedError("[embedding] max_norm is not supported")
    return _embedding(input, weight, padding_idx)

# ---- losses (pyengine/ops/loss.py) -------------------------------------------------------------
def _arr(x):
    return None if x is None else (x._data if isinstance(x, Tensor) else _np.asarray(x))


def _loss_reduction(reduction, size_average, reduce, op):
    if size_average is not None or reduce is not None:  # PyTorch's deprecated pair
        reduce = True if reduce is None else reduce
        size_average = True if size_average is None else size_average
        reduction = ("mean" if size_average else "sum") if reduce else "none"
    _loss.check_reduction(reduction, op)
    return reduction


def _float_target(input, target):
    """An integer / bool target in the float input's dtype, as torch's promotion makes it
    (float32 output, int64 target: a float32 loss; NumPy would give float64)."""
    if (isinstance(target, Tensor) and isinstance(input, Tensor)
            and input._data.dtype.kind == "f" and target._data.dtype.kind in "iub"):
        return target.to(input.dtype)
    return target


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """mean((input - target)^2) (or 'sum' / 'none'); target may require grad."""
    r = _loss_reduction(reduction, size_average, reduce, "mse_loss")
    return _loss.MSELoss.apply(input, _float_target(input, target), reduction=r)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """mean(|input - target|) (or 'sum' / 'none')."""
    r = _loss_reduction(reduction, size_average, reduce, "l1_loss")
    return _loss.L1Loss.apply(input, _float_target(input, target), reduction=r)


def huber_loss(input, target, reduction="mean", delta=1.0):
    """0.5 e^2 where |e| <= delta, else delta (|e| - 0.5 delta); e = input - target (PyTorch's
    F.huber_loss; Keras' Huber loss is this with reduction 'none' averaged over the last axis).
    Composed of autograd ops: the gradient is e clamped to [-delta, delta]."""
    return _huber(input, target, reduction, float(delta), "huber_loss", "delta")


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 e^2 / beta where |e| < beta, else |e| - 0.5 beta: huber_loss(delta=beta) / beta, and
    l1_loss when beta == 0 (as PyTorch)."""
    r = _loss_reduction(reduction, size_average, reduce, "smooth_l1_loss")
    beta = float(beta)
    if beta == 0.0:
        return l1_loss(input, target, reduction=r)
    return _huber(input, target, r, beta, "smooth_l1_loss", "beta") / beta


def _huber(input, target, reduction, delta, op, name):
    _loss.check_reduction(reduction, op)
    if not (delta >= 0.0) or delta == float("inf"):
        raise ValueError(f"[{op}] {name} must be a finite number >= 0, got {delta}")
    input = input if isinstance(input, Tensor) else _tensor(input)
    target = target if isinstance(target, Tensor) else _tensor(target, dtype=input.dtype)
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(f"[{op}] input and target shapes differ: {tuple(input.shape)} vs "
                         f"{tuple(target.shape)} (broadcasting them is almost always a bug)")
    e = (input - target).abs()
    quad = e.clamp(max=delta)
    loss = 0.5 * quad * quad + delta * (e - quad)
    return loss if reduction == "none" else (loss.sum() if reduction == "sum" else loss.mean())


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """-weight * (t log p + (1 - t) log(1 - p)) for probabilities p = input; logs clamped at -100.

    >>> F.binary_cross_entropy(pe.tensor([0.8, 0.1]), pe.tensor([1.0, 0.0]))
    tensor(0.1643)
    """
    r = _loss_reduction(reduction, size_average, reduce, "binary_cross_entropy")
    if _target_wants_grad(target):
        return _bce_composed(input, target, weight, None, False, r, "binary_cross_entropy")
    return _loss.BinaryCrossEntropy.apply(input, _arr(target), weight=_arr(weight), reduction=r)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """binary_cross_entropy(sigmoid(input), target) computed stably from logits; pos_weight
    (broadcast over the last dimension) weights the positive term."""
    r = _loss_reduction(reduction, size_average, reduce, "binary_cross_entropy_with_logits")
    if _target_wants_grad(target):
        return _bce_composed(input, target, weight, pos_weight, True, r,
                             "binary_cross_entropy_with_logits")
    return _loss.BinaryCrossEntropy.apply(input, _arr(target), weight=_arr(weight),
                                          pos_weight=_arr(pos_weight), logits=True, reduction=r)


def _target_wants_grad(target):
    return isinstance(target, Tensor) and target.requires_grad and _autograd.is_grad_enabled()


def _bce_composed(input, target, weight, pos_weight, logits, reduction, op):
    """Binary cross-entropy from differentiable ops, for a target in the recorded graph:
    PyTorch (and Keras, whose losses are plain ops) differentiate both arguments, while the
    fused kernel treats the target as data. Logits: w ((1 - y) x + (1 + (pw - 1) y)
    softplus(-x)); probabilities: -w (y log p + (1 - y) log(1 - p)), logs clamped at -100."""
    x = input if isinstance(input, Tensor) else _tensor(_np.asarray(input, _np.float32))
    if tuple(x.shape) != tuple(target.shape):
        raise ValueError(f"[{op}] input and target shapes differ: {tuple(x.shape)} vs "
                         f"{tuple(target.shape)}")
    y = target.astype(x.dtype) if target.dtype != x.dtype else target

    def const(a):
        return None if a is None else (a if isinstance(a, Tensor) else
                                       _tensor(_np.asarray(a, x._data.dtype)))
    if logits:
        pw = const(pos_weight)
        coef = 1.0 if pw is None else 1.0 + (pw - 1.0) * y
        loss = (1.0 - y) * x + coef * softplus(-x)
    else:
        loss = -(y * x.log().clamp(min=-100.0) + (1.0 - y) * (1.0 - x).log().clamp(min=-100.0))
    w = const(weight)
    if w is not None:
        loss = loss * w
    return loss if reduction == "none" else (loss.sum() if reduction == "sum" else loss.mean())


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """-sum_c q_c log softmax(input)_c over the class dim (1), q the one-hot (class-index target)
    or given probabilities, smoothed: q = (1 - label_smoothing) q + label_smoothing / C.

    >>> F.cross_entropy(pe.tensor([[2.0, 0.5, -1.0]]), pe.tensor([0]))
    tensor(0.2413)
    """
    r = _loss_reduction(reduction, size_average, reduce, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"[cross_entropy] label_smoothing must be in [0, 1], got {label_smoothing}")
    return _loss.CrossEntropy.apply(input, _arr(target), weight=_arr(weight),
                                    ignore_index=ignore_index, label_smoothing=label_smoothing,
                                    reduction=r)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """-weight[t] * input[t] for log-probabilities input (N, C[, ...]) and class indices t."""
    r = _loss_reduction(reduction, size_average, reduce, "nll_loss")
    return _loss.NLLLoss.apply(input, _arr(target), weight=_arr(weight),
                               ignore_index=ignore_index, reduction=r)


# ---- tensor math at module level (pe.exp(x), pe.cat([...]), pe.matmul(a, b) ...) -------------------
from ..creation import tensor as _tensor  # noqa: E402
from ..ops.shape import cat, chunk, concatenate, split, stack  # noqa: E402,F401


def _t(x):
    return x if isinstance(x, Tensor) else _tensor(x)


def where(condition, x=None, y=None, *, name=None):
    """x where condition else y, elementwise with broadcasting. `name=` is tf.where's op name,
    which cannot act in eager pyengine (docs/hardening.md). With the condition alone, the true
    elements' indices: PyTorch's tuple of index tensors (torch.nonzero(as_tuple=True)), or,
    called from a program that imported pyengine as tf, TensorFlow's (N, rank) int64 tensor of
    coordinates (calling_face.py)."""
    if x is None and y is None:
        from ..calling_face import caller_uses_tensorflow_names
        c = _np.asarray(condition._data if isinstance(condition, Tensor) else condition).astype(bool)
        if caller_uses_tensorflow_names():
            return Tensor._wrap(_np.argwhere(c).astype(_np.int64))
        return tuple(Tensor._wrap(i.astype(_np.int64)) for i in _np.nonzero(c))
    if x is None or y is None:
        raise ValueError("[where] give both x and y, or neither (the condition alone gives the "
                         "indices of its true elements)")
    if not isinstance(x, Tensor) and not isinstance(y, Tensor):
        ax, ay = _np.asarray(x), _np.asarray(y)
        if ax.dtype.kind in "iu" and ay.dtype.kind in "iu":
            # integer choices give integers: int64 as torch.where(c, 0, 1), int32 for Python
            # ints from a TensorFlow program (tf.where(predictions < 0.5, 0, 1)); NumPy
            # integer arrays keep their common dtype
            from ..calling_face import caller_uses_tensorflow_names
            python_ints = isinstance(x, int) and isinstance(y, int)
            dt = (_np.int32 if caller_uses_tensorflow_names() else _np.int64) if python_ints \
                else _np.result_type(ax, ay)
            x, y = Tensor._wrap(ax.astype(dt)), Tensor._wrap(ay.astype(dt))
    return _ew.where(condition, x, y)


def matmul(a, b):
    """a @ b with NumPy's rules (1-D promotion, batch broadcasting)."""
    return _t(a) @ _t(b)


def maximum(a, b): return _t(a).maximum(b)
def minimum(a, b): return _t(a).minimum(b)
def clamp(x, min=None, max=None): return _t(x).clamp(min, max)
def exp(x): return _t(x).exp()
def log(x): return _t(x).log()
def log1p(x): return _t(x).log1p()
def sqrt(x): return _t(x).sqrt()
def square(x): return _t(x) * _t(x)
def sin(x): return _t(x).sin()
def cos(x): return _t(x).cos()
def abs(x): return _t(x).abs()
def sum(x, axis=None, keepdims=False, dim=None, keepdim=None): return _t(x).sum(axis, keepdims, dim, keepdim)
def mean(x, axis=None, keepdims=False, dim=None, keepdim=None): return _t(x).mean(axis, keepdims, dim, keepdim)
def max(x, dim=None, keepdim=False, *, axis=None, keepdims=False): return _t(x).max(dim, keepdim, axis=axis, keepdims=keepdims)  # noqa: E501  (torch.max's forms: Tensor.max)
def min(x, dim=None, keepdim=False, *, axis=None, keepdims=False): return _t(x).min(dim, keepdim, axis=axis, keepdims=keepdims)  # noqa: E501
def argmax(x, axis=None, keepdims=False, dim=None, keepdim=None): return _t(x).argmax(axis, keepdims, dim, keepdim)
def argmin(x, axis=None, keepdims=False, dim=None, keepdim=None): return _t(x).argmin(axis, keepdims, dim, keepdim)
def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=False):
    """torch.var: (input, dim, unbiased, keepdim) positionally, correction= / axis= / keepdims=
    as keywords."""
    return _t(input).var(dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=False):
    """torch.std, with var's arguments."""
    return _t(input).std(dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims)
def logsumexp(x, axis=None, keepdims=False, dim=None, keepdim=None): return _t(x).logsumexp(axis, keepdims, dim, keepdim)
def reshape(x, *shape, **kwargs):
    """pe.reshape(x, shape): `shape` may be given by keyword (torch.reshape(input, shape=),
    tf.reshape(tensor, shape=, name=); `name` is TensorFlow's op label, which pyengine has no
    use for, docs/hardening.md)."""
    kwargs.pop("name", None)
    if "shape" in kwargs:
        if shape:
            raise TypeError("[reshape] shape given both by position and by keyword")
        shape = (kwargs.pop("shape"),)
    if kwargs:
        raise TypeError(f"[reshape] unexpected keyword arguments {sorted(kwargs)}")
    if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
        # tf.reshape(x, [tf.math.ceil(h / 8) * w, 4]): whole-number 0-d float tensors count
        from ..tensor_habits import whole_number_size
        shape = (type(shape[0])(whole_number_size(d, "reshape") for d in shape[0]),)
    return _t(x).reshape(*shape)
def flatten(x, start_dim=0, end_dim=-1): return _t(x).flatten(start_dim, end_dim)
def squeeze(x, axis=None): return _t(x).squeeze(axis)
def unsqueeze(x, axis): return _t(x).unsqueeze(axis)


def broadcast_to(input, shape):
    """torch.broadcast_to / numpy.broadcast_to: a view-like copy of input at `shape` (the
    gradient sums over the broadcast axes)."""
    return _t(input).broadcast_to(tuple(shape))
def transpose(x, *axes, perm=None, conjugate=False, name=None, dim0=None, dim1=None):
    """torch.transpose(input, dim0, dim1) swaps two axes; tf.transpose(a, perm=None,
    conjugate=False) permutes by perm (by position or keyword, a list or a 1-D tensor), all axes
    reversed without one. conjugate=True (TensorFlow) is the identity on real tensors; name= is
    TensorFlow's op label."""
    axes += tuple(d for d in (dim0, dim1) if d is not None)
    if perm is not None:
        if axes:
            raise TypeError(f"[transpose] perm= given together with the dims {axes}")
        axes = (perm,)
    if len(axes) == 1 and not isinstance(axes[0], (int, _np.integer)):  # tf.transpose(x, perm)
        axes = (tuple(int(a) for a in _np.asarray(getattr(axes[0], "_data", axes[0])).reshape(-1)),)
    x = _t(x)
    if conjugate and x._data.dtype.kind == "c":
        raise NotImplementedError("[transpose] conjugate=True on complex tensors is not supported")
    return x.transpose(*axes)
def permute(x, *axes): return _t(x).permute(*axes)


def one_hot(tensor, num_classes=-1):
    """(..., ) integer classes -> (..., num_classes) int64 one-hot (num_classes=-1: max + 1).

    >>> F.one_hot(pe.tensor([0, 2]), 3)
    tensor([[1, 0, 0],
            [0, 0, 1]])
    """
    idx = _np.asarray(tensor._data if isinstance(tensor, Tensor) else tensor)
    if idx.dtype.kind not in "iu" and not (idx.dtype.kind == "f" and _np.all(_np.mod(idx, 1) == 0)):
        raise TypeError(f"[one_hot] classes must be integers, got dtype {idx.dtype}")
    idx = idx.astype(_np.int64)
    n = int(idx.max()) + 1 if num_classes == -1 and idx.size else int(num_classes)
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise ValueError(f"[one_hot] classes must be in [0, {n}), got values in "
                         f"[{idx.min()}, {idx.max()}]")
    out = _np.zeros(idx.shape + (n,), _np.int64)
    _np.put_along_axis(out, idx[..., None], 1, axis=-1)
    return Tensor._wrap(out)


__all__ = [n for n in dir() if not n.startswith("_") and n != "Tensor"]


# ---- transposed convolution, resampling, PReLU (ops/conv_transpose.py, ops/image.py) ----------
from ..ops.conv_transpose import conv_transpose1d, conv_transpose2d  # noqa: E402,F401
from ..ops.image import affine_warp, interpolate  # noqa: E402,F401


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Alias of interpolate (PyTorch's deprecated name)."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def prelu(input, weight):
    """max(0, x) + weight * min(0, x); weight (1,) or (C,) broadcast along dim 1.

    >>> F.prelu(pe.tensor([-2.0, 3.0]), pe.tensor([0.25]))
    tensor([-0.5000,  3.0000])
    """
    if weight.ndim != 1:
        raise ValueError(f"[prelu] weight must be 1-D, got shape {tuple(weight.shape)}")
    c = weight.shape[0]
    if c != 1:
        if input.ndim < 2 or input.shape[1] != c:
            raise ValueError(f"[prelu] weight has {c} slopes but input {tuple(input.shape)} has "
                             f"{input.shape[1] if input.ndim >= 2 else 'no'} channels (dim 1)")
        weight = weight.reshape((c,) + (1,) * (input.ndim - 2))
    return relu(input) - weight * relu(-input)
from ..ops.pad import pad  # noqa: E402,F401


# ---- attention (pyengine/ops/attention.py) ------------------------------------------------------
from ..ops.attention import baddbmm, bmm, scaled_dot_product_attention  # noqa: E402,F401
from ..ops.attention_einsum import einsum  # noqa: E402,F401
from ..ops.attention_erf import erf  # noqa: E402,F401
from ..ops.attention_masks import tril, triu  # noqa: E402,F401


# ---- torch.eq / ne / lt / le / gt / ge: elementwise comparisons as functions (bool tensors) ----
def eq(input, other): return _t(input) == other  # noqa: E704
def ne(input, other): return _t(input) != other  # noqa: E704
def lt(input, other): return _t(input) < other  # noqa: E704
def le(input, other): return _t(input) <= other  # noqa: E704
def gt(input, other): return _t(input) > other  # noqa: E704
def ge(input, other): return _t(input) >= other  # noqa: E704
def pow(input, exponent): return _t(input) ** exponent  # noqa: E704  (torch.pow; autograd via **)


# ---- pixel shuffle and instance norm (issue 11: super_resolution, fast_neural_style) ------------
def pixel_shuffle(input, upscale_factor):
    """(*, C * r^2, H, W) -> (*, C, H * r, W * r), PyTorch's F.pixel_shuffle (reshape + permute)."""
    r = int(upscale_factor)
    if input.ndim < 3:
        raise ValueError(f"[pixel_shuffle] expected an input of at least 3 dimensions (*, C, H, W), "
                         f"got shape {tuple(input.shape)}")
    if r <= 0:
        raise ValueError(f"[pixel_shuffle] upscale_factor must be positive, got {upscale_factor!r}")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise ValueError(f"[pixel_shuffle] the channel dimension ({c}) of input "
                         f"{tuple(input.shape)} must be divisible by upscale_factor squared "
                         f"({r * r})")
    n = len(lead)
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return x.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H * r, W * r) -> (*, C * r^2, H, W), the inverse of pixel_shuffle."""
    r = int(downscale_factor)
    if input.ndim < 3:
        raise ValueError(f"[pixel_unshuffle] expected an input of at least 3 dimensions "
                         f"(*, C, H, W), got shape {tuple(input.shape)}")
    if r <= 0:
        raise ValueError(f"[pixel_unshuffle] downscale_factor must be positive, got "
                         f"{downscale_factor!r}")
    *lead, c, h, w = input.shape
    if h % r or w % r:
        raise ValueError(f"[pixel_unshuffle] height ({h}) and width ({w}) of input "
                         f"{tuple(input.shape)} must be divisible by downscale_factor ({r})")
    n = len(lead)
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return x.reshape(*lead, c * r * r, h // r, w // r)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Normalise each (sample, channel) plane of (N, C, *) input over its spatial values
    (biased variance), then scale by weight and shift by bias (C,), PyTorch's F.instance_norm.
    Built on batch_norm over the (1, N * C, *) reshape.

    Running statistics (C,), PyTorch's rule: with use_input_stats=True they are updated in place
    with the batch mean of the per-instance statistics,
        r = (1 - momentum) * r + momentum * mean_n(stat[n, c])   (the variance unbiased),
    by batch_norm's own update on the statistics repeated per sample; use_input_stats=False
    normalises with them instead (batch_norm's evaluation path on (N, C, *)).

    >>> F.instance_norm(pe.randn(2, 3, 8, 8)).shape
    (2, 3, 8, 8)
    """
    if input.ndim < 3:
        raise ValueError(f"[instance_norm] expected input of shape (N, C, *) with at least one "
                         f"spatial dimension, got {tuple(input.shape)}")
    n, c = input.shape[0], input.shape[1]
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        if t is not None and tuple(t.shape) != (c,):
            raise ValueError(f"[instance_norm] {name} has shape {tuple(t.shape)}, expected "
                             f"({c},) for input {tuple(input.shape)}")
    if (running_mean is None) != (running_var is None):
        raise ValueError("[instance_norm] pass both running_mean and running_var, or neither")
    if not use_input_stats:
        if running_mean is None:
            raise ValueError("[instance_norm] use_input_stats=False needs running_mean and "
                             "running_var")
        return batch_norm(input, running_mean, running_var, weight, bias, training=False,
                          eps=eps)
    spatial = tuple(input.shape[2:])
    if int(_np.prod(spatial)) <= 1:
        raise ValueError(f"[instance_norm] expected more than 1 spatial element per channel, "
                         f"got input size {tuple(input.shape)}")
    per_sample = None
    if running_mean is not None:  # batch_norm updates these; their mean over n is the result
        per_sample = [Tensor._wrap(_np.tile(r._data, n)) for r in (running_mean, running_var)]
    y = batch_norm(input.reshape(1, n * c, *spatial), *(per_sample or (None, None)),
                   training=True, momentum=momentum, eps=eps)
    if per_sample is not None:
        for r, rep in zip((running_mean, running_var), per_sample):
            r._data[...] = rep._data.reshape(n, c).mean(0)
    y = y.reshape(n, c, *spatial)
    shape = (1, c) + (1,) * len(spatial)
    if weight is not None:
        y = y * weight.reshape(*shape)
    if bias is not None:
        y = y + bias.reshape(*shape)
    return y


# 3-D convolution and pooling, composed from the 2-D kernels (pyengine/ops/conv3d.py).
from ..ops.conv3d import avg_pool3d, conv3d, conv3d_ndhwc, max_pool3d  # noqa: E402,F401


# More activations, distances, 1-D pooling, group norm, gumbel_softmax and losses
# (pyengine/nn/functional_more.py, functional_loss_more.py; docs/nn_more.md).
from .functional_more import *  # noqa: E402,F401,F403
from .functional_loss_more import *  # noqa: E402,F401,F403
from .functional_ctc import ctc_loss  # noqa: E402,F401  (connectionist temporal classification)

# embedding_bag, adaptive max pooling, local_response_norm, unfold / fold (docs/nn_more.md).
from .functional_embedding_bag import *  # noqa: E402,F401,F403
from .functional_pool_more import *  # noqa: E402,F401,F403
from .functional_norm_more import *  # noqa: E402,F401,F403
from .functional_fold import *  # noqa: E402,F401,F403

# rrelu, lp_pool1d / 2d, soft / multi margin losses, bilinear, rms_norm, alpha dropouts and
# channel_shuffle (docs/nn_more.md, "More layers").
from .functional_missing import *  # noqa: E402,F401,F403
from .functional_grid import *  # noqa: E402,F401,F403  (affine_grid, grid_sample)
