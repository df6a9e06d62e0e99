"""Adamax (Kingma & Ba, section 7: Adam with the infinity norm)."""
import numpy as np

from ..backend import cpu as _cpu
from .adam import _check_adam
from .optimizer import Optimizer, check_impl_options, scalar


class Adamax(Optimizer):
    r"""Adamax, PyTorch's rule. For each parameter p with gradient g, at step t::

        g = -g if maximize else g
        g = g + weight_decay * p
        m = beta1 * m + (1 - beta1) * g
        u = max(beta2 * u, |g| + eps)
        p = p - lr / (1 - beta1^t) * m / u

    State: step, exp_avg (m), exp_inf (u). One fused C++ call per group (``backend.cpu.adamax_step``).
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False):
        check_impl_options("Adamax", foreach=foreach, capturable=capturable,
                           differentiable=differentiable)
        _check_adam(lr, betas, eps, weight_decay)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, maximize=maximize))

    def _step_group(self, group):
        ps, datas, grads, states = self._with_grads(group)
        if not ps:
            return
        ms, us, steps = [], [], []
        for p, st in zip(datas, states):
            if not st:
                st["step"] = 0
                st["exp_avg"] = np.zeros_like(p)
                st["exp_inf"] = np.zeros_like(p)
            st["step"] += 1
            steps.append(st["step"])
            ms.append(st["exp_avg"])
            us.append(st["exp_inf"])
        beta1, beta2 = group["betas"]
        _cpu.adamax_step(datas, grads, ms, us, steps, scalar(group["lr"]), beta1, beta2,
                         group["eps"], group["weight_decay"], group["maximize"])

    def _step_foreach(self, group, datas, grads, states):
        beta1, beta2 = group["betas"]
        return _cpu.adamax_foreach(datas, grads, states, scalar(group["lr"]), beta1, beta2,
                                   group["eps"], group["weight_decay"], group["maximize"])
