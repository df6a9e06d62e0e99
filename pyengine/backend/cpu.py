"""CPU backend: storage is a NumPy array; hot kernels are pyengine._C.

Plain broadcasting arithmetic and reductions use NumPy, which already runs them at memory speed
(DESIGN.md section 2); matmul, activations and softmax go to our C++ kernels. Kernels need
C-contiguous float arrays: this module makes inputs contiguous before the call (the binding
checks, it never copies silently).
"""
import numpy as np

from .. import _C

name = "cpu"

# Elementwise arithmetic and math: NumPy ufuncs (memory-bound; nothing to gain in C++).
add, sub, mul, div, power = np.add, np.subtract, np.multiply, np.true_divide, np.power
neg, abs, sign = np.negative, np.absolute, np.sign
exp, log, sqrt, sin, cos = np.exp, np.log, np.sqrt, np.sin, np.cos
log1p, expm1, floor, ceil, round = np.log1p, np.expm1, np.floor, np.ceil, np.round
maximum, minimum, where, clip = np.maximum, np.minimum, np.where, np.clip
eq, ne, lt, le, gt, ge = np.equal, np.not_equal, np.less, np.less_equal, np.greater, np.greater_equal
logical_and, logical_or, logical_not = np.logical_and, np.logical_or, np.logical_not
sum, mean, amax, amin, argmax, argmin = np.sum, np.mean, np.amax, np.amin, np.argmax, np.argmin
reshape, transpose, broadcast_to, concatenate, stack = (
    np.reshape, np.transpose, np.broadcast_to, np.concatenate, np.stack)
zeros, ones, full, empty, arange, linspace, eye = (
    np.zeros, np.ones, np.full, np.empty, np.arange, np.linspace, np.eye)
zeros_like, ones_like, empty_like = np.zeros_like, np.ones_like, np.empty_like
add_at = np.add.at
asarray = np.asarray
isfinite, split, take = np.isfinite, np.split, np.take


def copy(x):
    """A C-contiguous copy (clone)."""
    return np.array(x, copy=True, order="C")

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def contiguous(x, dtype=None):
    """`x` itself when already C-contiguous (of `dtype`), else a C-contiguous copy. Unlike
    np.ascontiguousarray this keeps 0-d arrays 0-d."""
    if x.ndim == 0:  # always contiguous
        return x if dtype is None or x.dtype == dtype else x.astype(dtype)
    return np.ascontiguousarray(x, dtype=dtype)  # no copy when it already is (cheaper than .flags)


def matmul(a, b):
    """a @ b with NumPy's rules (1-D promotion, batch broadcasting) on the C++ GEMM."""
    if a.dtype != b.dtype or a.dtype not in _FLOATS:
        return np.matmul(a, b)  # integer / mixed dtypes: rare, NumPy's rules apply
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"[matmul] both operands need at least 1 dimension, got shapes "
                         f"{a.shape} and {b.shape}")
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    if a2.shape[-1] != b2.shape[-2]:
        raise ValueError(f"[matmul] inner dimensions differ: {a.shape} @ {b.shape}")
    try:
        batch = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
    except ValueError:
        raise ValueError(f"[matmul] batch dimensions do not broadcast: {a.shape} @ {b.shape}") from None
    m, n = a2.shape[-2], b2.shape[-1]
    out = np.empty(batch + (m, n), dtype=a.dtype)
    a3 = np.broadcast_to(a2, batch + a2.shape[-2:])  # views: batch strides become 0
    b3 = np.broadcast_to(b2, batch + b2.shape[-2:])
    _C.matmul(a3, b3, out)
    if a.ndim == 1:
        out = out[..., 0, :]
    if b.ndim == 1:
        out = out[..., 0]
    return out


def activation(name, x, p0=0.0, p1=0.0):
    x = contiguous(x)
    out = np.empty_like(x)
    _C.act_forward(name, x, out, p0, p1)
    return out


def activation_backward(name, x, y, grad, p0=0.0, p1=0.0):
    # x or y may be unused by the activation (None): pass the other so shapes still check.
    x = contiguous(x if x is not None else y)
    y = contiguous(y if y is not None else x)
    grad = contiguous(np.asarray(grad), x.dtype)
    out = np.empty_like(x)
    _C.act_backward(name, x, y, grad, out, p0, p1)
    return out


def softmax(x, axis, log=False):
    x = contiguous(x)
    out = np.empty_like(x)
    _C.softmax(x, out, axis, log)
    return out


def softmax_backward(y, grad, axis, log=False):
    y = contiguous(y)
    grad = contiguous(np.asarray(grad), y.dtype)
    out = np.empty_like(y)
    _C.softmax_backward(y, grad, out, axis, log)
    return out


def is_float_kernel_dtype(dtype):
    return dtype in _FLOATS

floor_divide, remainder = np.floor_divide, np.remainder


# ---- fused losses (csrc/loss): per-row / per-element loss, and d loss / d input when asked ----
def softmax_cross_entropy(x, target, weight, label_smoothing, ignore_index, want_grad,
                          grad_scale=1.0):
    """x (N, C); target int64 (N,) or probabilities (N, C). Returns (loss (N,), grad or None),
    grad = grad_scale * d loss_i / d x_i."""
    x = np.ascontiguousarray(x)
    loss = np.empty(x.shape[0], dtype=x.dtype)
    grad = np.empty_like(x) if want_grad else None
    _C.softmax_cross_entropy(x, np.ascontiguousarray(target), weight, label_smoothing,
                             ignore_index, loss, grad, grad_scale)
    return loss, grad


def binary_cross_entropy(x, target, weight, pos_weight, logits, want_grad):
    """Elementwise BCE on probabilities (logits=False) or logits. Returns (loss, grad or None)."""
    x = np.ascontiguousarray(x)
    loss = np.empty_like(x)
    grad = np.empty_like(x) if want_grad else None
    if logits:
        _C.binary_cross_entropy_with_logits(x, target, weight, pos_weight, loss, grad)
    else:
        _C.binary_cross_entropy(x, target, weight, loss, grad)
    return loss, grad


# ---- convolution and pooling (csrc/conv) ------------------------------------------------------
# The ops resolve output shapes and PyTorch's argument forms; these allocate the outputs and call
# the kernels, which check every shape again before touching memory. Inputs must be C-contiguous
# float32 / float64 arrays of one dtype (the ops make them so).
def conv2d(x, w, b, out_shape, args):
    """args = (sh, sw, ph, pw, dh, dw, groups)."""
    y = np.empty(out_shape, x.dtype)
    _C.conv2d_forward(x, w, b, y, *args)
    return y


def conv2d_backward(x, g, w, need_x, need_w, need_b, args):
    """(grad input, grad weight, grad bias), None where not needed, from one kernel call."""
    gx = np.empty(x.shape, x.dtype) if need_x else None
    gw = np.empty(w.shape, x.dtype) if need_w else None
    gb = np.empty(w.shape[0], x.dtype) if need_b else None
    _C.conv2d_backward(x, g, w, gx, gw, gb, *args)
    return gx, gw, gb


def max_pool2d(x, out_shape, with_indices, kernel, stride, padding, dilation, ceil_mode):
    """(y, argmax as int64 h * W + w per plane, or None when not asked for)."""
    y = np.empty(out_shape, x.dtype)
    idx = np.empty(out_shape, np.int64) if with_indices else None
    _C.max_pool2d_forward(x, y, idx, *kernel, *stride, *padding, *dilation, ceil_mode)
    return y, idx


def max_pool2d_backward(g, idx, x_shape, dtype):
    gx = np.empty(x_shape, dtype)
    _C.max_pool2d_backward(np.ascontiguousarray(g, dtype=dtype), idx, gx)
    return gx


def avg_pool2d(x, out_shape, args):
    """args = (kh, kw, sh, sw, ph, pw, ceil_mode, count_include_pad, divisor or 0)."""
    y = np.empty(out_shape, x.dtype)
    _C.avg_pool2d_forward(x, y, *args)
    return y


def avg_pool2d_backward(g, x_shape, dtype, args):
    gx = np.empty(x_shape, dtype)
    _C.avg_pool2d_backward(np.ascontiguousarray(g, dtype=dtype), gx, *args)
    return gx


def adaptive_avg_pool2d(x, output_size):
    y = np.empty(x.shape[:2] + tuple(output_size), x.dtype)
    _C.adaptive_avg_pool2d_forward(x, y)
    return y


def adaptive_avg_pool2d_backward(g, x_shape, dtype):
    gx = np.empty(x_shape, dtype)
    _C.adaptive_avg_pool2d_backward(np.ascontiguousarray(g, dtype=dtype), gx)
    return gx


# ---- restricted Boltzmann machines (csrc/rbm) --------------------------------------------------
# Arrays must be C-contiguous of one float dtype (pyengine.models makes them so); the kernels
# check every shape again. Random numbers: Philox(seed, stream), the same for any thread count.
def rbm_layer(x, w, w_rows_are_outputs, bias, unit, seed=0, stream=0, want_sample=False):
    """(mean, sample or None) of unit(x @ W' + bias), W' = w.T when w_rows_are_outputs."""
    n_out = w.shape[0] if w_rows_are_outputs else w.shape[1]
    mean = np.empty((x.shape[0], n_out), x.dtype)
    sample = np.empty_like(mean) if want_sample else None
    _C.rbm_layer(x, w, w_rows_are_outputs, bias, mean, sample, unit, seed, stream)
    return mean, sample


def rbm_cd_step(v, w, b_h, b_v, vel_w, vel_h, vel_v, chain, k, visible, learning_rate, momentum,
                weight_decay, sparsity_target, sparsity_cost, seed, stream):
    """One CD-k / PCD update in place; returns the batch's summed squared reconstruction error."""
    return _C.rbm_cd_step(v, w, b_h, b_v, vel_w, vel_h, vel_v, chain, k, visible, learning_rate,
                          momentum, weight_decay, sparsity_target, sparsity_cost, seed, stream)


def rbm_uniform(n, dtype, seed, stream):
    out = np.empty(n, dtype)
    _C.rbm_uniform(out, seed, stream)
    return out
