"""Adagrad (Duchi et al.)."""
import numpy as np

from ..backend import cpu as _cpu
from .optimizer import Optimizer, check_impl_options, check_lr, check_nonneg, scalar


class Adagrad(Optimizer):
    r"""Adagrad, PyTorch's rule. For each parameter p with gradient g, at step t::

        g = -g if maximize else g
        g = g + weight_decay * p
        clr = lr / (1 + (t - 1) * lr_decay)
        sum = sum + g^2                      (sum starts at initial_accumulator_value)
        p = p - clr * g / (sqrt(sum) + eps)

    One fused C++ call per group (``backend.cpu.adagrad_step``).
    """

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, *, maximize=False, foreach=None,
                 differentiable=False, fused=None):
        check_impl_options("Adagrad", foreach=foreach, fused=fused, differentiable=differentiable)
        check_lr(lr)
        check_nonneg(lr_decay, "lr_decay")
        check_nonneg(weight_decay, "weight_decay")
        check_nonneg(initial_accumulator_value, "initial_accumulator_value")
        check_nonneg(eps, "epsilon")
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps, maximize=maximize))

    def _step_group(self, group):
        ps, datas, grads, states = self._with_grads(group)
        if not ps:
            return
        sums, steps = [], []
        for p, st in zip(datas, states):
            if not st:
                st["step"] = 0
                st["sum"] = np.full_like(p, group["initial_accumulator_value"])
            st["step"] += 1
            steps.append(st["step"])
            sums.append(st["sum"])
        _cpu.adagrad_step(datas, grads, sums, steps, scalar(group["lr"]), group["lr_decay"],
                          group["weight_decay"], group["eps"], group["maximize"])

    def _step_foreach(self, group, datas, grads, states):
        return _cpu.adagrad_foreach(datas, grads, states, scalar(group["lr"]), group["lr_decay"],
                                    group["weight_decay"], group["eps"], group["maximize"])
