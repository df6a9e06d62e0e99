"""TensorFlow's bicubic resize (tf.image.resize(method='bicubic'), keras.layers.Resizing(
interpolation='bicubic')) on (P, H, W, C) planes: Keys' cubic kernel with a = -0.5 at
half-pixel centres, the fractional offset quantised to 1/1024 as TensorFlow's coefficient table
does, taps outside the image dropped and the remaining weights renormalised to sum to 1 (no
antialiasing). Each axis is a small (out, in) weight matrix applied with matmul, so the
gradient is the transposed matrices' product."""
import numpy as np

_A = -0.5
_TABLE = 1024


def _near(x):  # |x| <= 1
    return ((_A + 2) * x - (_A + 3)) * x * x + 1


def _far(x):  # 1 < |x| < 2
    return ((_A * x - 5 * _A) * x + 8 * _A) * x - 4 * _A


def cubic_weights(n_in, n_out):
    """(n_out, n_in) matrix of TensorFlow's bicubic taps along one axis."""
    scale = n_in / n_out
    w = np.zeros((n_out, n_in), np.float64)
    for o in range(n_out):
        loc = (o + 0.5) * scale - 0.5
        i = int(np.floor(loc))
        d = np.rint((loc - i) * _TABLE) / _TABLE
        taps = ((i - 1, _far(1 + d)), (i, _near(d)), (i + 1, _near(1 - d)), (i + 2, _far(2 - d)))
        inside = [(k, v) for k, v in taps if 0 <= k < n_in]
        total = sum(v for _, v in inside)
        for k, v in inside:
            w[o, k] += v / total
    return w


def resize_bicubic(x, size):
    """(P, H, W, C) float planes -> (P, OH, OW, C), TensorFlow's bicubic resize."""
    from ..tensor import Tensor
    p, h, w, c = x.shape
    oh, ow = size
    dt = x._data.dtype
    wh = Tensor._wrap(cubic_weights(h, oh).astype(dt))
    ww = Tensor._wrap(cubic_weights(w, ow).T.astype(dt))
    y = (wh @ x.reshape(p, h, w * c)).reshape(p, oh, w, c)  # rows
    y = y.permute(0, 1, 3, 2) @ ww                            # columns: (p, oh, c, ow)
    return y.permute(0, 1, 3, 2)
