"""Keras' Adadelta, Adamax and Nadam as configurations of pe.optim (one fused C++ update each,
csrc/optim/optim_extra*). Keras 3 names and defaults. Adamax follows PyTorch in where epsilon
enters (u = max(beta_2 u, |g| + eps); Keras: m / (u + eps)); Nadam is PyTorch's NAdam with
Keras' momentum schedule constant 0.004, the same rule as Keras'."""
from .. import optim as _optim
from .optimizers import Optimizer, _number


class Adadelta(Optimizer):
    """acc_g = rho acc_g + (1 - rho) g^2 ; d = sqrt(acc_d + eps) / sqrt(acc_g + eps) g ;
    acc_d = rho acc_d + (1 - rho) d^2 ; p -= lr d."""

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho = _number(rho, "rho", "Adadelta", 0.0, 1.0)
        self.epsilon = _number(epsilon, "epsilon", "Adadelta")

    def _make(self, params):
        return _optim.Adadelta(params, lr=self._lr, rho=self.rho, eps=self.epsilon)


class Adamax(Optimizer):
    """m = b1 m + (1 - b1) g ; u = max(b2 u, |g| + eps) ; p -= lr / (1 - b1^t) m / u."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1 = _number(beta_1, "beta_1", "Adamax", 0.0, 1.0, high_open=True)
        self.beta_2 = _number(beta_2, "beta_2", "Adamax", 0.0, 1.0, high_open=True)
        self.epsilon = _number(epsilon, "epsilon", "Adamax")

    def _make(self, params):
        return _optim.Adamax(params, lr=self._lr, betas=(self.beta_1, self.beta_2),
                             eps=self.epsilon)


class Nadam(Optimizer):
    """Adam with Nesterov momentum and the momentum schedule
    mu_t = beta_1 (1 - 0.5 * 0.96^(0.004 t)) (see pe.optim.NAdam)."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1 = _number(beta_1, "beta_1", "Nadam", 0.0, 1.0, high_open=True)
        self.beta_2 = _number(beta_2, "beta_2", "Nadam", 0.0, 1.0, high_open=True)
        self.epsilon = _number(epsilon, "epsilon", "Nadam")

    def _make(self, params):
        return _optim.NAdam(params, lr=self._lr, betas=(self.beta_1, self.beta_2),
                            eps=self.epsilon, momentum_decay=0.004)
