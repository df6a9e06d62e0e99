"""Stochastic gradient descent with momentum, Nesterov momentum and weight decay."""
import numpy as np

from ..backend import cpu as _cpu
from .optimizer import Optimizer, _check, check_impl_options, check_lr, check_nonneg, scalar


class SGD(Optimizer):
    r"""SGD, PyTorch's rule. For each parameter p with gradient g, at step t::

        g = -g if maximize else g
        if weight_decay != 0:  g = g + weight_decay * p
        if momentum != 0:
            buf = g                                    if t == 1
                  momentum * buf + (1 - dampening) * g  otherwise
            g = g + momentum * buf  if nesterov else buf
        p = p - lr * g

    All parameters of a group are updated by one fused C++ call (``backend.cpu.sgd_step``;
    ``sgd_foreach`` in the steady state, see optimizer.py).

    >>> opt = pe.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    >>> opt.zero_grad(); loss.backward(); opt.step()
    """

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        check_impl_options("SGD", foreach=foreach, fused=fused, differentiable=differentiable)
        check_lr(lr)
        check_nonneg(momentum, "momentum")
        check_nonneg(weight_decay, "weight_decay")
        _check(not nesterov or (momentum > 0 and dampening == 0),
               "Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def _step_group(self, group):
        ps, datas, grads, states = self._with_grads(group)
        if not ps:
            return
        momentum = group["momentum"]
        bufs, fresh = [], []
        for p, st in zip(datas, states):
            buf = st.get("momentum_buffer")
            if momentum != 0 and buf is None:
                buf = st["momentum_buffer"] = np.empty_like(p)
                fresh.append(True)
            else:
                fresh.append(False)
            bufs.append(buf if momentum != 0 else None)
        _cpu.sgd_step(datas, grads, bufs, fresh, scalar(group["lr"]), momentum, group["dampening"],
                      group["weight_decay"], group["nesterov"], group["maximize"])

    def _step_foreach(self, group, datas, grads, states):
        return _cpu.sgd_foreach(datas, grads, states, scalar(group["lr"]), group["momentum"],
                                group["dampening"], group["weight_decay"], group["nesterov"],
                                group["maximize"])
