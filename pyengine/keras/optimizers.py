"""Keras optimizers (names, arguments and defaults of Keras 3) on pyengine's fused update kernels:
`apply_gradients` makes ONE C++ call (pyengine._C.<algo>_step) for all variables.

The update rules are PyTorch's (csrc/optim), which differ from Keras only in where epsilon
enters Adam's denominator (sqrt(v / (1 - beta2^t)) + eps rather than sqrt(v) + eps).
State (moments) lives in arrays keyed by variable, shared with the fused trainer (keras/fused.py).

    >>> opt = pe.keras.optimizers.Adam(learning_rate=1e-3)
    >>> opt.apply_gradients(zip(grads, model.trainable_weights))
"""
import numpy as np

from .. import _C
from .utils import resolve


class Optimizer:
    code = None  # the fused trainer's optimizer code

    def __init__(self, learning_rate=0.001, name=None, **kwargs):
        unknown = set(kwargs) - {"clipnorm", "clipvalue", "global_clipnorm", "weight_decay",
                                 "use_ema", "jit_compile"}
        if unknown:
            raise TypeError(f"[{type(self).__name__}] unrecognized arguments: {sorted(unknown)}")
        if not isinstance(learning_rate, (int, float)) or learning_rate < 0:
            raise ValueError(f"[{type(self).__name__}] learning_rate must be a non-negative "
                             f"number. Received: learning_rate={learning_rate}")
        self.learning_rate = float(learning_rate)
        self.name = name or type(self).__name__.lower()
        self.iterations = 0
        self._slots = {}  # id(variable) -> (variable, [state arrays])

    def slots(self, var):
        """State arrays of `var`, created at first use (two per variable; None where unused)."""
        entry = self._slots.get(id(var))
        if entry is None or entry[0] is not var:
            entry = (var, [np.zeros_like(var.data) if need else None for need in self._needs()])
            self._slots[id(var)] = entry
        return entry[1]

    def apply_gradients(self, grads_and_vars):
        pairs = [(g, v) for g, v in grads_and_vars if g is not None]
        if not pairs:
            return
        self.iterations += 1
        grads = [np.ascontiguousarray(getattr(g, "data", g), dtype=v.data.dtype) for g, v in pairs]
        self._apply([v.data for _, v in pairs], grads, [self.slots(v) for _, v in pairs])

    def hyper(self):
        """lr, momentum, beta1 / rho, beta2, eps, nesterov: the fused trainer's argument."""
        raise NotImplementedError


class SGD(Optimizer):
    """v = momentum * v + g ; p -= lr * v (nesterov: p -= lr * (g + momentum * v))."""

    code = 0

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name=None, **kwargs):
        super().__init__(learning_rate, name, **kwargs)
        if not 0 <= momentum <= 1:
            raise ValueError(f"[SGD] momentum must be in [0, 1]. Received: momentum={momentum}")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)

    def _needs(self):
        return (self.momentum != 0.0, False)

    def _apply(self, params, grads, slots):
        _C.sgd_step(params, grads, [s[0] for s in slots], [self.iterations == 1] * len(params),
                    self.learning_rate, self.momentum, 0.0, 0.0, self.nesterov, False)

    def hyper(self):
        return [self.learning_rate, self.momentum, 0.0, 0.0, 0.0, float(self.nesterov)]


class Adam(Optimizer):
    """m = b1 m + (1 - b1) g ; v = b2 v + (1 - b2) g^2 ;
    p -= lr / (1 - b1^t) * m / (sqrt(v / (1 - b2^t)) + eps)."""

    code = 1

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, name=None, **kwargs):
        super().__init__(learning_rate, name, **kwargs)
        for k, b in (("beta_1", beta_1), ("beta_2", beta_2)):
            if not 0 <= b < 1:
                raise ValueError(f"[Adam] {k} must be in [0, 1). Received: {k}={b}")
        if amsgrad:
            raise ValueError("[Adam] amsgrad=True is not supported. Received: amsgrad=True")
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def _needs(self):
        return (True, True)

    def _apply(self, params, grads, slots):
        _C.adam_step(params, grads, [s[0] for s in slots], [s[1] for s in slots],
                     [None] * len(params), [self.iterations] * len(params), self.learning_rate,
                     self.beta_1, self.beta_2, self.epsilon, 0.0, False, False, False)

    def hyper(self):
        return [self.learning_rate, 0.0, self.beta_1, self.beta_2, self.epsilon, 0.0]


class RMSprop(Optimizer):
    """s = rho s + (1 - rho) g^2 ; p -= lr g / (sqrt(s) + eps) (with momentum: a buffer)."""

    code = 2

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
                 name=None, **kwargs):
        super().__init__(learning_rate, name, **kwargs)
        if not 0 <= rho < 1:
            raise ValueError(f"[RMSprop] rho must be in [0, 1). Received: rho={rho}")
        if centered:
            raise ValueError("[RMSprop] centered=True is not supported. Received: centered=True")
        self.rho, self.momentum, self.epsilon = float(rho), float(momentum), float(epsilon)

    def _needs(self):
        return (True, self.momentum != 0.0)

    def _apply(self, params, grads, slots):
        _C.rmsprop_step(params, grads, [s[0] for s in slots], [None] * len(params),
                        [s[1] for s in slots], self.learning_rate, self.rho, self.epsilon, 0.0,
                        self.momentum, False, False)

    def hyper(self):
        return [self.learning_rate, self.momentum, self.rho, 0.0, self.epsilon, 0.0]


_TABLE = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop}


def get(identifier):
    return resolve("optimizer", identifier, _TABLE, (Optimizer,))
