"""Schedulers made of schedulers (PyTorch's SequentialLR and ChainedScheduler), over the
closed-form schedulers of lr_scheduler.py."""
import bisect

from .lr_scheduler import LRScheduler
from .optimizer import set_group_value


def _check(schedulers, optimizer, op):
    schedulers = list(schedulers)
    if not schedulers:
        raise ValueError(f"[{op}] needs at least one scheduler")
    for i, s in enumerate(schedulers):
        if not isinstance(s, LRScheduler):
            raise TypeError(f"[{op}] scheduler {i} is a {type(s).__name__}, not an epoch-based "
                            "scheduler (ReduceLROnPlateau cannot be composed)")
        if s.optimizer is not (optimizer or schedulers[0].optimizer):
            raise ValueError(f"[{op}] scheduler {i} drives another optimizer than the others")
    return schedulers


class SequentialLR(LRScheduler):
    """schedulers[0] until milestones[0], then schedulers[1] from its own epoch 0, and so on
    (e.g. LinearLR warm-up, then CosineAnnealingLR). Constructing the schedulers stepped the
    optimizer's rates; as PyTorch, this resets them to the initial rates and restarts the first
    scheduler."""

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        self._schedulers = _check(schedulers, optimizer, "SequentialLR")
        milestones = list(milestones)
        if len(milestones) != len(self._schedulers) - 1:
            raise ValueError(f"[SequentialLR] {len(self._schedulers)} schedulers need "
                             f"{len(self._schedulers) - 1} milestones, got {len(milestones)}")
        if any(b <= a for a, b in zip(milestones, milestones[1:])) or \
                any(m < 1 for m in milestones):
            raise ValueError(f"[SequentialLR] milestones must be positive and increasing, got "
                             f"{milestones}")
        self._milestones = milestones
        for g in optimizer.param_groups:
            if "initial_lr" in g:
                set_group_value(g, "lr", g["initial_lr"])
        for s in self._schedulers:
            s.last_epoch = -1
        self._schedulers[0].step()  # epoch 0 of the first scheduler
        self.optimizer, self.last_epoch = optimizer, last_epoch + 1
        self.base_lrs = list(self._schedulers[0].base_lrs)
        self._last_lr = self._schedulers[0].get_last_lr()

    def step(self):
        self.last_epoch += 1
        idx = bisect.bisect_right(self._milestones, self.last_epoch)
        s = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            s.last_epoch = -1  # this scheduler starts at its own epoch 0
        s.step()
        self._last_lr = s.get_last_lr()

    def state_dict(self):
        out = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        out["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return out

    def load_state_dict(self, state_dict):
        state = dict(state_dict)
        for s, sd in zip(self._schedulers, state.pop("_schedulers")):
            s.load_state_dict(sd)
        self.__dict__.update(state)


class ChainedScheduler(LRScheduler):
    """Every scheduler steps together and their factors multiply: lr = base_lr * prod_i
    (lr_i / base_lr), where lr_i is scheduler i's own closed-form rate. This is PyTorch's
    chained result for the multiplicative schedulers (StepLR, MultiStepLR, ExponentialLR,
    LinearLR, ConstantLR, LambdaLR, PolynomialLR, CosineAnnealingLR with eta_min 0)."""

    def __init__(self, schedulers, optimizer=None):
        self._schedulers = _check(schedulers, optimizer, "ChainedScheduler")
        self.optimizer = optimizer or self._schedulers[0].optimizer
        self.base_lrs = list(self._schedulers[0].base_lrs)
        self.last_epoch = self._schedulers[0].last_epoch
        self._apply()

    def _apply(self):
        lrs = list(self.base_lrs)
        for s in self._schedulers:
            for i, (lr, b) in enumerate(zip(s.get_lr(), s.base_lrs)):
                lrs[i] *= lr / b if b else 0.0
        for g, lr in zip(self.optimizer.param_groups, lrs):
            set_group_value(g, "lr", lr)
        self._last_lr = lrs

    def step(self):
        for s in self._schedulers:
            s.last_epoch += 1
        self.last_epoch += 1
        self._apply()

    state_dict = SequentialLR.state_dict
    load_state_dict = SequentialLR.load_state_dict
