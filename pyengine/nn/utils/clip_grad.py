"""Gradient clipping over a set of parameters, in place (PyTorch's nn.utils)."""
import math

import numpy as np

from ...backend import cpu as _cpu
from ...tensor import Tensor


def _grads(parameters):
    ps = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p.grad for p in ps if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale all gradients together so that their joint norm is at most `max_norm`:
    total = ||(||g_1||, ..., ||g_k||)||_p ; g *= max_norm / (total + 1e-6) when that is < 1.
    Returns the total norm (before clipping) as a 0-d Tensor. The 2-norm runs in one C++ call.

    >>> pe.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    """
    grads = _grads(parameters)
    max_norm, norm_type = float(max_norm), float(norm_type)
    if not grads:
        return Tensor._wrap(np.asarray(0.0, dtype=np.float32))
    dtype = grads[0]._data.dtype
    if norm_type == 2.0 and all(g._data.flags.c_contiguous and g._data.flags.writeable
                                and g._data.dtype.kind == "f" for g in grads):
        if error_if_nonfinite:
            total = math.sqrt(sum(float(np.vdot(g._data, g._data)) for g in grads))
            _check_finite(total, norm_type)
        total = _cpu.clip_grad_norm([g._data for g in grads], max_norm, 1e-6)
        return Tensor._wrap(np.asarray(total, dtype=dtype))
    if norm_type == math.inf:
        total = max(float(np.max(np.abs(g._data))) if g._data.size else 0.0 for g in grads)
    else:
        total = sum(float(np.sum(np.abs(g._data.astype(np.float64)) ** norm_type))
                    for g in grads) ** (1.0 / norm_type)
    if error_if_nonfinite:
        _check_finite(total, norm_type)
    coef = max_norm / (total + 1e-6)
    if coef < 1.0:
        for g in grads:
            g._data *= g._data.dtype.type(coef)
    return Tensor._wrap(np.asarray(total, dtype=dtype))


def _check_finite(total, norm_type):
    if not math.isfinite(total):
        raise RuntimeError(f"[clip_grad_norm_] the total norm of order {norm_type} of the "
                           "gradients is non-finite, so it cannot be clipped; pass "
                           "error_if_nonfinite=False to skip this check")


def clip_grad_value_(parameters, clip_value):
    """Clamp every gradient element into [-clip_value, clip_value], in place."""
    c = float(clip_value)
    for g in _grads(parameters):
        np.clip(g._data, -c, c, out=g._data)
