"""keras.backend's batched products and 1-D convolutions for Keras 2 programs
(`K.batch_dot`, `K.conv1d`, `K.local_conv1d`), e.g. the capsule layers of
keras-team/keras examples/cifar10_cnn_capsule.py. Each is a keras.ops-style op: on eager
tensors it computes (differentiably, through pe.nn.functional), on KerasTensors it records a
graph node."""
from ..nn import functional as F
from .symbolic import graph_op


def _t(x):
    from .ops import _t as to_tensor
    return to_tensor(x)


@graph_op
def batch_dot(x, y, axes=None):
    """TF-Keras 2's K.batch_dot (Keras >= 2.3, tf.keras): for each sample, the sum of
    x * y over x's axis axes[0] and y's axis axes[1] (an int means the same axis of both).
    The result is (batch,) + x's other axes + y's other axes, in order; when both inputs are
    2-D the result is (batch, 1). Default axes: (x.ndim - 1, y.ndim - 1) for a 2-D y, else
    (x.ndim - 1, y.ndim - 2). Axis 0 (the batch) cannot be reduced.

    Keras <= 2.2.4 treated inputs of different ranks otherwise (a matmul batched over the
    leading axes); programs written for it, such as the capsule examples' routing
    `K.batch_dot(c, u_hat, [2, 2])`, fail here as they fail in Keras 2.3 and tf.keras."""
    x, y = _t(x), _t(y)
    xs, ys = tuple(x.shape), tuple(y.shape)
    xn, yn = len(xs), len(ys)
    if xn < 2 or yn < 2:
        raise ValueError(f"[batch_dot] cannot do batch_dot on inputs with rank < 2. Received "
                         f"inputs with shapes {xs} and {ys}")
    if xs[0] != ys[0]:
        raise ValueError(f"[batch_dot] cannot do batch_dot on inputs with different batch "
                         f"sizes. Received inputs with shapes {xs} and {ys}")
    if axes is None:
        axes = (xn - 1, yn - 1) if yn == 2 else (xn - 1, yn - 2)
    elif isinstance(axes, int) and not isinstance(axes, bool):
        axes = (axes, axes)
    elif not (isinstance(axes, (list, tuple)) and len(axes) == 2
              and all(isinstance(a, int) and not isinstance(a, bool) for a in axes)):
        raise ValueError(f"[batch_dot] axes must be None, an int or a pair of ints (one axis "
                         f"of each input). Received: axes={axes!r}")
    a0, a1 = axes
    a0 = a0 + xn if a0 < 0 else a0
    a1 = a1 + yn if a1 < 0 else a1
    if not (0 <= a0 < xn and 0 <= a1 < yn):
        raise ValueError(f"[batch_dot] axes {tuple(axes)} out of range for inputs with shapes "
                         f"{xs} and {ys}")
    if a0 == 0 or a1 == 0:
        raise ValueError(f"[batch_dot] cannot perform batch_dot over axis 0 (the batch). "
                         f"Received axes={tuple(axes)} for inputs with shapes {xs} and {ys}")
    if xs[a0] != ys[a1]:
        raise ValueError(f"[batch_dot] cannot do batch_dot on inputs with shapes {xs} and "
                         f"{ys} with axes={list(axes)}: x.shape[{a0}] != y.shape[{a1}] "
                         f"({xs[a0]} != {ys[a1]})")
    # x: (b, x's other axes..., k) flattened to (b, m, k); y: (b, k, y's other axes...) to (b, k, n)
    x_rest = [i for i in range(1, xn) if i != a0]
    y_rest = [i for i in range(1, yn) if i != a1]
    xm = x.permute(0, *x_rest, a0).reshape(xs[0], -1, xs[a0])
    ym = y.permute(0, a1, *y_rest).reshape(ys[0], ys[a1], -1)
    out = F.matmul(xm, ym)
    shape = (xs[0],) + tuple(xs[i] for i in x_rest) + tuple(ys[i] for i in y_rest)
    if xn == 2 and yn == 2:
        shape = (xs[0], 1)
    return out.reshape(*shape)


def _conv_args(op, strides, padding, data_format, dilation_rate):
    if data_format not in (None, "channels_last"):
        raise NotImplementedError(f"[{op}] only data_format='channels_last' is supported. "
                                  f"Received: data_format={data_format!r}")
    if padding not in ("valid", "same", "causal"):
        raise ValueError(f"[{op}] padding must be 'valid', 'same' or 'causal'. Received: "
                         f"padding={padding!r}")


@graph_op
def conv1d(x, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """Keras 2's K.conv1d: x (batch, steps, channels), kernel (kernel_size, channels, filters)
    -> (batch, new_steps, filters); padding 'valid', 'same' or 'causal' (zeros on the left
    only, so output step t sees input steps <= t)."""
    _conv_args("conv1d", strides, padding, data_format, dilation_rate)
    from .ops_numpy_more import conv
    x, kernel = _t(x), _t(kernel)
    if x.ndim != 3 or kernel.ndim != 3:
        raise ValueError(f"[conv1d] x must be 3-D (batch, steps, channels) and the kernel 3-D "
                         f"(kernel_size, channels, filters). Received shapes {tuple(x.shape)} "
                         f"and {tuple(kernel.shape)}")
    if x.shape[-1] != kernel.shape[1]:
        raise ValueError(f"[conv1d] x has {x.shape[-1]} channels, the kernel expects "
                         f"{kernel.shape[1]}")
    if padding == "causal":
        d = dilation_rate if isinstance(dilation_rate, int) else int(dilation_rate[0])
        left = d * (kernel.shape[0] - 1)
        x = F.pad(x, (0, 0, left, 0))
        padding = "valid"
    return conv(x, kernel, strides=strides, padding=padding, dilation_rate=dilation_rate)


def _one(op, v, what):
    v = tuple(v) if isinstance(v, (list, tuple)) else (v,)
    if len(v) != 1 or not isinstance(v[0], int) or isinstance(v[0], bool) or v[0] < 1:
        raise ValueError(f"[{op}] {what} must be one positive int (or a 1-tuple). "
                         f"Received: {what}={v!r}")
    return v[0]


@graph_op
def local_conv1d(inputs, kernel, kernel_size, strides, data_format=None):
    """Keras 2's K.local_conv1d (unshared weights): inputs (batch, steps, channels), kernel
    (output_length, kernel_size * channels, filters) -> (batch, output_length, filters),
    where output i is the window inputs[:, i*stride : i*stride + kernel_size, :] flattened
    (steps-major) times kernel[i]."""
    if data_format not in (None, "channels_last"):
        raise NotImplementedError(f"[local_conv1d] only data_format='channels_last' is "
                                  f"supported. Received: data_format={data_format!r}")
    k = _one("local_conv1d", kernel_size, "kernel_size")
    s = _one("local_conv1d", strides, "strides")
    x, w = _t(inputs), _t(kernel)
    if x.ndim != 3 or w.ndim != 3:
        raise ValueError(f"[local_conv1d] inputs must be 3-D (batch, steps, channels) and "
                         f"the kernel 3-D (output_length, kernel_size * channels, filters). "
                         f"Received shapes {tuple(x.shape)} and {tuple(w.shape)}")
    b, steps, c = x.shape
    out_len = (steps - k) // s + 1
    if w.shape[0] != out_len or w.shape[1] != k * c:
        raise ValueError(f"[local_conv1d] inputs of shape {tuple(x.shape)} with kernel_size "
                         f"{k} and stride {s} need a kernel of shape ({out_len}, {k * c}, "
                         f"filters). Received: {tuple(w.shape)}")
    windows = x.unfold(1, k, s)                       # (b, out_len, c, k)
    windows = windows.permute(0, 1, 3, 2).reshape(b, out_len, k * c)
    return F.einsum("blk,lkf->blf", windows, w)
