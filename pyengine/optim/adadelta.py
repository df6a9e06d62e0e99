"""Adadelta (Zeiler, 2012)."""
import numpy as np

from ..backend import cpu as _cpu
from .optimizer import Optimizer, _check, check_impl_options, check_lr, check_nonneg, scalar


class Adadelta(Optimizer):
    r"""Adadelta, PyTorch's rule. For each parameter p with gradient g::

        g = -g if maximize else g
        g = g + weight_decay * p
        v = rho * v + (1 - rho) * g^2
        delta = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta^2
        p = p - lr * delta

    State: square_avg (v), acc_delta (u). One fused C++ call per group (``backend.cpu.adadelta_step``).

    >>> opt = pe.optim.Adadelta(model.parameters(), lr=1.0)
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, *, maximize=False,
                 foreach=None, capturable=False, differentiable=False):
        check_impl_options("Adadelta", foreach=foreach, capturable=capturable,
                           differentiable=differentiable)
        check_lr(lr)
        _check(isinstance(rho, (int, float)) and 0.0 <= rho <= 1.0, f"Invalid rho value: {rho}")
        check_nonneg(eps, "epsilon")
        check_nonneg(weight_decay, "weight_decay")
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize))

    def _step_group(self, group):
        ps, datas, grads, states = self._with_grads(group)
        if not ps:
            return
        vs, us = [], []
        for p, st in zip(datas, states):
            if not st:
                st["step"] = 0
                st["square_avg"] = np.zeros_like(p)
                st["acc_delta"] = np.zeros_like(p)
            st["step"] += 1
            vs.append(st["square_avg"])
            us.append(st["acc_delta"])
        _cpu.adadelta_step(datas, grads, vs, us, scalar(group["lr"]), group["rho"], group["eps"],
                           group["weight_decay"], group["maximize"])

    def _step_foreach(self, group, datas, grads, states):
        return _cpu.adadelta_foreach(datas, grads, states, scalar(group["lr"]), group["rho"],
                                     group["eps"], group["weight_decay"], group["maximize"])
