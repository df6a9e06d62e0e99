"""RMSprop (Hinton), optionally centered and with momentum."""
import numpy as np

from ..backend import cpu as _cpu
from .optimizer import Optimizer, check_impl_options, check_lr, check_nonneg, scalar


class RMSprop(Optimizer):
    r"""RMSprop, PyTorch's rule. For each parameter p with gradient g::

        g = -g if maximize else g
        g = g + weight_decay * p
        sq = alpha * sq + (1 - alpha) * g^2
        if centered:  ga = alpha * ga + (1 - alpha) * g ; denom = sqrt(sq - ga^2) + eps
        else:         denom = sqrt(sq) + eps
        if momentum > 0:  buf = momentum * buf + g / denom ; p = p - lr * buf
        else:             p = p - lr * g / denom

    One fused C++ call per group (``backend.cpu.rmsprop_step``).
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                 centered=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False):
        check_impl_options("RMSprop", foreach=foreach, capturable=capturable,
                           differentiable=differentiable)
        check_lr(lr)
        check_nonneg(eps, "epsilon")
        check_nonneg(momentum, "momentum")
        check_nonneg(weight_decay, "weight_decay")
        check_nonneg(alpha, "alpha")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, maximize=maximize))

    def _step_group(self, group):
        ps, datas, grads, states = self._with_grads(group)
        if not ps:
            return
        centered, momentum = group["centered"], group["momentum"]
        sqs, gas, bufs = [], [], []
        for p, st in zip(datas, states):
            if not st:
                st["step"] = 0
                st["square_avg"] = np.zeros_like(p)
            if centered and "grad_avg" not in st:
                st["grad_avg"] = np.zeros_like(p)
            if momentum > 0 and "momentum_buffer" not in st:
                st["momentum_buffer"] = np.zeros_like(p)
            st["step"] += 1
            sqs.append(st["square_avg"])
            gas.append(st["grad_avg"] if centered else None)
            bufs.append(st["momentum_buffer"] if momentum > 0 else None)
        _cpu.rmsprop_step(datas, grads, sqs, gas, bufs, scalar(group["lr"]), group["alpha"],
                          group["eps"], group["weight_decay"], momentum, centered,
                          group["maximize"])

    def _step_foreach(self, group, datas, grads, states):
        return _cpu.rmsprop_foreach(datas, grads, states, scalar(group["lr"]), group["alpha"],
                                    group["eps"], group["weight_decay"], group["momentum"],
                                    group["centered"], group["maximize"])
