"""CPU backend: storage is a NumPy array; hot kernels are pyengine._C.

Plain broadcasting arithmetic and reductions use NumPy, which already runs them at memory speed
(DESIGN.md section 2); matmul, activations and softmax go to our C++ kernels. Kernels need
C-contiguous float arrays: this module makes inputs contiguous before the call (the binding
checks, it never copies silently).
"""
import sys

import numpy as np

from .. import _C
from ..op_errors import InvalidArgumentError

name = "cpu"

# Elementwise arithmetic and math: NumPy ufuncs (memory-bound; nothing to gain in C++).
add, sub, mul, power = np.add, np.subtract, np.multiply, np.power
neg, abs, sign = np.negative, np.absolute, np.sign
exp, sqrt, sin, cos = np.exp, np.sqrt, np.sin, np.cos
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
from .cpu_erf import erf  # noqa: E402  (vectorised, Cody's rational approximations)


def log(x):
    """np.log without NumPy's RuntimeWarning: log(0) = -inf and log(x < 0) = NaN are the
    intended results (torch does not warn either)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(x)


def div(a, b):
    """np.true_divide without NumPy's RuntimeWarning: x / 0 = +-inf, 0 / 0 = NaN and overflow to
    inf are IEEE's results, which torch gives silently (pytorch/examples gcn divides by zero degrees on
    purpose and then masks the infs)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.true_divide(a, b)


def sum_all(x):
    """Sum of every element (a 0-d array or NumPy scalar). C-contiguous float32 goes to the C++
    kernel (double accumulation, ~0.2 us on 10x10 against ~0.9 us for NumPy's reduce, whose
    scalar result then costs another ~0.2 us to wrap); float64 to the ufunc's reduce directly
    (np.sum and ndarray.sum pass through two Python wrappers, ~0.5 us)."""
    dt = x.dtype
    if dt is _F32 and x.flags.c_contiguous:
        return _C.sum_all(x)
    if dt is _F32 or dt is _F64:
        return _add_reduce(x, None)
    return np.sum(x)


def copy(x, dtype=None):
    """A C-contiguous copy of array `x` (clone), cast to `dtype` as np.array casts. Large numeric
    copies go into an output array (_empty: 64-byte aligned), like every kernel's output."""
    if x.nbytes >= _ALIGN_FROM and x.dtype.kind in "biuf":
        out = _empty(x.shape, x.dtype if dtype is None else dtype)
        np.copyto(out, x, casting="unsafe")
        return out
    return np.array(x, dtype=dtype, copy=True, order="C")

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def contiguous(x, dtype=None):
    """`x` itself when already C-contiguous (of `dtype`), else a C-contiguous copy. Unlike
    np.ascontiguousarray this keeps 0-d arrays 0-d."""
    if x.ndim == 0:  # always contiguous
        return x if dtype is None or x.dtype == dtype else x.astype(dtype)
    return np.ascontiguousarray(x, dtype=dtype)  # no copy when it already is (cheaper than .flags)


_F32, _F64 = _FLOATS
_empty = _C.empty  # outputs: np.empty(shape, dtype), 64-byte aligned from 64 KiB (output_array.cpp)
_ALIGN_FROM = _C.OUTPUT_ALIGN_FROM_BYTES
_add_reduce = np.add.reduce
_matmul2d = _C.matmul2d
_act_fast, _ACT_CODES = _C.act_fast, dict(_C.act_codes)


def matmul(a, b):
    """a @ b with NumPy's rules (1-D promotion, batch broadcasting) on the C++ GEMM."""
    # Fast path, 2-D @ 2-D of one native float dtype (a layer's forward and both backward
    # products): nothing to promote or broadcast, so the broadcasting machinery below (about
    # 8 us, 10x the whole 10x11 @ 11x6 product) is skipped, and so are pybind11's argument
    # dispatch and the dtype tests here: _C.matmul2d checks rank, dtype and shapes in C and
    # answers None when the operands need the general path. The kernel is the same.
    out = _matmul2d(a, b)
    return out if out is not None else _matmul_general(a, b)


def _matmul_general(a, b):
    """matmul for 1-D operands, batch dims, integer and mixed dtypes."""
    if a.dtype != b.dtype or a.dtype not in _FLOATS:
        return np.matmul(a, b)  # integer / mixed dtypes: rare, NumPy's rules apply
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"[matmul] both operands need at least 1 dimension, got shapes "
                         f"{a.shape} and {b.shape}")
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    if a2.shape[-1] != b2.shape[-2]:
        raise InvalidArgumentError(None, "matmul",
                                   f"[matmul] inner dimensions differ: {a.shape} @ {b.shape}")
    try:
        batch = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
    except ValueError:
        raise InvalidArgumentError(None, "matmul", f"[matmul] batch dimensions do not "
                                   f"broadcast: {a.shape} @ {b.shape}") from None
    m, n = a2.shape[-2], b2.shape[-1]
    out = _empty(batch + (m, n), a.dtype)
    a3 = np.broadcast_to(a2, batch + a2.shape[-2:])  # views: batch strides become 0
    b3 = np.broadcast_to(b2, batch + b2.shape[-2:])
    _C.matmul(a3, b3, out)
    if a.ndim == 1:
        out = out[..., 0, :]
    if b.ndim == 1:
        out = out[..., 0]
    return out


def linear(x, w, b, act):
    """act(x @ w.T + b) for 2-D x (N, K) and w (O, K) of one float dtype (any strides),
    b (O,) or None; act: none, relu, sigmoid, tanh. One kernel call (csrc/gemm/linear.cpp)."""
    if b is not None and not b.flags.c_contiguous:
        b = np.ascontiguousarray(b)
    return _C.linear_forward(x, w, b, None, act)  # allocates the output


def linear_backward(x, w, y, g, need_x, need_w, need_b, act):
    """(grad x, grad w, grad b) of `linear`, None where not needed, from one kernel call;
    y: linear's output (unused for act none)."""
    if not g.flags.c_contiguous or g.dtype is not x.dtype:
        g = np.ascontiguousarray(g, dtype=x.dtype)
    # need_*: True makes the kernel allocate that output (cheaper than np.empty here)
    return _C.linear_backward(x, w, y, g, bool(need_x), bool(need_w), bool(need_b), act)


def activation(name, x, p0=0.0, p1=0.0):
    # relu / gelu / sigmoid / tanh (no parameters) on a C-contiguous float array: the raw
    # _C.act_fast entry, without pybind11's dispatch (as much as the kernel on 10x10); it
    # answers None for anything else. Same kernel, same bits as act_forward.
    code = _ACT_CODES.get(name)
    if code is not None:
        y = _act_fast(x, code)
        if y is not None:
            return y
    if not x.flags.c_contiguous:
        x = contiguous(x)
    return _C.act_forward(name, x, None, p0, p1)  # allocates the output


def activation_backward(name, x, y, grad, p0=0.0, p1=0.0):
    # x or y may be unused by the activation (None): pass the other so shapes still check.
    x = contiguous(x if x is not None else y)
    y = contiguous(y if y is not None else x)
    grad = contiguous(np.asarray(grad), x.dtype)
    return _C.act_backward(name, x, y, grad, None, p0, p1)  # allocates the output


def softmax(x, axis, log=False):
    x = contiguous(x)
    out = _empty(x.shape, x.dtype)
    _C.softmax(x, out, axis, log)
    return out


def softmax_backward(y, grad, axis, log=False):
    y = contiguous(y)
    grad = contiguous(np.asarray(grad), y.dtype)
    out = _empty(y.shape, y.dtype)
    _C.softmax_backward(y, grad, out, axis, log)
    return out


def is_float_kernel_dtype(dtype):
    return dtype in _FLOATS

floor_divide, remainder = np.floor_divide, np.remainder


# ---- fused losses (csrc/loss): per-row / per-element loss, and d loss / d input when asked ----
def softmax_cross_entropy(x, target, weight, label_smoothing, ignore_index, want_grad,
                          grad_scale=1.0, mean_scale=False):
    """x (N, C); target int64 (N,) or probabilities (N, C). Returns (loss (N,), grad or None,
    denom, total): grad = grad_scale * d loss_i / d x_i (and / denom with mean_scale), denom the
    mean's divisor (non-ignored rows or their summed weights), total the sum of the losses."""
    x = np.ascontiguousarray(x)
    loss = _empty((x.shape[0],), x.dtype)
    grad = _empty(x.shape, x.dtype) if want_grad else None
    denom, total = _C.softmax_cross_entropy(x, np.ascontiguousarray(target), weight,
                                            label_smoothing, ignore_index, loss, grad, grad_scale,
                                            mean_scale)
    return loss, grad, denom, total


def binary_cross_entropy(x, target, weight, pos_weight, logits, want_grad):
    """Elementwise BCE on probabilities (logits=False) or logits. Returns (loss, grad or None)."""
    x = np.ascontiguousarray(x)
    loss = _empty(x.shape, x.dtype)
    grad = _empty(x.shape, x.dtype) if want_grad else None
    if logits:
        _C.binary_cross_entropy_with_logits(x, target, weight, pos_weight, loss, grad)
    else:
        _C.binary_cross_entropy(x, target, weight, loss, grad)
    return loss, grad


# ---- convolution and pooling (csrc/conv) ------------------------------------------------------
# The ops resolve output shapes and PyTorch's argument forms; these allocate the outputs and call
# the kernels, which check every shape again before touching memory. Inputs must be C-contiguous
# float32 / float64 arrays of one dtype (the ops make them so).
def _output(op, shape, dtype):
    """np.empty for an output whose shape came from user geometry (huge padding): a failure names
    the op and the shape instead of NumPy's bare 'array is too big'."""
    try:
        return _empty(shape, dtype)
    except (ValueError, MemoryError, OverflowError) as e:
        nbytes = int(np.dtype(dtype).itemsize)
        for s in shape:
            nbytes *= int(s)
        cls = MemoryError if isinstance(e, MemoryError) else ValueError
        raise cls(f"[{op}] cannot allocate the output {tuple(shape)} {np.dtype(dtype)} "
                  f"({float(nbytes):.3g} bytes; check padding / stride): {e}") from None


_INT64_LIMIT = 2 ** 63


def _int64_args(op, args):
    """The kernels take int64 geometry: a Python int beyond it is a clear error, not pybind11's
    'incompatible function arguments'."""
    if -_INT64_LIMIT <= min(args) and max(args) < _INT64_LIMIT:
        return  # the usual case, in two C-level passes (this runs on every convolution call)
    for a in args:
        if isinstance(a, (int, np.integer)) and not isinstance(a, bool) and \
                not -2 ** 63 <= int(a) < 2 ** 63:
            raise ValueError(f"[{op}] geometry values (kernel, stride, padding, dilation) must "
                             f"fit in int64, got {int(a)}")


def conv2d(x, w, b, out_shape, args):
    """args = (sh, sw, ph, pw, dh, dw, groups)."""
    _int64_args("conv2d", args)
    y = _output("conv2d", out_shape, x.dtype)
    _C.conv2d_forward(x, w, b, y, *args)
    return y


def conv_transpose2d(x, w, b, out_shape, args):
    """conv2d's input gradient for dy = x, plus b per channel (the conv's input shape, out_shape);
    args = (sh, sw, ph, pw, dh, dw, groups) of that conv."""
    _int64_args("conv_transpose2d", args)
    y = _output("conv_transpose2d", out_shape, x.dtype)
    _C.conv_transpose2d_forward(x, w, b, y, *args)
    return y


def conv2d_bias_grad(g):
    """Sum of g (N, C, H, W) over N, H and W: a conv bias's gradient."""
    gb = _empty((g.shape[1],), g.dtype)
    _C.conv2d_backward_bias(g, gb)
    return gb


def conv2d_backward(x, g, w, need_x, need_w, need_b, args):
    """(grad input, grad weight, grad bias), None where not needed, from one kernel call."""
    gx = _empty(x.shape, x.dtype) if need_x else None
    gw = _empty(w.shape, x.dtype) if need_w else None
    gb = _empty((w.shape[0],), x.dtype) if need_b else None
    _C.conv2d_backward(x, g, w, gx, gw, gb, *args)
    return gx, gw, gb


def max_pool2d(x, out_shape, with_indices, kernel, stride, padding, dilation, ceil_mode):
    """(y, argmax as int64 h * W + w per plane, or None when not asked for)."""
    _int64_args("max_pool2d", (*kernel, *stride, *padding, *dilation))
    y = _output("max_pool2d", out_shape, x.dtype)
    idx = _output("max_pool2d", out_shape, np.int64) if with_indices else None
    _C.max_pool2d_forward(x, y, idx, *kernel, *stride, *padding, *dilation, ceil_mode)
    return y, idx


def max_pool2d_backward(g, idx, x_shape, dtype):
    gx = _empty(x_shape, dtype)
    _C.max_pool2d_backward(np.ascontiguousarray(g, dtype=dtype), idx, gx)
    return gx


def avg_pool2d(x, out_shape, args):
    """args = (kh, kw, sh, sw, ph, pw, ceil_mode, count_include_pad, divisor or 0)."""
    _int64_args("avg_pool2d", args)
    y = _output("avg_pool2d", out_shape, x.dtype)
    _C.avg_pool2d_forward(x, y, *args)
    return y


def avg_pool2d_backward(g, x_shape, dtype, args):
    gx = _empty(x_shape, dtype)
    _C.avg_pool2d_backward(np.ascontiguousarray(g, dtype=dtype), gx, *args)
    return gx


def adaptive_avg_pool2d(x, output_size):
    y = _empty(x.shape[:2] + tuple(output_size), x.dtype)
    _C.adaptive_avg_pool2d_forward(x, y)
    return y


def adaptive_avg_pool2d_backward(g, x_shape, dtype):
    gx = _empty(x_shape, dtype)
    _C.adaptive_avg_pool2d_backward(np.ascontiguousarray(g, dtype=dtype), gx)
    return gx


# ---- recurrent layers (csrc/rnn): whole-sequence forward / backward --------------------------
# mode: 0 rnn_tanh, 1 rnn_relu, 2 lstm, 3 gru, 4 gru with the reset before the matmul (Keras
# reset_after=False). Arrays: x (T, B, I), weights (G*H, I) / (G*H, H), h0 / c0 (B, H), mask
# (T, B) of x's dtype or None. The kernel checks every shape before touching memory.
RNN_GATES = (1, 1, 4, 3, 3)


# Output and workspace arrays (out, gates, extra) of recent calls, reused once nothing else
# refers to them (no tensor or view of the output is alive, the autograd node that saved the
# workspace has run its backward or was dropped; under no_grad at once): a fresh 20-30 MB array
# per call is a fresh mmap whose page faults cost ~5 % of an LSTM(256) step at batch 128.
_RNN_POOL = []
_RNN_POOL_SIZE = 8


def _rnn_workspace(shape, dtype):
    for a in _RNN_POOL:
        # referents: the pool's list, the loop variable and getrefcount's argument. A large
        # array is a view of its aligned block (_empty), and NumPy makes views of it refer to
        # the block: then the block's only referents must be `a` and getrefcount's argument.
        if a.shape == shape and a.dtype == dtype and sys.getrefcount(a) <= 3 and (
                a.base is None or sys.getrefcount(a.base) <= 2):
            return a
    a = _empty(shape, dtype)
    _RNN_POOL.append(a)
    if len(_RNN_POOL) > _RNN_POOL_SIZE:
        del _RNN_POOL[0]
    return a


def rnn_forward(mode, reverse, x, w_ih, w_hh, b_ih, b_hh, h0, c0, mask, want_cn,
                keep_gates=True):
    """(out, workspace for rnn_backward): out is y (T, B, H), or with want_cn (T + 1, B, H)
    holding y then c_n. h_n is y at the last step processed. keep_gates=False (no backward
    follows): the gate activations stay in the kernel's per-step scratch, and the workspace
    cannot serve rnn_backward."""
    steps, batch = x.shape[:2]
    hid = w_hh.shape[-1] if w_hh.ndim == 2 else 0
    out = _rnn_workspace((steps + bool(want_cn), batch, hid), x.dtype)
    gates = _rnn_workspace((steps, batch, RNN_GATES[mode] * hid), x.dtype) if keep_gates \
        else None
    extra = _rnn_workspace((steps, batch, hid), x.dtype) if mode >= 2 else None
    _C.rnn_forward(mode, reverse, x, w_ih, w_hh, b_ih, b_hh, h0, c0, mask, out[:steps], None,
                   out[steps] if want_cn else None, gates, extra)
    return out, (gates, extra)


def rnn_backward(mode, reverse, x, w_ih, w_hh, b_ih, b_hh, h0, c0, mask, y, workspace, dy, dh_n,
                 dc_n, needs):
    """Gradients (dx, dw_ih, dw_hh, db_ih, db_hh, dh0, dc0), None where `needs` says no."""
    gates, extra = workspace
    shapes = (x.shape, w_ih.shape, w_hh.shape, w_hh.shape[:1], w_hh.shape[:1], h0.shape,
              h0.shape)
    outs = [_empty(s, x.dtype) if n else None for s, n in zip(shapes, needs)]
    _C.rnn_backward(mode, reverse, x, w_ih, w_hh, b_ih, b_hh, h0, c0, mask, y, gates, extra,
                    dy, dh_n, dc_n, *outs)
    return outs


def mlp_train(*args):
    """Fused whole-run training of a Dense-only MLP (csrc/fused; keras/fused.py builds args)."""
    return _C.mlp_train(*args)


# ---- channels-last convolution and pooling (csrc/conv/conv2d_nhwc.h) ---------------------------
# pads = (top, bottom, left, right); activation None or a name the kernel accepts (relu,
# leaky_relu, elu, sigmoid, tanh: those whose derivative follows from the output). Inputs are
# C-contiguous float arrays of one dtype (the ops make them so); the kernels check every shape.
def _nhwc_out(n, k, s, before, after, d=1):
    return max((n + before + after - d * (k - 1) - 1) // s + 1, 0)


def conv2d_nhwc(x, w, b, stride, pads, dilation, groups, activation=None, act_p0=0.0):
    """x (N, H, W, C), w (KH, KW, C / groups, OC) -> activation(conv + b) (N, OH, OW, OC)."""
    _int64_args("conv2d_nhwc", (*stride, *pads, *dilation, groups))
    oh = _nhwc_out(x.shape[1], w.shape[0], stride[0], pads[0], pads[1], dilation[0])
    ow = _nhwc_out(x.shape[2], w.shape[1], stride[1], pads[2], pads[3], dilation[1])
    y = _output("conv2d_nhwc", (x.shape[0], oh, ow, w.shape[3]), x.dtype)
    _C.conv2d_nhwc_forward(x, w, b, y, *stride, *pads, *dilation, groups, activation, act_p0)
    return y


def conv2d_nhwc_backward(x, g, w, need_x, need_w, need_b, stride, pads, dilation, groups,
                         y=None, activation=None, act_p0=0.0):
    """(grad input, grad weight, grad bias), None where not needed; with an activation, g is
    the gradient of its output y."""
    gx = _empty(x.shape, x.dtype) if need_x else None
    gw = _empty(w.shape, x.dtype) if need_w else None
    gb = _empty((w.shape[3],), x.dtype) if need_b else None
    _C.conv2d_nhwc_backward(x, g, w, y, gx, gw, gb, *stride, *pads, *dilation, groups,
                            activation, act_p0)
    return gx, gw, gb


def max_pool2d_nhwc(x, kernel, stride, pads):
    """y (N, OH, OW, C): max over each window."""
    _int64_args("max_pool2d_nhwc", (*kernel, *stride, *pads))
    shape = (x.shape[0], _nhwc_out(x.shape[1], kernel[0], stride[0], *pads[:2]),
             _nhwc_out(x.shape[2], kernel[1], stride[1], *pads[2:]), x.shape[3])
    y = _output("max_pool2d_nhwc", shape, x.dtype)
    _C.max_pool2d_nhwc_forward(x, y, *kernel, *stride, *pads)
    return y


def max_pool2d_nhwc_indexed(x, pads):
    """(y, index) for 2x2 windows at stride 2 (max_pool2d_nhwc_indexable): index (uint8, y's
    shape) says which pixel of each window won, for max_pool2d_nhwc_backward_index."""
    shape = (x.shape[0], _nhwc_out(x.shape[1], 2, 2, *pads[:2]),
             _nhwc_out(x.shape[2], 2, 2, *pads[2:]), x.shape[3])
    y = _output("max_pool2d_nhwc", shape, x.dtype)
    index = _empty(shape, np.uint8)
    _C.max_pool2d_nhwc_forward(x, y, 2, 2, 2, 2, *pads, index)
    return y, index


def max_pool2d_nhwc_backward_index(index, g, x_shape, dtype, pads):
    gx = _empty(x_shape, dtype)
    _C.max_pool2d_nhwc_backward_index(index, np.ascontiguousarray(g, dtype=dtype), gx, 2, 2, 2,
                                      2, *pads)
    return gx


def max_pool2d_nhwc_backward(x, g, kernel, stride, pads):
    """dy scattered to each window's argmax, found again from x by the kernel."""
    gx = _empty(x.shape, x.dtype)
    _C.max_pool2d_nhwc_backward(x, np.ascontiguousarray(g, dtype=x.dtype), gx, *kernel, *stride,
                                *pads)
    return gx


def avg_pool2d_nhwc(x, kernel, stride, pads, count_include_pad):
    _int64_args("avg_pool2d_nhwc", (*kernel, *stride, *pads))
    shape = (x.shape[0], _nhwc_out(x.shape[1], kernel[0], stride[0], *pads[:2]),
             _nhwc_out(x.shape[2], kernel[1], stride[1], *pads[2:]), x.shape[3])
    y = _output("avg_pool2d_nhwc", shape, x.dtype)
    _C.avg_pool2d_nhwc_forward(x, y, *kernel, *stride, *pads, count_include_pad)
    return y


def avg_pool2d_nhwc_backward(g, x_shape, dtype, kernel, stride, pads, count_include_pad):
    gx = _empty(x_shape, dtype)
    _C.avg_pool2d_nhwc_backward(np.ascontiguousarray(g, dtype=dtype), gx, *kernel, *stride,
                                *pads, count_include_pad)
    return gx


# ---- image resampling (csrc/image) -------------------------------------------------------------
# Buffers are (planes, H, W, C): NHWC images as they are, NCHW tensors reshaped to (N * C, H, W, 1)
# (a free view). The ops resolve sizes, scales and modes.
def resize(x, out_hw, scales, mode):
    y = _empty((x.shape[0], *out_hw, x.shape[3]), x.dtype)
    _C.resize_forward(x, y, scales[0], scales[1], mode)
    return y


def resize_backward(g, x_shape, scales, mode):
    gx = _empty(x_shape, g.dtype)
    _C.resize_backward(np.ascontiguousarray(g), gx, scales[0], scales[1], mode)
    return gx


def affine_warp(x, transforms, out_hw, bilinear, fill_mode, fill_value):
    y = _empty((x.shape[0], *out_hw, x.shape[3]), x.dtype)
    _C.affine_warp_forward(x, np.ascontiguousarray(transforms, np.float32), y, bilinear,
                           fill_mode, fill_value)
    return y


def affine_warp_backward(g, transforms, x_shape, bilinear, fill_mode, fill_value):
    gx = _empty(x_shape, g.dtype)
    _C.affine_warp_backward(np.ascontiguousarray(g), np.ascontiguousarray(transforms, np.float32),
                            gx, bilinear, fill_mode, fill_value)
    return gx
# ---- restricted Boltzmann machines (csrc/rbm) --------------------------------------------------
# Arrays must be C-contiguous of one float dtype (pyengine.models makes them so); the kernels
# check every shape again. Random numbers: Philox(seed, stream), the same for any thread count.
def rbm_layer(x, w, w_rows_are_outputs, bias, unit, seed=0, stream=0, want_sample=False):
    """(mean, sample or None) of unit(x @ W' + bias), W' = w.T when w_rows_are_outputs."""
    n_out = w.shape[0] if w_rows_are_outputs else w.shape[1]
    mean = _empty((x.shape[0], n_out), x.dtype)
    sample = _empty(mean.shape, mean.dtype) if want_sample else None
    _C.rbm_layer(x, w, w_rows_are_outputs, bias, mean, sample, unit, seed, stream)
    return mean, sample


def rbm_cd_step(v, w, b_h, b_v, vel_w, vel_h, vel_v, chain, k, visible, learning_rate, momentum,
                weight_decay, sparsity_target, sparsity_cost, seed, stream):
    """One CD-k / PCD update in place; returns the batch's summed squared reconstruction error."""
    return _C.rbm_cd_step(v, w, b_h, b_v, vel_w, vel_h, vel_v, chain, k, visible, learning_rate,
                          momentum, weight_decay, sparsity_target, sparsity_cost, seed, stream)


def rbm_cd_epoch(x, bounds, w, b_h, b_v, vel_w, vel_h, vel_v, chain, k, visible, learning_rate,
                 momentum, weight_decay, sparsity_target, sparsity_cost, seed, stream):
    """rbm_cd_step on x[bounds[b]:bounds[b + 1]] for each b, in one call (batch b on streams
    stream + b * (2k + 2) onwards); returns the summed reconstruction errors."""
    return _C.rbm_cd_epoch(x, np.ascontiguousarray(bounds, np.int64), w, b_h, b_v, vel_w, vel_h,
                           vel_v, chain, k, visible, learning_rate, momentum, weight_decay,
                           sparsity_target, sparsity_cost, seed, stream)


def rbm_uniform(n, dtype, seed, stream):
    out = _empty((n,), dtype)
    _C.rbm_uniform(out, seed, stream)
    return out


# ---- dropout (csrc/dropout): counter-based mask, regenerated from the seed in the backward ----
def dropout(x, seed, threshold, scale):
    """x * (bits(seed, i) >= threshold ? scale : 0) per element i of C-ordered x (float32 or
    float64), bits = the high half of splitmix64(seed, i): the same mask for any thread count
    and ISA, so the backward is the same call on the gradient."""
    x = np.ascontiguousarray(x)
    out = _empty(x.shape, x.dtype)
    _C.dropout_apply(x, out, seed, threshold, scale)
    return out


# ---- fused optimizer updates (csrc/optim): one call updates a whole parameter group in place ---
sgd_step, adam_step, adagrad_step, rmsprop_step = (
    _C.sgd_step, _C.adam_step, _C.adagrad_step, _C.rmsprop_step)
adadelta_step, adamax_step, nadam_step = _C.adadelta_step, _C.adamax_step, _C.nadam_step
# The optimizers' steady state (see optim/optimizer.py): True when done, False for the *_step path.
sgd_foreach, adam_foreach, rmsprop_foreach, adagrad_foreach = (
    _C.sgd_foreach, _C.adam_foreach, _C.rmsprop_foreach, _C.adagrad_foreach)
adadelta_foreach, adamax_foreach = _C.adadelta_foreach, _C.adamax_foreach
clip_grad_norm = _C.clip_grad_norm  # sum of squares over a list of gradients, scaled in place
