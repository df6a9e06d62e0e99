"""keras.optimizers.Lamb (Keras 3; TensorFlow Addons' LAMB before it, which keras-io Perceiver
uses): Adam's bias-corrected moments, each variable's step scaled by the trust ratio
||w|| / ||update|| (1 where either norm is 0). Keras 3's rule, per variable, at step t:

    m = b1 m + (1 - b1) g ;  v = b2 v + (1 - b2) g^2
    update = (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + epsilon)
    w -= lr * trust_ratio * update

weight_decay is Keras' decoupled decay, applied by the base class before the update (as Keras 3
does; Addons' LAMB put it inside the update). NumPy per variable: no fused kernel for it."""
import numpy as np

from .. import optim as _optim
from .optimizers import Optimizer, _number


class _LambSteps(_optim.Optimizer):
    def __init__(self, params, lr, beta_1, beta_2, epsilon):
        super().__init__(params, dict(lr=lr, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon))

    def _step_group(self, group):
        _, datas, grads, states = self._with_grads(group)
        b1, b2, eps, lr = group["beta_1"], group["beta_2"], group["epsilon"], group["lr"]
        for w, g, st in zip(datas, grads, states):
            if not st:
                st.update(step=0, m=np.zeros_like(w), v=np.zeros_like(w))
            st["step"] += 1
            t = st["step"]
            m, v = st["m"], st["v"]
            m += (g - m) * (1.0 - b1)
            v += (g * g - v) * (1.0 - b2)
            update = (m / (1.0 - b1 ** t)) / (np.sqrt(v / (1.0 - b2 ** t)) + eps)
            w_norm = float(np.sqrt(np.sum(np.square(w, dtype=np.float64))))
            u_norm = float(np.sqrt(np.sum(np.square(update, dtype=np.float64))))
            ratio = w_norm / u_norm if w_norm > 0 and u_norm > 0 else 1.0
            w -= (lr * ratio * update).astype(w.dtype)


class Lamb(Optimizer):
    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1 = _number(beta_1, "beta_1", "Lamb", 0.0, 1.0, high_open=True)
        self.beta_2 = _number(beta_2, "beta_2", "Lamb", 0.0, 1.0, high_open=True)
        self.epsilon = _number(epsilon, "epsilon", "Lamb")

    def _make(self, params):
        return _LambSteps(params, self._lr, self.beta_1, self.beta_2, self.epsilon)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}
