"""keras.optimizers.schedules: learning rate as a function of the optimizer's step count
(`optimizer.iterations`, the number of updates made). A Keras optimizer given a schedule as
learning_rate evaluates it before every update. Keras 3's formulas."""
import math


class LearningRateSchedule:
    """Base: ``schedule(step) -> learning rate``; get_config / from_config round trip."""

    def __call__(self, step):
        raise NotImplementedError(f"[{type(self).__name__}] must define __call__(step)")

    def get_config(self):
        return dict(self._config)

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def _store(self, **config):
        self._config = config
        self.__dict__.update(config)


def _positive(value, what, owner):
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"[{owner}] {what} must be > 0. Received: {what}={value!r}")


class ExponentialDecay(LearningRateSchedule):
    """initial_learning_rate * decay_rate ** (step / decay_steps) (integer division when
    staircase)."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        _positive(decay_steps, "decay_steps", "ExponentialDecay")
        self._store(initial_learning_rate=initial_learning_rate, decay_steps=decay_steps,
                    decay_rate=decay_rate, staircase=staircase, name=name)

    def __call__(self, step):
        p = step / self.decay_steps
        return self.initial_learning_rate * self.decay_rate ** (math.floor(p) if self.staircase
                                                                else p)


class InverseTimeDecay(LearningRateSchedule):
    """initial_learning_rate / (1 + decay_rate * step / decay_steps) (floored when staircase)."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="InverseTimeDecay"):
        _positive(decay_steps, "decay_steps", "InverseTimeDecay")
        self._store(initial_learning_rate=initial_learning_rate, decay_steps=decay_steps,
                    decay_rate=decay_rate, staircase=staircase, name=name)

    def __call__(self, step):
        p = step / self.decay_steps
        return self.initial_learning_rate / (1 + self.decay_rate *
                                             (math.floor(p) if self.staircase else p))


class PiecewiseConstantDecay(LearningRateSchedule):
    """values[0] while step <= boundaries[0], values[1] while step <= boundaries[1], ...,
    values[-1] after the last boundary."""

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(values) != len(boundaries) + 1:
            raise ValueError(f"[PiecewiseConstantDecay] the length of boundaries should be 1 less "
                             f"than the length of values. Received: boundaries={boundaries}, "
                             f"values={values}")
        if list(boundaries) != sorted(boundaries):
            raise ValueError(f"[PiecewiseConstantDecay] boundaries must be increasing: "
                             f"{boundaries}")
        self._store(boundaries=list(boundaries), values=list(values), name=name)

    def __call__(self, step):
        for b, v in zip(self.boundaries, self.values):
            if step <= b:
                return v
        return self.values[-1]


class PolynomialDecay(LearningRateSchedule):
    """(initial - end) * (1 - step / decay_steps) ** power + end, step capped at decay_steps
    (with cycle: decay_steps grows to the next multiple of itself)."""

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
                 cycle=False, name="PolynomialDecay"):
        _positive(decay_steps, "decay_steps", "PolynomialDecay")
        self._store(initial_learning_rate=initial_learning_rate, decay_steps=decay_steps,
                    end_learning_rate=end_learning_rate, power=power, cycle=cycle, name=name)

    def __call__(self, step):
        steps = self.decay_steps
        if self.cycle:
            steps = steps * max(1, math.ceil(step / steps))
        else:
            step = min(step, steps)
        return (self.initial_learning_rate - self.end_learning_rate) * \
            (1 - step / steps) ** self.power + self.end_learning_rate


class CosineDecay(LearningRateSchedule):
    """Optional linear warmup from initial_learning_rate to warmup_target over warmup_steps,
    then cosine decay over decay_steps to alpha times the peak:
    peak * ((1 - alpha) * 0.5 * (1 + cos(pi * min(s, decay_steps) / decay_steps)) + alpha)."""

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        _positive(decay_steps, "decay_steps", "CosineDecay")
        self._store(initial_learning_rate=initial_learning_rate, decay_steps=decay_steps,
                    alpha=alpha, name=name, warmup_target=warmup_target,
                    warmup_steps=warmup_steps)

    def __call__(self, step):
        peak = self.initial_learning_rate
        if self.warmup_target is not None:
            if step < self.warmup_steps:
                return peak + (self.warmup_target - peak) * step / self.warmup_steps
            peak, step = self.warmup_target, step - self.warmup_steps
        s = min(step, self.decay_steps)
        cosine = 0.5 * (1 + math.cos(math.pi * s / self.decay_steps))
        return peak * ((1 - self.alpha) * cosine + self.alpha)


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR, Loshchilov & Hutter 2016): the first period
    lasts first_decay_steps, each next one t_mul times longer and starting m_mul times lower;
    within a period initial_learning_rate * ((1 - alpha) * 0.5 * m_mul^i * (1 + cos(pi * f))
    + alpha), f the fraction of period i done."""

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0,
                 alpha=0.0, name="SGDRDecay"):
        _positive(first_decay_steps, "first_decay_steps", "CosineDecayRestarts")
        _positive(t_mul, "t_mul", "CosineDecayRestarts")
        if isinstance(m_mul, bool) or not isinstance(m_mul, (int, float)) or m_mul < 0:
            raise ValueError(f"[CosineDecayRestarts] m_mul must be >= 0. Received: m_mul={m_mul!r}")
        self._store(initial_learning_rate=initial_learning_rate,
                    first_decay_steps=first_decay_steps, t_mul=t_mul, m_mul=m_mul, alpha=alpha,
                    name=name)

    def __call__(self, step):
        fraction = step / self.first_decay_steps
        if self.t_mul == 1.0:
            i = math.floor(fraction)
            fraction -= i
        else:
            i = math.floor(math.log(1.0 - fraction * (1.0 - self.t_mul)) / math.log(self.t_mul))
            done = (1.0 - self.t_mul ** i) / (1.0 - self.t_mul)
            fraction = (fraction - done) / self.t_mul ** i
        cosine = 0.5 * self.m_mul ** i * (1.0 + math.cos(math.pi * fraction))
        return self.initial_learning_rate * ((1 - self.alpha) * cosine + self.alpha)


def serialize(schedule):
    return {"class_name": type(schedule).__name__, "config": schedule.get_config()}


def deserialize(config):
    classes = {c.__name__: c for c in (ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay,
                                       PolynomialDecay, CosineDecay, CosineDecayRestarts)}
    name = config.get("class_name")
    if name not in classes:
        raise ValueError(f"[schedules] unknown schedule {name!r}; known: {sorted(classes)}")
    return classes[name].from_config(config["config"])
