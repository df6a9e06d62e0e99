"""NAdam (Dozat, 2016): Adam with Nesterov momentum and a momentum schedule."""
import numpy as np

from ..backend import cpu as _cpu
from .adam import _check_adam
from .optimizer import Optimizer, check_impl_options, check_nonneg, scalar


class NAdam(Optimizer):
    r"""NAdam, PyTorch's rule. For each parameter p with gradient g, at step t::

        g = -g if maximize else g
        p = p * (1 - lr * weight_decay)   if decoupled_weight_decay
        g = g + weight_decay * p          otherwise
        mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay))      (mu_{t+1} likewise)
        prod_t = mu_1 * ... * mu_t
        m = beta1 * m + (1 - beta1) * g ;  v = beta2 * v + (1 - beta2) * g^2
        denom = sqrt(v / (1 - beta2^t)) + eps
        p = p - lr (1 - mu_t) / (1 - prod_t) * g / denom
              - lr mu_{t+1} / (1 - prod_t mu_{t+1}) * m / denom

    The step-dependent scalars are folded here (state mu_product); the element loop is one
    fused C++ call per group (``backend.cpu.nadam_step``). Keras' Nadam is this rule with
    momentum_decay=0.004.
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, maximize=False,
                 foreach=None, capturable=False, differentiable=False):
        check_impl_options("NAdam", foreach=foreach, capturable=capturable,
                           differentiable=differentiable)
        _check_adam(lr, betas, eps, weight_decay)
        check_nonneg(momentum_decay, "momentum_decay")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, momentum_decay=momentum_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize))

    def _step_group(self, group):
        ps, datas, grads, states = self._with_grads(group)
        if not ps:
            return
        beta1, beta2 = group["betas"]
        lr, psi = scalar(group["lr"]), group["momentum_decay"]
        ms, vs, cg, cm, bc2 = [], [], [], [], []
        for p, st in zip(datas, states):
            if not st:
                st["step"] = 0
                st["mu_product"] = 1.0
                st["exp_avg"] = np.zeros_like(p)
                st["exp_avg_sq"] = np.zeros_like(p)
            st["step"] += 1
            t = st["step"]
            mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
            st["mu_product"] *= mu
            prod = st["mu_product"]
            cg.append(lr * (1.0 - mu) / (1.0 - prod))
            cm.append(lr * mu_next / (1.0 - prod * mu_next))
            bc2.append(1.0 - beta2 ** t)
            ms.append(st["exp_avg"])
            vs.append(st["exp_avg_sq"])
        _cpu.nadam_step(datas, grads, ms, vs, cg, cm, bc2, lr, beta1, beta2, group["eps"],
                        group["weight_decay"], group["decoupled_weight_decay"], group["maximize"])
