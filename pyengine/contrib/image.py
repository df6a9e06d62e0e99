"""tf.contrib.image (TensorFlow 1.x; TF Addons' tfa.image keeps the same functions): projective
transforms of NHWC images, as in keras-team/keras examples/cifar10_cnn_tfaugment2d.py.

A transform is 8 numbers [a0, a1, a2, b0, b1, b2, c0, c1] (or a batch (N, 8), one per image)
mapping an output pixel (x, y) to the input point ((a0 x + a1 y + a2) / k,
(b0 x + b1 y + b2) / k), k = c0 x + c1 y + 1; points outside the image read 0.

`transform` is differentiable with respect to the images (pe.nn.functional.affine_warp);
the transform builders compute with NumPy (no gradient to the angles / translations)."""
import numpy as np

from ..nn import functional as F
from ..tensor import Tensor
from ..tf_names import symbolic_aware


def _np32(x):
    return np.asarray(x._data if isinstance(x, Tensor) else x, dtype=np.float32)


def _check_flat(op, t):
    if t.ndim == 1:
        t = t[None]
    if t.ndim != 2 or t.shape[1] != 8:
        raise ValueError(f"[{op}] transforms must have shape (8,) or (N, 8). Received shape "
                         f"{t.shape}")
    return t


@symbolic_aware
def flat_transforms_to_matrices(transforms, name=None):
    """(N, 8) transforms -> (N, 3, 3) matrices (the ninth entry 1)."""
    t = _check_flat("flat_transforms_to_matrices", _np32(transforms))
    return Tensor._wrap(np.concatenate([t, np.ones((len(t), 1), np.float32)], 1)
                        .reshape(-1, 3, 3))


@symbolic_aware
def matrices_to_flat_transforms(transform_matrices, name=None):
    """(N, 3, 3) matrices -> (N, 8) transforms, each matrix scaled so its [2, 2] entry is 1."""
    m = _np32(transform_matrices)
    if m.ndim != 3 or m.shape[1:] != (3, 3):
        raise ValueError(f"[matrices_to_flat_transforms] matrices must have shape (N, 3, 3). "
                         f"Received shape {m.shape}")
    if np.any(m[:, 2, 2] == 0):
        raise ValueError("[matrices_to_flat_transforms] a matrix has 0 at [2, 2]: not a "
                         "projective transform")
    return Tensor._wrap((m / m[:, 2:3, 2:3]).reshape(-1, 9)[:, :8].astype(np.float32))


@symbolic_aware
def compose_transforms(*transforms):
    """One transform per image equal to applying the given ones right to left (the last is
    applied to the output coordinates first), as TensorFlow's matrix product of them."""
    if not transforms:
        raise ValueError("[compose_transforms] give at least one transform")
    mats = [flat_transforms_to_matrices(t)._data for t in transforms]
    n = max(len(m) for m in mats)
    if any(len(m) not in (1, n) for m in mats):
        raise ValueError(f"[compose_transforms] transforms have different batch sizes "
                         f"{[len(m) for m in mats]}")
    out = np.broadcast_to(mats[0], (n, 3, 3))
    for m in mats[1:]:
        out = out @ m
    return matrices_to_flat_transforms(out)


@symbolic_aware
def angles_to_projective_transforms(angles, image_height, image_width, name=None):
    """Transforms that rotate images counterclockwise by `angles` (radians; a scalar or one per
    image) about their centres."""
    a = _np32(angles)
    if a.ndim > 1:
        raise ValueError(f"[angles_to_projective_transforms] angles must be a scalar or a "
                         f"vector. Received shape {a.shape}")
    a = a.reshape(-1)
    h, w = float(_np32(image_height)), float(_np32(image_width))
    cos, sin = np.cos(a), np.sin(a)
    x_off = ((w - 1) - (cos * (w - 1) - sin * (h - 1))) / 2.0
    y_off = ((h - 1) - (sin * (w - 1) + cos * (h - 1))) / 2.0
    zeros = np.zeros_like(a)
    return Tensor._wrap(np.stack([cos, -sin, x_off, sin, cos, y_off, zeros, zeros], 1)
                        .astype(np.float32))


@symbolic_aware
def translations_to_projective_transforms(translations, name=None):
    """Transforms that move images by (dx, dy) (a pair or one pair per image)."""
    t = _np32(translations)
    t = t[None] if t.ndim == 1 else t
    if t.ndim != 2 or t.shape[1] != 2:
        raise ValueError(f"[translations_to_projective_transforms] translations must have "
                         f"shape (2,) or (N, 2). Received shape {t.shape}")
    n = len(t)
    one, zero = np.ones(n, np.float32), np.zeros(n, np.float32)
    return Tensor._wrap(np.stack([one, zero, -t[:, 0], zero, one, -t[:, 1], zero, zero], 1))


_INTERPOLATIONS = {"NEAREST": "nearest", "BILINEAR": "bilinear"}


@symbolic_aware
def transform(images, transforms, interpolation="NEAREST", output_shape=None, name=None):
    """Images (H, W), (H, W, C) or (N, H, W, C) warped by the transforms (8 numbers, or one row
    per image); interpolation 'NEAREST' or 'BILINEAR'; points outside the image are 0;
    output_shape (height, width) defaults to the input's."""
    op = "transform"
    if not isinstance(interpolation, str) or interpolation.upper() not in _INTERPOLATIONS:
        raise ValueError(f"[{op}] interpolation must be 'NEAREST' or 'BILINEAR'. Received: "
                         f"{interpolation!r}")
    x = images if isinstance(images, Tensor) else Tensor._wrap(np.asarray(images))
    rank = x.ndim
    if rank not in (2, 3, 4):
        raise ValueError(f"[{op}] images must be (H, W), (H, W, C) or (N, H, W, C). Received "
                         f"shape {tuple(x.shape)}")
    if x.dtype not in ("float32", "float64"):
        raise TypeError(f"[{op}] images must be float32 or float64 (convert with "
                        f"tf.image.convert_image_dtype). Received dtype {x.dtype}")
    if rank == 2:
        x = x.reshape(1, x.shape[0], x.shape[1], 1)
    elif rank == 3:
        x = x.reshape(1, *x.shape)
    t = _np32(transforms)
    if t.ndim not in (1, 2) or t.shape[-1] != 8:
        raise ValueError(f"[{op}] transforms must have shape (8,) or (N, 8). Received shape "
                         f"{t.shape}")
    if t.ndim == 2 and len(t) not in (1, x.shape[0]):
        raise ValueError(f"[{op}] {len(t)} transforms for {x.shape[0]} images")
    t = np.broadcast_to(t.reshape(-1, 8), (x.shape[0], 8))
    out = F.affine_warp(x, t, output_shape=None if output_shape is None else
                        tuple(int(v) for v in _np32(output_shape)),
                        interpolation=_INTERPOLATIONS[interpolation.upper()],
                        fill_mode="constant", fill_value=0.0)
    if rank == 2:
        return out.reshape(out.shape[1], out.shape[2])
    return out.reshape(*out.shape[1:]) if rank == 3 else out


@symbolic_aware
def rotate(images, angles, interpolation="NEAREST", name=None):
    """Images rotated counterclockwise by `angles` (radians) about their centres."""
    shape = tuple(images.shape)
    if len(shape) not in (2, 3, 4):
        raise ValueError(f"[rotate] images must be (H, W), (H, W, C) or (N, H, W, C). "
                         f"Received shape {shape}")
    h, w = shape[:2] if len(shape) in (2, 3) else shape[1:3]
    return transform(images, angles_to_projective_transforms(angles, h, w), interpolation)


@symbolic_aware
def translate(images, translations, interpolation="NEAREST", name=None):
    """Images moved by translations (dx, dy) (one pair, or one per image)."""
    return transform(images, translations_to_projective_transforms(translations),
                     interpolation)
