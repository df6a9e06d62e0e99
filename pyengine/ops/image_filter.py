"""Separable resampling by weight matrices: the antialiased bilinear resize of Pillow,
torchvision (antialias=True) and TensorFlow (tf.image.resize(..., antialias=True), its
scale_and_translate 'triangle' kernel), which agree.

Output pixel i of an axis of n_in -> n_out samples at c = (i + 0.5) * n_in / n_out; its weight on
input pixel j is tri((j + 0.5 - c) / s), tri(t) = max(0, 1 - |t|), with s = n_in / n_out when
shrinking (the filter widens so every source pixel counts: no aliasing) and s = 1 otherwise
(plain half-pixel bilinear). Weights that fall outside the image are dropped and the rest
renormalised. TensorFlow's 'area' resize (tf.image.resize(method=AREA)) averages the input over
each output pixel's footprint [i * s, (i + 1) * s), s = n_in / n_out, partly covered pixels
weighted by their covered fraction. The resize is two weight matrices applied along H and W
(einsum), so the gradient is their transpose, through autograd.

    >>> y = resize_antialiased(pe.rand(2, 32, 32, 3), (8, 8))   # (2, 8, 8, 3)
"""
import math

import numpy as np

from ..tensor import Tensor
from .attention_einsum import einsum


def triangle_weights(n_in, n_out, antialias=True):
    """(n_out, n_in) float64 matrix: row i is output pixel i's weights over the input pixels."""
    scale = n_in / n_out
    support = scale if (antialias and scale > 1.0) else 1.0
    w = np.zeros((n_out, n_in))
    for i in range(n_out):
        center = (i + 0.5) * scale
        lo = max(int(math.floor(center - support + 0.5)), 0)
        hi = min(int(math.floor(center + support + 0.5)), n_in)
        j = np.arange(lo, hi)
        tri = np.clip(1.0 - np.abs((j - center + 0.5) / support), 0.0, None)
        total = tri.sum()
        w[i, lo:hi] = tri / total if total > 0 else 0.0
    return w


def area_weights(n_in, n_out):
    """(n_out, n_in) float64 matrix of TensorFlow's area resize (align_corners=False)."""
    scale = n_in / n_out
    w = np.zeros((n_out, n_in))
    for i in range(n_out):
        lo, hi = i * scale, min((i + 1) * scale, n_in)
        for j in range(int(math.floor(lo)), int(math.ceil(hi))):
            w[i, j] = (min(j + 1, hi) - max(j, lo)) / scale
    return w


def resize_antialiased(x, size):
    """x: a float Tensor (N, H, W, C) -> (N, size[0], size[1], C), differentiable in x."""
    return resize_separable(x, size, triangle_weights)


def resize_separable(x, size, weights):
    """x (N, H, W, C) resampled to size by weights(n_in, n_out) along H, then along W."""
    dtype = x._data.dtype
    wh = Tensor._wrap(weights(x.shape[1], size[0]).astype(dtype))
    ww = Tensor._wrap(weights(x.shape[2], size[1]).astype(dtype))
    return einsum("pw,nowc->nopc", ww, einsum("oh,nhwc->nowc", wh, x))
