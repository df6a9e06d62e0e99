"""torch.optim.swa_utils: Stochastic Weight Averaging and EMA of a model's weights.

    swa_model = AveragedModel(model)                      # a copy holding the running average
    swa_scheduler = SWALR(optimizer, swa_lr=0.05)         # anneal lr to swa_lr
    for epoch in range(epochs):
        train_one_epoch(model, optimizer)
        if epoch >= swa_start:
            swa_model.update_parameters(model)            # average += (w - average) / (n + 1)
            swa_scheduler.step()
    update_bn(loader, swa_model)                          # BatchNorm statistics of the average

The formulas are PyTorch's (tests/test_torch_names_more.py checks them against a NumPy running
average): the default average is the equal-weight mean of every update's weights, avg_fn /
multi_avg_fn replace it (get_ema_avg_fn / get_ema_multi_avg_fn give an exponential moving
average), use_buffers=True averages the buffers too, otherwise they are copied from the model."""
import copy
import itertools
import math
import numbers

import numpy as np

from .. import autograd as _autograd
from ..nn import Module
from ..tensor import Tensor
from .lr_scheduler import LRScheduler

__all__ = ["AveragedModel", "SWALR", "update_bn", "get_ema_avg_fn", "get_ema_multi_avg_fn",
           "get_swa_avg_fn", "get_swa_multi_avg_fn"]


def _set(dst, value):
    """dst's values = value (a Tensor or array), in place and unrecorded (the parameters of an
    averaged model are written outside autograd)."""
    v = value._data if isinstance(value, Tensor) else np.asarray(value)
    with _autograd.no_grad():
        dst.copy_(Tensor._wrap(np.asarray(v).astype(dst._data.dtype, copy=False)))


def _n(num_averaged):
    return float(num_averaged.item() if isinstance(num_averaged, Tensor) else num_averaged)


def get_ema_multi_avg_fn(decay=0.999):
    """An in-place update of lists of averaged and current tensors: the EMA
    avg = decay * avg + (1 - decay) * current (integer tensors are copied)."""
    def ema_update(ema_param_list, current_param_list, _num_averaged):
        for e, c in zip(ema_param_list, current_param_list):
            if e._data.dtype.kind == "f":
                _set(e, e._data + (c._data - e._data) * (1.0 - decay))  # lerp, as PyTorch
            else:
                _set(e, c._data)
    return ema_update


def get_swa_multi_avg_fn():
    """An in-place update of lists of averaged and current tensors: the equal-weight running
    mean avg += (current - avg) / (n + 1)."""
    def swa_update(averaged_param_list, current_param_list, num_averaged):
        n = _n(num_averaged)
        for a, c in zip(averaged_param_list, current_param_list):
            if a._data.dtype.kind == "f":
                _set(a, a._data + (c._data - a._data) * (1.0 / (n + 1)))
            else:  # integer buffers (BatchNorm's num_batches_tracked): the mean, truncated
                _set(a, a._data + np.trunc((c._data - a._data) / (n + 1)))
    return swa_update


def get_ema_avg_fn(decay=0.999):
    """avg_fn(averaged, current, num_averaged) -> decay * averaged + (1 - decay) * current."""
    def ema_update(ema_param, current_param, num_averaged):
        return decay * ema_param + (1 - decay) * current_param
    return ema_update


def get_swa_avg_fn():
    """avg_fn(averaged, current, num_averaged) -> averaged + (current - averaged) / (n + 1)."""
    def swa_update(averaged_param, current_param, num_averaged):
        return averaged_param + (current_param - averaged_param) / (_n(num_averaged) + 1)
    return swa_update


class AveragedModel(Module):
    """A deep copy of `model` whose parameters (and, with use_buffers=True, buffers) are the
    running average of the model's over the update_parameters() calls; calling it runs the
    copy. n_averaged (a buffer) counts the updates. The first update copies the weights."""

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if not isinstance(model, Module):
            raise TypeError(f"[AveragedModel] model must be an nn.Module, got "
                            f"{type(model).__name__}")
        if avg_fn is not None and multi_avg_fn is not None:
            raise ValueError("[AveragedModel] only one of avg_fn and multi_avg_fn should be "
                             "provided")
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", Tensor._wrap(np.zeros((), np.int64)))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = bool(use_buffers)

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def _averaged(self, model):
        if self.use_buffers:
            return (list(itertools.chain(self.module.parameters(), self.module.buffers())),
                    list(itertools.chain(model.parameters(), model.buffers())))
        return list(self.module.parameters()), list(model.parameters())

    def update_parameters(self, model):
        """Fold model's current weights into the average (the first call copies them)."""
        mine, theirs = self._averaged(model)
        if len(mine) != len(theirs):
            raise ValueError(f"[AveragedModel.update_parameters] the model has {len(theirs)} "
                             f"parameters{' and buffers' if self.use_buffers else ''}, the "
                             f"averaged copy {len(mine)}")
        for a, c in zip(mine, theirs):
            if tuple(a.shape) != tuple(c.shape):
                raise ValueError(f"[AveragedModel.update_parameters] shape {tuple(c.shape)} does "
                                 f"not match the averaged {tuple(a.shape)}")
        current = [c.detach() for c in theirs]
        n = int(self.n_averaged.item())
        if n == 0:
            for a, c in zip(mine, current):
                _set(a, c)
        elif self.avg_fn is None:
            fn = self.multi_avg_fn or get_swa_multi_avg_fn()
            groups = {}
            for a, c in zip(mine, current):  # PyTorch groups by device and dtype
                groups.setdefault(a._data.dtype, ([], []))
                groups[a._data.dtype][0].append(a.detach())
                groups[a._data.dtype][1].append(c)
            for avg_list, cur_list in groups.values():
                fn(avg_list, cur_list, self.n_averaged.clone())
        else:
            for a, c in zip(mine, current):
                with _autograd.no_grad():
                    _set(a, self.avg_fn(a.detach(), c, self.n_averaged.clone()))
        if not self.use_buffers:  # the buffers follow the model's
            for b, mb in zip(self.module.buffers(), model.buffers()):
                _set(b, mb.detach())
        self.n_averaged._data[...] = n + 1


def update_bn(loader, model, device=None):
    """One pass over loader (batches, or tuples / lists whose first item is the batch) in
    train mode to recompute every BatchNorm's running statistics as the plain average over
    the pass (momentum None), then restore the momenta and the train/eval mode."""
    from ..nn.layers.normalization import _BatchNorm
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    try:
        with _autograd.no_grad():
            for batch in loader:
                if isinstance(batch, (list, tuple)):
                    batch = batch[0]
                if device is not None:
                    batch = batch.to(device)
                model(batch)
    finally:
        for module, m in momenta.items():
            module.momentum = m
        model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's lr to swa_lr over anneal_epochs steps ('cos' or 'linear'), then
    hold it (PyTorch's formula, which starts from the lr each group has at every step)."""

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos",
                 last_epoch=-1):
        groups = optimizer.param_groups if hasattr(optimizer, "param_groups") else None
        if groups is None:
            raise TypeError(f"[SWALR] expected an Optimizer, got {type(optimizer).__name__}")
        if isinstance(swa_lr, (list, tuple)):
            if len(swa_lr) != len(groups):
                raise ValueError(f"[SWALR] swa_lr must have the same length as "
                                 f"optimizer.param_groups: expected {len(groups)}, got "
                                 f"{len(swa_lr)}")
            swa_lrs = list(swa_lr)
        else:
            swa_lrs = [swa_lr] * len(groups)
        for lr in swa_lrs:
            if isinstance(lr, bool) or not isinstance(lr, numbers.Real):
                raise TypeError(f"[SWALR] swa_lr must be a number or a list of numbers, got "
                                f"{lr!r}")
        for lr, group in zip(swa_lrs, groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"[SWALR] anneal_strategy must be one of 'cos' or 'linear', instead "
                             f"got {anneal_strategy!r}")
        self.anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else \
            self._linear_anneal
        if isinstance(anneal_epochs, bool) or not isinstance(anneal_epochs, int) or \
                anneal_epochs < 0:
            raise ValueError(f"[SWALR] anneal_epochs must be equal or greater than 0, got "
                             f"{anneal_epochs!r}")
        self.anneal_epochs = anneal_epochs
        self._step_count = 0
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def step(self):
        self._step_count += 1
        super().step()

    def get_lr(self):
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        prev_lrs = [self._get_initial_lr(g["lr"], g["swa_lr"], prev_alpha)
                    for g in self.optimizer.param_groups]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self.anneal_func(t)
        return [g["swa_lr"] * alpha + lr * (1 - alpha)
                for g, lr in zip(self.optimizer.param_groups, prev_lrs)]

    def state_dict(self):
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)
        self.anneal_func = self._cosine_anneal if self.anneal_strategy == "cos" else \
            self._linear_anneal
