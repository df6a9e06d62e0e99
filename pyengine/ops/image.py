"""Image resampling ops on the backend's kernels (csrc/image): resize (F.interpolate, nn.Upsample,
Keras UpSampling2D / Resizing) and the batched projective warp behind Keras' geometric
augmentation layers.

resize: y[p, i, j] = sum over the (up to 4) taps of output pixel (i, j) of w * x[p, r, q];
backward: dx = the same taps' transpose applied to dy (a scatter, one plane per thread).
warp:   y[n, i, j] = x[n] sampled at T_n(j, i) (bilinear or nearest, Keras' fill modes);
backward: dx = its transpose; the fill value carries no gradient, the transforms none either.
"""
import math

import numpy as np

from ..autograd import Function

# Kernel mode codes (csrc/image/image.h ResizeMode).
_RESIZE_MODES = {"nearest": 0, "nearest-exact": 1, "bilinear": 2}
# Kernel fill codes (csrc/image/image.h FillMode).
FILL_MODES = {"reflect": 0, "wrap": 1, "constant": 2, "nearest": 3}


def _float(x):
    return np.ascontiguousarray(x, dtype=x.dtype if x.dtype in (np.float32, np.float64)
                                else np.float32)


class Resize(Function):
    """x (P, H, W, C) -> (P, OH, OW, C) with resolved scales and kernel mode."""

    @staticmethod
    def forward(ctx, x, out_hw=(1, 1), scales=(1.0, 1.0), mode=0):
        x = _float(x)
        ctx.params = (x.shape, scales, mode)
        return ctx.backend.resize(x, out_hw, scales, mode)

    @staticmethod
    def backward(ctx, g):
        x_shape, scales, mode = ctx.params
        ctx.grads_are_fresh = True
        return (ctx.backend.resize_backward(g, x_shape, scales, mode),)


class AffineWarp(Function):
    """images (N, H, W, C), transforms (N, 8) float32 -> (N, OH, OW, C)."""

    @staticmethod
    def forward(ctx, x, transforms, out_hw=(1, 1), bilinear=True, fill_mode=2, fill_value=0.0):
        x = _float(x)
        transforms = np.ascontiguousarray(transforms, np.float32)
        ctx.save_for_backward(transforms)
        ctx.params = (x.shape, bilinear, fill_mode, fill_value)
        return ctx.backend.affine_warp(x, transforms, out_hw, bilinear, fill_mode, fill_value)

    @staticmethod
    def backward(ctx, g):
        (transforms,) = ctx.saved_tensors
        x_shape, bilinear, fill_mode, fill_value = ctx.params
        gx = ctx.backend.affine_warp_backward(g, transforms, x_shape, bilinear, fill_mode,
                                              fill_value)
        ctx.grads_are_fresh = True
        return gx, None


def _positive_size(v, name, op):
    t = tuple(v) if isinstance(v, (tuple, list)) else (v, v)
    if len(t) != 2 or not all(isinstance(i, (int, np.integer)) and not isinstance(i, bool)
                              and i >= 1 for i in t):
        raise ValueError(f"[{op}] {name} must be a positive int or a pair of them, got {v!r}")
    return int(t[0]), int(t[1])


def _positive_scale(v, op):
    t = tuple(v) if isinstance(v, (tuple, list)) else (v, v)
    if len(t) != 2 or not all(isinstance(i, (int, float, np.integer, np.floating))
                              and not isinstance(i, bool) and math.isfinite(i) and i > 0
                              for i in t):
        raise ValueError(f"[{op}] scale_factor must be a positive number or a pair of them, "
                         f"got {v!r}")
    return float(t[0]), float(t[1])


def resize_planes(x, size, mode="nearest", align_corners=False, scale_factor=None, op="resize"):
    """Resize (P, H, W, C) planes to `size` (OH, OW). scale_factor, when given, sets the source
    step as PyTorch does (1 / scale_factor rather than H / OH)."""
    if mode not in _RESIZE_MODES:
        raise ValueError(f"[{op}] mode must be one of {sorted(_RESIZE_MODES)}, got {mode!r}")
    if align_corners and mode != "bilinear":
        raise ValueError(f"[{op}] align_corners only applies to mode='bilinear', got mode={mode!r}")
    h, w = x.shape[1], x.shape[2]
    if scale_factor is not None:
        scales = (1.0 / scale_factor[0], 1.0 / scale_factor[1])
    else:
        scales = (h / size[0], w / size[1])
    code = 3 if align_corners else _RESIZE_MODES[mode]
    if h == 0 or w == 0:
        raise ValueError(f"[{op}] cannot resize an empty image of size ({h}, {w})")
    return Resize.apply(x, out_hw=tuple(size), scales=scales, mode=code)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None):
    """Resize an NCHW batch (PyTorch's F.interpolate for 4-D input): mode 'nearest',
    'nearest-exact' or 'bilinear' (align_corners). Exactly one of size / scale_factor.

    OH = size[0] or floor(H * scale_factor[0]); bilinear with align_corners=False samples at
    (i + 0.5) * H / OH - 0.5 (clamped at 0), with align_corners=True at i * (H - 1) / (OH - 1).

    >>> F.interpolate(pe.ones(1, 3, 4, 4), scale_factor=2, mode="bilinear").shape
    (1, 3, 8, 8)
    """
    op = "interpolate"
    if input.ndim != 4:
        raise ValueError(f"[{op}] input must be 4-D (N, C, H, W), got shape {tuple(input.shape)}")
    if (size is None) == (scale_factor is None):
        raise ValueError(f"[{op}] give exactly one of size and scale_factor")
    n, c, h, w = input.shape
    if size is not None:
        size = _positive_size(size, "size", op)
        scales = None
    else:
        scales = _positive_scale(scale_factor, op)
        size = (int(math.floor(h * scales[0])), int(math.floor(w * scales[1])))
        if min(size) < 1:
            raise ValueError(f"[{op}] scale_factor={scale_factor!r} gives an empty output "
                             f"{size} from input size ({h}, {w})")
        if recompute_scale_factor:
            scales = None
    if align_corners is None:
        align_corners = False
    planes = input.reshape(n * c, h, w, 1)
    y = resize_planes(planes, size, mode, bool(align_corners), scales, op)
    return y.reshape(n, c, *size)


def affine_warp(images, transforms, output_shape=None, interpolation="bilinear",
                fill_mode="constant", fill_value=0.0):
    """Warp NHWC images by per-image projective transforms (Keras/TF `affine_transform`).

    transforms (N, 8) or (8,): [a0, a1, a2, b0, b1, b2, c0, c1] maps output pixel (x, y) to the
    input point ((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k), k = c0 x + c1 y + 1.
    interpolation 'bilinear' | 'nearest'; fill_mode 'reflect' | 'wrap' | 'constant' | 'nearest'.

    >>> identity = [1, 0, 0, 0, 1, 0, 0, 0]
    >>> F.affine_warp(pe.ones(2, 5, 5, 3), identity).shape
    (2, 5, 5, 3)
    """
    op = "affine_warp"
    if images.ndim != 4:
        raise ValueError(f"[{op}] images must be 4-D (N, H, W, C), got shape "
                         f"{tuple(images.shape)}")
    if interpolation not in ("bilinear", "nearest"):
        raise ValueError(f"[{op}] interpolation must be 'bilinear' or 'nearest', got "
                         f"{interpolation!r}")
    if fill_mode not in FILL_MODES:
        raise ValueError(f"[{op}] fill_mode must be one of {sorted(FILL_MODES)}, got "
                         f"{fill_mode!r}")
    t = np.asarray(getattr(transforms, "data", transforms), dtype=np.float32)
    if t.ndim == 1:
        t = np.broadcast_to(t, (images.shape[0], t.shape[0]))
    if t.shape != (images.shape[0], 8):
        raise ValueError(f"[{op}] transforms must have shape ({images.shape[0]}, 8) or (8,), got "
                         f"{t.shape}")
    out_hw = (images.shape[1], images.shape[2]) if output_shape is None else \
        _positive_size(output_shape, "output_shape", op)
    return AffineWarp.apply(images, t, out_hw=out_hw, bilinear=interpolation == "bilinear",
                            fill_mode=FILL_MODES[fill_mode], fill_value=float(fill_value))
