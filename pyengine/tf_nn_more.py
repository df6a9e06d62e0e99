"""tf.nn's pooling, transposed and depthwise convolutions, batch_normalization,
weighted_cross_entropy_with_logits and tf.linalg.matmul for `import pyengine as tf`. NHWC
images, TensorFlow's 'SAME' padding (the odd pixel after) and its argument forms (strides as an
int, a pair or [1, s, s, 1]); each is composed of pyengine's differentiable ops (the NHWC
pooling kernels, F.conv2d / F.conv_transpose2d), so gradients flow."""
import numpy as np

from .nn import functional as F
from .ops.conv_nhwc import same_pads
from .tf_names import _conv_arg, _t, symbolic_aware


def _nhwc(op, data_format):
    if data_format not in (None, "NHWC"):
        raise ValueError(f"[{op}] only data_format='NHWC' is supported, got {data_format!r}")


def _padding(op, padding):
    p = str(padding).upper()
    if p not in ("SAME", "VALID"):
        raise ValueError(f"[{op}] padding must be 'SAME' or 'VALID', got {padding!r}")
    return p


def _pool(op, fn, input, ksize, strides, padding, data_format):
    _nhwc(op, data_format)
    x = _t(input)
    if x.ndim != 4:
        raise ValueError(f"[{op}] input must be 4-D (batch, height, width, channels), got shape "
                         f"{tuple(x.shape)}")
    k = _conv_arg(ksize, "ksize")
    s = _conv_arg(strides, "strides")
    return fn(x, k, s, _padding(op, padding).lower())


@symbolic_aware
def max_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):
    """tf.nn.max_pool2d: the max over ksize windows of NHWC input; 'SAME' pads with -inf."""
    return _pool("tf.nn.max_pool2d", F.max_pool2d_nhwc, input, ksize, strides, padding,
                 data_format)


@symbolic_aware
def avg_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):
    """tf.nn.avg_pool2d: the mean over ksize windows of NHWC input; with 'SAME' each mean is
    over the window's pixels inside the image (padding not counted), as TensorFlow."""
    return _pool("tf.nn.avg_pool2d", F.avg_pool2d_nhwc, input, ksize, strides, padding,
                 data_format)


def _pool1d_arg(op, v, what):
    # an int, [k] or the 3 of NWC ([1, k, 1])
    v = [int(v)] if isinstance(v, (int, np.integer)) else [int(i) for i in v]
    if len(v) == 3 and v[0] == 1 and v[2] == 1:
        v = v[1:2]
    if len(v) != 1:
        raise ValueError(f"[{op}] {what} of a 1-D pooling must be an int, [k] or [1, k, 1]. "
                         f"Received: {v}")
    return v[0]


def _pool1d(op, fn, input, ksize, strides, padding, data_format):
    if data_format not in (None, "NWC"):
        raise ValueError(f"[{op}] only data_format='NWC' is supported, got {data_format!r}")
    x = _t(input)
    if x.ndim != 3:
        raise ValueError(f"[{op}] input must be 3-D (batch, width, channels), got shape "
                         f"{tuple(x.shape)}")
    k, s = _pool1d_arg(op, ksize, "ksize"), _pool1d_arg(op, strides, "strides")
    # the 2-D NHWC pooling over a height of 1
    return fn(x.unsqueeze(1), (1, k), (1, s), _padding(op, padding).lower()).squeeze(1)


@symbolic_aware
def max_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):
    """tf.nn.max_pool1d: the max over ksize windows of (batch, width, channels) input."""
    return _pool1d("tf.nn.max_pool1d", F.max_pool2d_nhwc, input, ksize, strides, padding,
                   data_format)


@symbolic_aware
def avg_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):
    """tf.nn.avg_pool1d: the mean over ksize windows of (batch, width, channels) input ('SAME'
    counts only the pixels inside, as TensorFlow)."""
    return _pool1d("tf.nn.avg_pool1d", F.avg_pool2d_nhwc, input, ksize, strides, padding,
                   data_format)


def _pool_nd(op, one, two, input, ksize, strides, padding, data_format):
    rank = _t(input).ndim
    if rank == 3:
        return one(input, ksize, strides, padding, data_format or "NWC")
    if rank == 4:
        return two(input, ksize, strides, padding, data_format or "NHWC")
    raise NotImplementedError(f"[{op}] 3-D (NWC) and 4-D (NHWC) inputs are supported; got a "
                              f"{rank}-D input")


def max_pool(input, ksize, strides, padding, data_format=None, name=None):
    """tf.nn.max_pool: max_pool1d or max_pool2d by the input's rank (3-D NWC, 4-D NHWC)."""
    return _pool_nd("tf.nn.max_pool", max_pool1d, max_pool2d, input, ksize, strides, padding,
                    data_format)


def avg_pool(input, ksize, strides, padding, data_format=None, name=None):
    """tf.nn.avg_pool: avg_pool1d or avg_pool2d by the input's rank (3-D NWC, 4-D NHWC)."""
    return _pool_nd("tf.nn.avg_pool", avg_pool1d, avg_pool2d, input, ksize, strides, padding,
                    data_format)


def _activation(fn, tf_name, formula):
    def op(features, name=None):
        return fn(_t(features))
    op.__name__ = op.__qualname__ = tf_name
    op.__doc__ = f"tf.nn.{tf_name}(features, name=None): {formula}, elementwise."
    return symbolic_aware(op)


relu6 = _activation(F.relu6, "relu6", "min(max(x, 0), 6)")
selu = _activation(F.selu, "selu", "scale * (x if x > 0 else alpha * (exp(x) - 1))")
softsign = _activation(F.softsign, "softsign", "x / (1 + |x|)")


def _crop_or_extend(y, axis, start, size):
    # take [start, start + size) along axis, zero-extending past the end
    n = y.shape[axis]
    lead = (slice(None),) * axis
    y = y[lead + (slice(start, min(start + size, n)),)]
    short = size - y.shape[axis]
    if short > 0:
        widths = [0, 0] * (y.ndim - 1 - axis) + [0, short]
        y = F.pad(y, tuple(widths))
    return y


@symbolic_aware
def conv2d_transpose(input, filters, output_shape, strides, padding="SAME", data_format="NHWC",
                     dilations=None, name=None):
    """tf.nn.conv2d_transpose: the gradient of tf.nn.conv2d with respect to its input: input
    (N, H, W, C_in), filters (KH, KW, C_out, C_in), output_shape (N, OH, OW, C_out), which
    conv2d(output, filters, strides, padding) must map back to H, W."""
    op = "tf.nn.conv2d_transpose"
    _nhwc(op, data_format)
    if dilations is not None and _conv_arg(dilations, "dilations") != (1, 1):
        raise NotImplementedError(f"[{op}] dilations other than 1 are not implemented")
    x, w = _t(input), _t(filters)
    if x.ndim != 4 or w.ndim != 4 or w.shape[3] != x.shape[3]:
        raise ValueError(f"[{op}] input (N, H, W, C_in) and filters (KH, KW, C_out, C_in) "
                         f"do not match: {tuple(x.shape)} and {tuple(w.shape)}")
    out = tuple(int(v) for v in np.asarray(getattr(output_shape, "_data",
                                                   output_shape)).reshape(-1))
    if len(out) != 4 or out[0] != x.shape[0] or out[3] != w.shape[2]:
        raise ValueError(f"[{op}] output_shape must be (N={x.shape[0]}, OH, OW, "
                         f"C_out={w.shape[2]}), got {out}")
    s, pad = _conv_arg(strides, "strides"), _padding(op, padding)
    y = F.conv_transpose2d(x.permute(0, 3, 1, 2), w.permute(3, 2, 0, 1), stride=s)
    for ax, (n_in, n_out, k, st) in enumerate(zip(x.shape[1:3], out[1:3], w.shape[:2], s)):
        back = -(-n_out // st) if pad == "SAME" else max(-(-(n_out - k + 1) // st), 0)
        if back != n_in:
            raise ValueError(f"[{op}] output_shape {out} does not map back to the input's "
                             f"{tuple(x.shape)} under conv2d with strides {s}, {pad}")
        before = same_pads(n_out, k, st)[0] if pad == "SAME" else 0
        y = _crop_or_extend(y, 2 + ax, before, n_out)
    return y.permute(0, 2, 3, 1)


@symbolic_aware
def depthwise_conv2d(input, filter, strides, padding, data_format=None, dilations=None,
                     name=None):
    """tf.nn.depthwise_conv2d: each input channel c convolved with its own filters
    filter[:, :, c, m] (KH, KW, C_in, multiplier), output channel c * multiplier + m; strides
    [1, s, s, 1], padding 'SAME' / 'VALID'."""
    op = "tf.nn.depthwise_conv2d"
    _nhwc(op, data_format)
    x, w = _t(input), _t(filter)
    if x.ndim != 4 or w.ndim != 4 or w.shape[2] != x.shape[3]:
        raise ValueError(f"[{op}] input (N, H, W, C) and filter (KH, KW, C, multiplier) do "
                         f"not match: {tuple(x.shape)} and {tuple(w.shape)}")
    s = _conv_arg(strides, "strides")
    d = (1, 1) if dilations is None else _conv_arg(dilations, "dilations")
    kh, kw, c, m = w.shape
    weight = w.reshape(kh, kw, c * m).permute(2, 0, 1).unsqueeze(1)  # (C * M, 1, KH, KW)
    xc = x.permute(0, 3, 1, 2)
    if _padding(op, padding) == "SAME":
        (t, b), (lf, r) = (same_pads(x.shape[1], kh, s[0], d[0]),
                           same_pads(x.shape[2], kw, s[1], d[1]))
        xc = F.pad(xc, (lf, r, t, b))
    return F.conv2d(xc, weight, stride=s, dilation=d, groups=c).permute(0, 2, 3, 1)


@symbolic_aware
def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    """tf.nn.batch_normalization: (x - mean) / sqrt(variance + variance_epsilon) * scale +
    offset, all broadcasting; offset / scale None leave out their term."""
    y = (_t(x) - mean) * ((_t(variance) + variance_epsilon).sqrt() ** -1.0)
    y = y * scale if scale is not None else y
    return y + offset if offset is not None else y


@symbolic_aware
def weighted_cross_entropy_with_logits(labels, logits, pos_weight, name=None):
    """tf.nn.weighted_cross_entropy_with_logits: pos_weight * z * -log(sigmoid(x)) +
    (1 - z) * -log(1 - sigmoid(x)), in TensorFlow's stable form
    (1 - z) x + (1 + (q - 1) z) (log(1 + exp(-|x|)) + max(-x, 0))."""
    x, z = _t(logits), _t(labels)
    if tuple(x.shape) != tuple(z.shape):
        raise ValueError(f"[tf.nn.weighted_cross_entropy_with_logits] logits {tuple(x.shape)} "
                         f"and labels {tuple(z.shape)} must have the same shape")
    log_weight = (z * (_t(pos_weight) - 1.0)) + 1.0
    return (1.0 - z) * x + log_weight * (F.softplus(-x.abs()) + F.relu(-x))


_INT8 = (np.dtype(np.int8), np.dtype(np.uint8))


def linalg_matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
                  a_is_sparse=False, b_is_sparse=False, output_type=None, grad_a=False,
                  grad_b=False, name=None):
    """tf.linalg.matmul (also torch.linalg.matmul(a, b)): a @ b over the last two axes with
    batch broadcasting; transpose_* / adjoint_* (the same for real tensors; not both for one
    operand) transpose an operand first. output_type int32 with (u)int8 inputs multiplies in
    int32. *_is_sparse and grad_* only hint TensorFlow's kernel choice."""
    op = "tf.linalg.matmul"
    if (transpose_a and adjoint_a) or (transpose_b and adjoint_b):
        raise ValueError(f"[{op}] only one of transpose and adjoint may be True per operand")
    x, y = _t(a), _t(b)
    if x.ndim < 2 or y.ndim < 2:
        raise ValueError(f"[{op}] a and b must be at least 2-D, got {tuple(x.shape)} and "
                         f"{tuple(y.shape)}")
    if x._data.dtype.kind == "c" or y._data.dtype.kind == "c":
        raise TypeError(f"[{op}] complex tensors are not supported")
    if output_type is not None:
        from . import dtypes
        want = dtypes.as_dtype(output_type)
        if want.np == np.int32 and x._data.dtype in _INT8 and y._data.dtype in _INT8:
            x, y = x.astype(want), y.astype(want)
        elif want.np != x._data.dtype:
            raise ValueError(f"[{op}] output_type={output_type!r} needs (u)int8 inputs and "
                             f"int32 output (or the inputs' own dtype)")
    x = x.transpose(-1, -2) if transpose_a or adjoint_a else x
    y = y.transpose(-1, -2) if transpose_b or adjoint_b else y
    if x.shape[-1] != y.shape[-2]:
        raise ValueError(f"[{op}] inner dimensions differ: {tuple(x.shape)} @ {tuple(y.shape)}")
    return x @ y


def _block(op, input, block_size, data_format):
    _nhwc(op, data_format)
    x = _t(input)
    if x.ndim != 4:
        raise ValueError(f"[{op}] input must be 4-D (batch, height, width, channels), got shape "
                         f"{tuple(x.shape)}")
    if isinstance(block_size, bool) or not isinstance(block_size, (int, np.integer)) \
            or block_size < 2:
        raise ValueError(f"[{op}] block_size must be an int >= 2, got {block_size!r}")
    return x, int(block_size)


@symbolic_aware
def depth_to_space(input, block_size, data_format="NHWC", name=None):
    """(B, H, W, bs * bs * C) -> (B, H * bs, W * bs, C): out[b, h * bs + i, w * bs + j, c] =
    in[b, h, w, (i * bs + j) * C + c] (TensorFlow's order; the sub-pixel upsampling of keras-io
    EDSR / ESPCN)."""
    op = "tf.nn.depth_to_space"
    x, bs = _block(op, input, block_size, data_format)
    b, h, w, c = x.shape
    if c % (bs * bs):
        raise ValueError(f"[{op}] channels ({c}) must be divisible by block_size**2 ({bs * bs})")
    y = x.reshape(b, h, w, bs, bs, c // (bs * bs)).permute(0, 1, 3, 2, 4, 5)
    return y.reshape(b, h * bs, w * bs, c // (bs * bs))


@symbolic_aware
def space_to_depth(input, block_size, data_format="NHWC", name=None):
    """The inverse of depth_to_space: (B, H, W, C) -> (B, H / bs, W / bs, bs * bs * C)."""
    op = "tf.nn.space_to_depth"
    x, bs = _block(op, input, block_size, data_format)
    b, h, w, c = x.shape
    if h % bs or w % bs:
        raise ValueError(f"[{op}] height and width ({h}, {w}) must be divisible by block_size "
                         f"({bs})")
    y = x.reshape(b, h // bs, bs, w // bs, bs, c).permute(0, 1, 3, 2, 4, 5)
    return y.reshape(b, h // bs, w // bs, bs * bs * c)
@symbolic_aware
def matrix_transpose(a, name="matrix_transpose", conjugate=False):
    """tf.linalg.matrix_transpose (tf.linalg.adjoint with conjugate=True): swaps the last two
    axes, out[..., i, j] = a[..., j, i]; batch axes are kept. conjugate is the identity on the
    real tensors pyengine holds."""
    x = _t(a)
    if x.ndim < 2:
        raise ValueError(f"[tf.linalg.matrix_transpose] a must be at least 2-D, got shape "
                         f"{tuple(x.shape)}")
    return x.transpose(-1, -2)


@symbolic_aware
def adjoint(matrix, name=None):
    """tf.linalg.adjoint: the conjugate transpose of the last two axes (a transpose for real
    tensors)."""
    return matrix_transpose(matrix, conjugate=True)


@symbolic_aware
def tf_einsum(equation, *inputs, name=None, optimize="greedy"):
    """pe.einsum / tf.einsum / tf.linalg.einsum: F.einsum on Tensors, NumPy arrays or Keras
    symbolic tensors (a functional-graph node, as TensorFlow records tf ops on KerasTensors).
    optimize (TensorFlow's contraction-order strategy) changes no value here: one or two
    operands have a single order."""
    if optimize not in ("greedy", "optimal", "branch-2", "branch-all", "auto"):
        raise ValueError(f"[einsum] optimize must be 'greedy', 'optimal', 'branch-2', "
                         f"'branch-all' or 'auto', got {optimize!r}")
    if len(inputs) == 1 and isinstance(inputs[0], (list, tuple)):
        inputs = tuple(inputs[0])
    return F.einsum(equation, *[_t(x) for x in inputs])

