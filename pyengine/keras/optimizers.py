"""Keras optimizers (Keras 3 names, arguments and defaults) as configurations of pe.optim: each
holds one pe.optim instance (SGD, Adam, AdamW, RMSprop, Adagrad), so every update rule exists
once (csrc/optim, one fused kernel call per step). The pe.optim instance is created at the first
`apply_gradients`, over the variables it is given (Keras optimizers learn their variables late).

Honoured on every optimizer: `weight_decay` (decoupled, as Keras: p -= lr * wd * p before the
update; Adam with weight_decay is exactly AdamW), `clipnorm` (each gradient to that norm),
`global_clipnorm` (all gradients together, nn.utils.clip_grad_norm_), `clipvalue` (elementwise,
nn.utils.clip_grad_value_). learning_rate may be a keras.optimizers.schedules object.
Variables with a constraint (keras.constraints) are projected by it after each update.
use_ema=True keeps an exponential moving average of every updated variable (Keras' rule: the
average starts at the variable after its first update, then average = ema_momentum * average
+ (1 - ema_momentum) * variable after each); ema_overwrite_frequency=N copies the averages into
the variables every N updates, and `finalize_variable_values` (which fit calls at its end) copies
them in for good. Keras 2's `decay=` becomes InverseTimeDecay(lr, 1, decay): each update uses
lr / (1 + decay * iterations). Rejected with an error: loss_scale_factor,
gradient_accumulation_steps.
Update rules are PyTorch's, which differ from Keras only in where epsilon enters Adam's and
RMSprop's denominators (see docs/keras.md).

    >>> opt = pe.keras.optimizers.Adam(learning_rate=1e-3, clipnorm=1.0)
    >>> opt.apply_gradients(zip(grads, model.trainable_weights))
"""
import numpy as np

from .. import optim as _optim
from ..autograd import no_grad
from ..nn import utils as _nn_utils
from ..tensor import Tensor
from . import constraints as _constraints
from . import schedules as _schedules
from .learning_rate_value import LearningRateValue
from . import schedules  # noqa: F401  (keras.optimizers.schedules)
from .utils import resolve


def _number(value, what, owner, low=0.0, high=None, high_open=False):
    if not isinstance(value, (int, float, np.integer, np.floating)) or isinstance(value, bool) \
            or value < low or (high is not None and (value >= high if high_open else value > high)):
        bound = "" if high is None else f" and {'<' if high_open else '<='} {high}"
        raise ValueError(f"[{owner}] {what} must be a number >= {low}{bound}. Received: "
                         f"{what}={value!r}")
    return float(value)


def _scalar(value):
    """A schedule's 0-d tensor / array result (a custom schedule written with tf ops, e.g.
    keras-io ShiftViT's WarmUpCosine returns tf.where(...)) as its number."""
    if isinstance(value, (Tensor, np.ndarray)) and np.ndim(getattr(value, "_data", value)) == 0:
        return np.asarray(getattr(value, "_data", value)).item()
    return value


class IterationCount(int):
    """optimizer.iterations: a Python int (arithmetic, comparisons, int(), formats) that also
    answers the variable Keras keeps it in: `.numpy()` (an int64 scalar, TF's
    custom_training_walkthrough prints optimizer.iterations.numpy()) and `.dtype`."""

    def numpy(self):
        return np.int64(self)

    @property
    def dtype(self):
        from ..dtypes import int64
        return int64


class Optimizer:
    """Base: `apply_gradients(zip(grads, vars))` updates `vars` in place with one call of the
    configured pe.optim algorithm; `iterations` counts the calls."""

    @property
    def iterations(self):
        return IterationCount(self.__dict__.get("_iterations", 0))

    @iterations.setter
    def iterations(self, value):
        self._iterations = int(value)

    def __init__(self, learning_rate=0.001, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        owner = type(self).__name__
        if "lr" in kwargs:  # Keras 2 spelling, common in tutorials
            learning_rate = kwargs.pop("lr")
        decay = kwargs.pop("decay", 0.0)
        if decay:  # Keras 2: lr / (1 + decay * iterations), i.e. InverseTimeDecay(lr, 1, decay)
            decay = _number(decay, "decay", owner)
            if isinstance(learning_rate, _schedules.LearningRateSchedule):
                raise ValueError(f"[{owner}] decay= (Keras 2) cannot be combined with a "
                                 "learning-rate schedule; put the decay in the schedule")
            learning_rate = _schedules.InverseTimeDecay(_number(
                learning_rate, "learning_rate", owner), decay_steps=1, decay_rate=decay)
        if kwargs.pop("jit_compile", True) not in (True, False, "auto"):
            raise ValueError(f"[{owner}] jit_compile must be a bool")
        if kwargs:
            raise TypeError(f"[{owner}] unrecognized arguments: {sorted(kwargs)}")
        if loss_scale_factor:
            raise ValueError(f"[{owner}] loss_scale_factor is not supported. Received: "
                             f"loss_scale_factor={loss_scale_factor!r}")
        if gradient_accumulation_steps is not None and (
                isinstance(gradient_accumulation_steps, bool) or
                not isinstance(gradient_accumulation_steps, (int, np.integer)) or
                gradient_accumulation_steps < 2):
            raise ValueError(f"[{owner}] gradient_accumulation_steps must be an int >= 2 or "
                             f"None. Received: gradient_accumulation_steps="
                             f"{gradient_accumulation_steps!r}")
        # Keras 3: the variables change every gradient_accumulation_steps calls of
        # apply_gradients, with the mean of that many gradients; `iterations` counts every call
        self.gradient_accumulation_steps = gradient_accumulation_steps and \
            int(gradient_accumulation_steps)
        self._accumulated = {}  # variable -> the sum of its gradients since the last update
        if clipnorm is not None and global_clipnorm is not None:
            raise ValueError(f"[{owner}] only one of clipnorm and global_clipnorm can be set")
        self.learning_rate = learning_rate
        self.weight_decay = None if weight_decay is None else \
            _number(weight_decay, "weight_decay", owner)
        self.clipnorm = None if clipnorm is None else _number(clipnorm, "clipnorm", owner)
        self.global_clipnorm = None if global_clipnorm is None else \
            _number(global_clipnorm, "global_clipnorm", owner)
        self.clipvalue = None if clipvalue is None else _number(clipvalue, "clipvalue", owner)
        if not isinstance(use_ema, (bool, np.bool_)):
            raise ValueError(f"[{owner}] use_ema must be a bool. Received: use_ema={use_ema!r}")
        self.use_ema = bool(use_ema)
        self.ema_momentum = _number(ema_momentum, "ema_momentum", owner, 0.0, 1.0)
        if ema_overwrite_frequency is not None and (
                not isinstance(ema_overwrite_frequency, (int, np.integer))
                or isinstance(ema_overwrite_frequency, bool) or ema_overwrite_frequency < 1):
            raise ValueError(f"[{owner}] ema_overwrite_frequency must be None or a positive "
                             f"integer. Received: ema_overwrite_frequency="
                             f"{ema_overwrite_frequency!r}")
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self._averages = {}  # variable -> its moving average (an array), with use_ema
        self.name = name or type(self).__name__.lower()
        self.iterations = 0
        self._impl = None  # the pe.optim instance, made at the first apply_gradients

    @property
    def learning_rate(self):
        # a float with Keras' Variable.assign; under a schedule, the rate the next update will
        # use (Keras: schedule(iterations)), not the one the last update used
        if self._schedule is not None:
            return LearningRateValue(_scalar(self._schedule(self.iterations)), self)
        return LearningRateValue(self._lr, self)

    @learning_rate.setter
    def learning_rate(self, value):
        # a keras.optimizers.schedules object is evaluated at `iterations` before each update
        self._schedule = value if isinstance(value, _schedules.LearningRateSchedule) else None
        if self._schedule is not None:
            value = _scalar(self._schedule(getattr(self, "iterations", 0)))
        elif callable(value) and not isinstance(value, (int, float)):
            raise ValueError(f"[{type(self).__name__}] learning_rate must be a number or a "
                             "keras.optimizers.schedules.LearningRateSchedule")
        self._lr = _number(value, "learning_rate", type(self).__name__)
        if getattr(self, "_impl", None) is not None:
            self._impl.param_groups[0]["lr"] = self._lr

    lr = learning_rate

    # ---- the pe.optim algorithm ------------------------------------------------------------
    def _decoupled_in_algorithm(self):
        return False  # True where the pe.optim class applies the weight decay itself (AdamW)

    def _make(self, params):
        raise NotImplementedError

    def impl(self, variables):
        """The pe.optim instance, its one parameter group set to `variables` (its per-variable
        state persists across calls, keyed by variable)."""
        if self._impl is None:
            placeholder = Tensor._from_data(np.zeros(1, np.float32), requires_grad=True)
            self._impl = self._make([v for v in variables if v.requires_grad] or [placeholder])
        self._impl.param_groups[0]["params"] = list(variables)
        return self._impl

    def build(self, variables):
        self.impl(variables)

    def apply_gradients(self, grads_and_vars):
        """Updates each variable with its gradient (Tensors or arrays; None entries skipped)."""
        pairs = [(g, v) for g, v in grads_and_vars if g is not None]
        if not pairs:
            return
        variables = [v for _, v in pairs]
        grads = []
        for g, v in pairs:
            a = g._data if isinstance(g, Tensor) else np.asarray(g)
            if a.shape != v._data.shape:
                raise ValueError(f"[{self.name}] a gradient has shape {a.shape}, its variable "
                                 f"{getattr(v, 'path', '')} {v._data.shape}")
            clip = self.clipnorm or self.clipvalue or self.global_clipnorm
            a = np.array(a, np.float32, copy=bool(clip) or not a.flags.c_contiguous)
            grads.append(Tensor._wrap(a))
        if self.gradient_accumulation_steps and not self._accumulate(variables, grads):
            if self.use_ema:  # Keras 3 averages (and constrains) after every call
                self._update_averages(variables)
            _constraints.apply(variables)
            self.iterations += 1
            return
        if self._schedule is not None:
            self._lr = _number(_scalar(self._schedule(self.iterations)), "learning_rate",
                               self.name)
        impl = self.impl(variables)
        impl.param_groups[0]["lr"] = self._lr
        saved = [v.grad for v in variables]
        try:
            for v, g in zip(variables, grads):
                v.grad = g
            self._clip(variables)  # nn.utils' clipping reads the variables' .grad (copies here)
            with no_grad():
                if self.weight_decay and not self._decoupled_in_algorithm():
                    for v in variables:
                        v._data *= np.float32(1.0 - self._lr * self.weight_decay)
                impl.step()
        finally:
            for v, g in zip(variables, saved):
                v.grad = g
        if self.use_ema:
            self._update_averages(variables)
        _constraints.apply(variables)  # Keras' order: after the update and the averages
        self.iterations += 1

    def _accumulate(self, variables, grads):
        """gradient_accumulation_steps: adds this call's gradients to the sums; on every
        gradient_accumulation_steps-th call replaces `grads` in place by the mean of the summed
        gradients, resets the sums and returns True (the variables are updated now). The
        update's own counters (Adam's bias correction) count updates, as PyTorch's do; Keras 3
        counts calls there."""
        steps = self.gradient_accumulation_steps
        update = (self.iterations + 1) % steps == 0
        for i, (v, g) in enumerate(zip(variables, grads)):
            acc = self._accumulated.get(v)
            if update:
                total = g._data if acc is None else acc + g._data
                grads[i] = Tensor._wrap((total / np.float32(steps)).astype(np.float32))
                self._accumulated.pop(v, None)
            elif acc is None:
                self._accumulated[v] = g._data.copy()
            else:
                acc += g._data
        return update

    # ---- use_ema ----------------------------------------------------------------------------
    def _update_averages(self, variables):
        """Keras' order: average the just-updated variables, then (every
        ema_overwrite_frequency updates) copy the averages into them."""
        m = self.ema_momentum
        for v in variables:
            avg = self._averages.get(v)
            if avg is None:  # the first update: the average starts at the variable
                self._averages[v] = v._data.copy()
            else:
                avg *= m
                avg += (1.0 - m) * v._data
        freq = self.ema_overwrite_frequency
        if freq and (self.iterations + 1) % freq == 0:
            self.finalize_variable_values(variables)

    def finalize_variable_values(self, var_list):
        """With use_ema: each variable of var_list takes its moving average's value (variables
        this optimizer never updated are left as they are). fit calls it when training ends."""
        if not self.use_ema:
            return
        for v in var_list:
            avg = self._averages.get(v)
            if avg is not None:
                v._data[...] = avg

    def apply(self, grads, trainable_variables):
        self.apply_gradients(zip(grads, trainable_variables))

    def _clip(self, variables):
        if self.clipvalue is not None:
            _nn_utils.clip_grad_value_(variables, self.clipvalue)
        if self.clipnorm is not None:
            for v in variables:
                _nn_utils.clip_grad_norm_([v], self.clipnorm)
        if self.global_clipnorm is not None:
            _nn_utils.clip_grad_norm_(variables, self.global_clipnorm)

    def variable_state(self, variable):
        """pe.optim's state dict of `variable` (moments, step), created empty if new."""
        return self.impl([variable]).state.setdefault(variable, {})

    def get_config(self):
        return {"name": self.name, "learning_rate": self._lr, "weight_decay": self.weight_decay,
                "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm,
                "clipvalue": self.clipvalue, "use_ema": self.use_ema,
                "ema_momentum": self.ema_momentum,
                "ema_overwrite_frequency": self.ema_overwrite_frequency,
                "gradient_accumulation_steps": self.gradient_accumulation_steps}


class SGD(Optimizer):
    """pe.optim.SGD: v = momentum * v + g ; p -= lr * v (nesterov: p -= lr * (g + momentum v)),
    which is Keras' rule with its velocity scaled by -lr."""

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.momentum = _number(momentum, "momentum", "SGD", 0.0, 1.0)
        if nesterov and self.momentum == 0.0:
            raise ValueError("[SGD] nesterov=True needs a momentum > 0. Received: momentum=0")
        self.nesterov = bool(nesterov)

    def _make(self, params):
        return _optim.SGD(params, lr=self._lr, momentum=self.momentum, nesterov=self.nesterov)


class Adam(Optimizer):
    """pe.optim.Adam (with weight_decay: pe.optim.AdamW, Keras' decoupled decay)."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1 = _number(beta_1, "beta_1", "Adam", 0.0, 1.0, high_open=True)
        self.beta_2 = _number(beta_2, "beta_2", "Adam", 0.0, 1.0, high_open=True)
        self.epsilon = _number(epsilon, "epsilon", "Adam")
        self.amsgrad = bool(amsgrad)

    def _decoupled_in_algorithm(self):
        return True

    def _make(self, params):
        cls = _optim.AdamW if self.weight_decay else _optim.Adam
        return cls(params, lr=self._lr, betas=(self.beta_1, self.beta_2), eps=self.epsilon,
                   weight_decay=self.weight_decay or 0.0, amsgrad=self.amsgrad)


class AdamW(Adam):
    """pe.optim.AdamW; Keras' default weight_decay=0.004."""

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad,
                         weight_decay=weight_decay, **kwargs)

    def _make(self, params):
        return _optim.AdamW(params, lr=self._lr, betas=(self.beta_1, self.beta_2),
                            eps=self.epsilon, weight_decay=self.weight_decay or 0.0,
                            amsgrad=self.amsgrad)


class RMSprop(Optimizer):
    """pe.optim.RMSprop: s = rho s + (1 - rho) g^2 ; p -= lr g / (sqrt(s) + eps) (momentum and
    centered as in PyTorch)."""

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
                 **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho = _number(rho, "rho", "RMSprop", 0.0, 1.0, high_open=True)
        self.momentum = _number(momentum, "momentum", "RMSprop", 0.0, 1.0)
        self.epsilon = _number(epsilon, "epsilon", "RMSprop")
        self.centered = bool(centered)

    def _make(self, params):
        return _optim.RMSprop(params, lr=self._lr, alpha=self.rho, eps=self.epsilon,
                              momentum=self.momentum, centered=self.centered)


class Adagrad(Optimizer):
    """pe.optim.Adagrad: sum += g^2 ; p -= lr g / (sqrt(sum) + eps), sum starting at
    initial_accumulator_value."""

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.initial_accumulator_value = _number(initial_accumulator_value,
                                                 "initial_accumulator_value", "Adagrad")
        self.epsilon = _number(epsilon, "epsilon", "Adagrad")

    def _make(self, params):
        return _optim.Adagrad(params, lr=self._lr, eps=self.epsilon,
                              initial_accumulator_value=self.initial_accumulator_value)


_TABLE = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSprop, "adagrad": Adagrad}
# Keras 2's lowercase aliases (`keras.optimizers.rmsprop(lr=1e-4, decay=1e-6)`)
sgd, adam, rmsprop, adagrad = SGD, Adam, RMSprop, Adagrad


def get(identifier):
    return resolve("optimizer", identifier, _TABLE, (Optimizer,))


# ---- Adadelta / Adamax / Nadam (pe.optim's fused kernels; keras/optimizers_extra.py) ---------
from .optimizers_extra import Adadelta, Adamax, Nadam  # noqa: E402

_TABLE.update({"adadelta": Adadelta, "adamax": Adamax, "nadam": Nadam})
adadelta, adamax, nadam = Adadelta, Adamax, Nadam

# ---- Lamb (Keras 3; NumPy update with the trust ratio, keras/optimizers_lamb.py) ------------
from .optimizers_lamb import Lamb  # noqa: E402

_TABLE["lamb"] = Lamb

# ---- Lion / Ftrl / Adafactor (Keras 3 rules in NumPy, keras/optimizers_more.py) -------------
from .optimizers_more import Adafactor, Ftrl, Lion  # noqa: E402

_TABLE.update({"lion": Lion, "ftrl": Ftrl, "adafactor": Adafactor})
