"""keras.optimizers Lion, Ftrl and Adafactor: Keras 3's update rules, per variable in NumPy (as
Lamb; no fused kernel for them). weight_decay, clipping, use_ema and schedules come from the
base class (decoupled decay before the update, as Keras 3). At step t (1, 2, ...):

Lion (Chen et al. 2023):
    w -= lr * sign(b1 m + (1 - b1) g) ;  m = b2 m + (1 - b2) g
Ftrl (McMahan et al. 2013), accumulator n starting at initial_accumulator_value, z at 0:
    l2 = l2_regularization_strength + beta / (2 lr) ;  g' = g + 2 l2_shrinkage * w
    n' = n + g^2 ;  z += g' - (n'^-p - n^-p) / lr * w      (p = learning_rate_power)
    w = (clip(z, -l1, l1) - z) / (n'^-p / lr + 2 l2) ;  n = n'
Adafactor (Shazeer & Stern 2018), factored second moments for variables of rank >= 2:
    lr_t = min(lr, 1 / sqrt(t)) with relative_step and a constant learning rate
    alpha = max(epsilon_2, rms(w)) * min(lr_t, 1 / sqrt(t)) ;  G = g^2 + epsilon_1
    b = 1 - t^beta_2_decay
    rank >= 2: r = b r + (1 - b) mean(G, -1) ; c = b c + (1 - b) mean(G, -2) ;
               v = (r / mean(r, -1))[..., None] * c[..., None, :]
    else:      v = b v + (1 - b) G
    u = g / sqrt(v) ;  w -= alpha * u / max(1, rms(u) / clip_threshold)
t is the variable's own step count (the optimizer's iterations + 1 when every variable is
updated at every step, as in fit)."""
import numpy as np

from .. import optim as _optim
from .optimizers import Optimizer, _number


class _Steps(_optim.Optimizer):
    """A pe.optim optimizer whose per-variable update is `rule(w, g, state, group)`."""

    def __init__(self, params, rule, **hyper):
        self._rule = rule
        super().__init__(params, hyper)

    def _step_group(self, group):
        _, datas, grads, states = self._with_grads(group)
        for w, g, st in zip(datas, grads, states):
            st["step"] = st.get("step", 0) + 1
            self._rule(w, g, st, group)


def _lion(w, g, st, h):
    m = st.setdefault("m", np.zeros_like(w))
    w -= (h["lr"] * np.sign(h["beta_1"] * m + (1.0 - h["beta_1"]) * g)).astype(w.dtype)
    m *= h["beta_2"]
    m += (1.0 - h["beta_2"]) * g


def _ftrl(w, g, st, h):
    lr, p = h["lr"], h["learning_rate_power"]
    n = st.setdefault("accumulator", np.full_like(w, h["initial_accumulator_value"]))
    z = st.setdefault("linear", np.zeros_like(w))
    l1 = h["l1_regularization_strength"]
    l2 = h["l2_regularization_strength"] + h["beta"] / (2.0 * lr)
    g_shrunk = g + 2.0 * h["l2_shrinkage_regularization_strength"] * w
    n_new = n + g * g
    z += g_shrunk - (n_new ** -p - n ** -p) / lr * w
    quadratic = n_new ** -p / lr + 2.0 * l2
    w[...] = (np.clip(z, -l1, l1) - z) / quadratic
    n[...] = n_new


def _rms(x):
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


def _adafactor(w, g, st, h):
    t = float(st["step"])
    lr = h["lr"]
    if h["relative_step"]:
        lr = min(lr, 1.0 / np.sqrt(t))
    alpha = max(h["epsilon_2"], _rms(w)) * min(lr, 1.0 / np.sqrt(t))
    grad_sq = g * g + h["epsilon_1"]
    b = 1.0 - t ** h["beta_2_decay"]
    if w.ndim >= 2:
        r = st.setdefault("r", np.zeros(w.shape[:-1], w.dtype))
        c = st.setdefault("c", np.zeros(w.shape[:-2] + w.shape[-1:], w.dtype))
        r[...] = b * r + (1.0 - b) * grad_sq.mean(-1)
        c[...] = b * c + (1.0 - b) * grad_sq.mean(-2)
        v = (r / r.mean(-1, keepdims=True))[..., None] * c[..., None, :]
        st["v"] = v.astype(w.dtype)
    else:
        v = st.setdefault("v", np.zeros_like(w))
        v[...] = b * v + (1.0 - b) * grad_sq
    u = g / np.sqrt(st["v"])
    w -= (alpha * u / max(1.0, _rms(u) / h["clip_threshold"])).astype(w.dtype)


class Lion(Optimizer):
    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, **kwargs):
        super().__init__(learning_rate, **kwargs)
        for what, v in (("beta_1", beta_1), ("beta_2", beta_2)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v <= 1:
                raise ValueError(f"[Lion] {what} must be in the (0, 1] range. Received: "
                                 f"{what}={v!r}")
        self.beta_1, self.beta_2 = float(beta_1), float(beta_2)

    def _make(self, params):
        return _Steps(params, _lion, lr=self._lr, beta_1=self.beta_1, beta_2=self.beta_2)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}


class Ftrl(Optimizer):
    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5,
                 initial_accumulator_value=0.1, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, l2_shrinkage_regularization_strength=0.0,
                 beta=0.0, **kwargs):
        super().__init__(learning_rate, **kwargs)
        if isinstance(learning_rate_power, bool) or not isinstance(
                learning_rate_power, (int, float)) or learning_rate_power > 0:
            raise ValueError(f"[Ftrl] learning_rate_power must be a number <= 0. Received: "
                             f"learning_rate_power={learning_rate_power!r}")
        self.learning_rate_power = float(learning_rate_power)
        self.initial_accumulator_value = _number(initial_accumulator_value,
                                                 "initial_accumulator_value", "Ftrl")
        self.l1_regularization_strength = _number(l1_regularization_strength,
                                                  "l1_regularization_strength", "Ftrl")
        self.l2_regularization_strength = _number(l2_regularization_strength,
                                                  "l2_regularization_strength", "Ftrl")
        self.l2_shrinkage_regularization_strength = _number(
            l2_shrinkage_regularization_strength, "l2_shrinkage_regularization_strength", "Ftrl")
        self.beta = _number(beta, "beta", "Ftrl")

    def _make(self, params):
        return _Steps(params, _ftrl, lr=self._lr, **self._hyper())

    def _hyper(self):
        return {k: getattr(self, k) for k in (
            "learning_rate_power", "initial_accumulator_value", "l1_regularization_strength",
            "l2_regularization_strength", "l2_shrinkage_regularization_strength", "beta")}

    def get_config(self):
        return {**super().get_config(), **self._hyper()}


class Adafactor(Optimizer):
    def __init__(self, learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3,
                 clip_threshold=1.0, relative_step=True, **kwargs):
        super().__init__(learning_rate, **kwargs)
        if isinstance(beta_2_decay, bool) or not isinstance(beta_2_decay, (int, float)) \
                or beta_2_decay >= 0:
            raise ValueError(f"[Adafactor] beta_2_decay must be a number < 0. Received: "
                             f"beta_2_decay={beta_2_decay!r}")
        self.beta_2_decay = float(beta_2_decay)
        self.epsilon_1 = _number(epsilon_1, "epsilon_1", "Adafactor")
        self.epsilon_2 = _number(epsilon_2, "epsilon_2", "Adafactor")
        if isinstance(clip_threshold, bool) or not isinstance(clip_threshold, (int, float)) \
                or clip_threshold <= 0:
            raise ValueError(f"[Adafactor] clip_threshold must be > 0. Received: "
                             f"clip_threshold={clip_threshold!r}")
        self.clip_threshold = float(clip_threshold)
        if relative_step not in (True, False):
            raise ValueError(f"[Adafactor] relative_step must be a bool. Received: "
                             f"relative_step={relative_step!r}")
        self.relative_step = bool(relative_step)

    def _make(self, params):
        return _Steps(params, _adafactor, lr=self._lr, beta_2_decay=self.beta_2_decay,
                      epsilon_1=self.epsilon_1, epsilon_2=self.epsilon_2,
                      clip_threshold=self.clip_threshold, relative_step=self.relative_step)

    def impl(self, variables):
        impl = super().impl(variables)
        # Keras: 1 / sqrt(t) caps a constant learning rate only (not a schedule's)
        impl.param_groups[0]["relative_step"] = self.relative_step and self._schedule is None
        return impl

    def state_shape(self, key, shape):
        """The shape of state `key` of a variable of `shape` (load_model checks it)."""
        if key == "r":
            return shape[:-1]
        if key == "c":
            return shape[:-2] + shape[-1:]
        return shape

    def get_config(self):
        return {**super().get_config(), "beta_2_decay": self.beta_2_decay,
                "epsilon_1": self.epsilon_1, "epsilon_2": self.epsilon_2,
                "clip_threshold": self.clip_threshold, "relative_step": self.relative_step}
