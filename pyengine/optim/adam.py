"""Adam and AdamW (decoupled weight decay)."""
import numpy as np

from ..backend import cpu as _cpu
from ..tensor import Tensor
from .optimizer import Optimizer, _check, check_impl_options, check_lr, check_nonneg, scalar


def _check_adam(lr, betas, eps, weight_decay):
    check_lr(lr)
    check_nonneg(eps, "epsilon")
    _check(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
    _check(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
    check_nonneg(weight_decay, "weight_decay")


class Adam(Optimizer):
    r"""Adam (Kingma & Ba), PyTorch's rule. For each parameter p with gradient g, at step t::

        g = -g if maximize else g
        p = p * (1 - lr * weight_decay)   if decoupled (AdamW)
        g = g + weight_decay * p          otherwise (L2 penalty, Adam)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g^2
        vmax = max(vmax, v) ; vhat = vmax if amsgrad else v
        p = p - lr / (1 - beta1^t) * m / (sqrt(vhat) / sqrt(1 - beta2^t) + eps)

    State per parameter (created at its first step): step, exp_avg (m), exp_avg_sq (v),
    max_exp_avg_sq (vmax, amsgrad only). One fused C++ call per group (``backend.cpu.adam_step``).

    >>> opt = pe.optim.Adam(params, lr=1e-3, betas=(0.9, 0.999))
    """

    _decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        check_impl_options(type(self).__name__, foreach, fused, capturable, differentiable)
        if isinstance(lr, Tensor) and foreach and not capturable:  # torch refuses it too
            raise ValueError(f"[{type(self).__name__}] lr as a Tensor is not supported for "
                             "capturable=False and foreach=True")
        _check_adam(lr, betas, eps, weight_decay)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize))

    def _step_group(self, group):
        ps, datas, grads, states = self._with_grads(group)
        if not ps:
            return
        amsgrad = group["amsgrad"]
        ms, vs, vmaxs, steps = [], [], [], []
        for p, st in zip(datas, states):
            if not st:
                st["step"] = 0
                st["exp_avg"] = np.zeros_like(p)
                st["exp_avg_sq"] = np.zeros_like(p)
            if amsgrad and "max_exp_avg_sq" not in st:
                st["max_exp_avg_sq"] = np.zeros_like(p)
            st["step"] += 1
            steps.append(st["step"])
            ms.append(st["exp_avg"])
            vs.append(st["exp_avg_sq"])
            vmaxs.append(st["max_exp_avg_sq"] if amsgrad else None)
        beta1, beta2 = group["betas"]
        _cpu.adam_step(datas, grads, ms, vs, vmaxs, steps, scalar(group["lr"]), beta1, beta2,
                       group["eps"], group["weight_decay"], self._decoupled, amsgrad,
                       group["maximize"])

    def _step_foreach(self, group, datas, grads, states):
        beta1, beta2 = group["betas"]
        return _cpu.adam_foreach(datas, grads, states, scalar(group["lr"]), beta1, beta2,
                                 group["eps"], group["weight_decay"], self._decoupled,
                                 group["amsgrad"], group["maximize"])


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter): the same rule as `Adam` with
    ``p = p * (1 - lr * weight_decay)`` before the update instead of adding
    ``weight_decay * p`` to the gradient. Default weight_decay is 1e-2, as in PyTorch."""

    _decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         foreach=foreach, capturable=capturable, differentiable=differentiable,
                         fused=fused)
