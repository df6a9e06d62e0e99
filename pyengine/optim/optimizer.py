"""Optimizer base: parameter groups, lazily created per-parameter state, zero_grad and
state_dict / load_state_dict in PyTorch's layout.

A subclass validates its hyperparameters in ``__init__`` and implements ``_step_group(group)``,
which gathers the group's parameters that have a gradient, creates missing state and makes ONE
fused kernel call (backend.cpu.<algo>_step, csrc/optim) that updates all of them in place.

Steady state: a subclass that also implements ``_step_foreach(group, datas, grads, states)``
(backend.cpu.<algo>_foreach) skips that per-parameter gathering. After a general step in which
every parameter of a group had a gradient, the group's *plan* remembers its parameters and
their state dicts; the next steps hand the arrays and those dicts to one C++ call, which reads
the buffers from the dicts, increments their "step" and updates every tensor with the same
kernels in the same order (same bits). The plan is dropped when the group's parameters change
(a new list, or the list edited) or ``self.state`` is replaced (load_state_dict); a missing grad, a grad needing a copy
(other dtype, not C-contiguous) or a state dict lacking a buffer sends that step down the
general path. Replace a parameter's state through load_state_dict, not by rebinding
``opt.state[p]`` to a new dict.
"""
import copy
from operator import is_ as _is

import numpy as np

from ..autograd import no_grad
from ..tensor import Tensor


def _check(ok, message):
    if not ok:
        raise ValueError(message)


def check_lr(lr):
    """lr: a number, or torch's Tensor lr (1 element; the schedulers then write it in place,
    and it keeps its value between steps, as with torch.compile's optimizer recipes)."""
    if isinstance(lr, Tensor):
        _check(lr.numel() == 1, "Tensor lr must be 1-element")
        value = lr.item()
    else:
        value = lr
    _check(isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0.0,
           f"Invalid learning rate: {lr}")


def scalar(value):
    """A group's hyperparameter as the kernels take it: a Tensor lr as its Python number."""
    return value.item() if isinstance(value, Tensor) else value


def set_group_value(group, key, value):
    """group[key] = value, except that a Tensor there (a Tensor lr) is filled in place, so the
    Tensor the program passed keeps following the schedule (torch's _update_param_group_val)."""
    current = group.get(key)
    if isinstance(current, Tensor):
        current.fill_(scalar(value))
    else:
        group[key] = value


def copy_value(value):
    """A Tensor lr's clone (initial_lr, get_last_lr() must not move with the schedule)."""
    return value.clone() if isinstance(value, Tensor) else value


def check_nonneg(value, what):
    _check(isinstance(value, (int, float)) and value >= 0.0, f"Invalid {what} value: {value}")


def check_impl_options(name, foreach=None, fused=None, capturable=False, differentiable=False):
    """torch's implementation switches. foreach / fused choose between torch's per-tensor,
    multi-tensor and fused kernels, and capturable keeps the step count on the device for CUDA
    graphs: all give the same update, which pyengine computes with its one fused C++ kernel.
    differentiable=True (autograd through step()) changes what step does and is refused."""
    for arg, value in (("foreach", foreach), ("fused", fused)):
        if value not in (None, True, False):
            raise TypeError(f"[{name}] {arg} must be None or a bool, got {value!r}")
    if capturable not in (True, False):
        raise TypeError(f"[{name}] capturable must be a bool, got {capturable!r}")
    if fused and foreach:
        raise RuntimeError(f"[{name}] `fused` and `foreach` cannot be `True` together.")
    if differentiable is True:
        raise NotImplementedError(f"[{name}] differentiable=True (autograd through the "
                                  "optimizer step) is not supported")
    if differentiable is not False:
        raise TypeError(f"[{name}] differentiable must be a bool, got {differentiable!r}")


class Optimizer:
    """Base class. ``params``: an iterable of Tensors, or of dicts (parameter groups) each with a
    ``"params"`` entry and any per-group hyperparameter overriding ``defaults``."""

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = {}
        self._plans = {}  # index of a parameter group -> (params, n, self.state, state dicts)
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError(f"[{type(self).__name__}] params must be an iterable of Tensors or "
                            f"dicts, got a Tensor")
        groups = list(params)
        if not groups:
            raise ValueError(f"[{type(self).__name__}] got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(g.items()) if k != "params"]
        return "\n".join(lines + [")"])

    def add_param_group(self, group):
        if not isinstance(group, dict):
            raise TypeError(f"[{type(self).__name__}] a parameter group must be a dict, got "
                            f"{type(group).__name__}")
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"[{type(self).__name__}] can only optimize Tensors, got "
                                f"{type(p).__name__}")
            # torch's rule: a frozen (requires_grad=False) parameter may sit in a group (it
            # gets no gradient, so steps skip it until it is unfrozen); a non-leaf may not
            if not p.is_leaf and not p._retain_grad:
                raise ValueError(f"[{type(self).__name__}] can't optimize a non-leaf Tensor")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params) or len({id(p) for p in params}) != len(params):
            raise ValueError(f"[{type(self).__name__}] some parameters appear in more than one "
                             "parameter group")
        new = dict(self.defaults)
        new.update(group)
        new["params"] = params
        self.param_groups.append(new)

    def zero_grad(self, set_to_none=True):
        """Drop (default) or zero every parameter's gradient."""
        if set_to_none:  # the common case: one store per parameter, nothing else
            for g in self.param_groups:
                for p in g["params"]:
                    p.grad = None
            return
        for g in self.param_groups:
            for p in g["params"]:
                if p.grad is not None:
                    p.grad._data[...] = 0

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure() if given."""
        loss = None
        if closure is not None:
            from ..autograd import enable_grad
            with enable_grad():
                loss = closure()
        for i, group in enumerate(self.param_groups):
            # the planned step reads arrays and runs one kernel call: no graph to keep out
            if not self._step_planned(i, group):
                with no_grad():
                    self._step_group(group)
                self._make_plan(i, group)
        return loss

    def _step_group(self, group):
        raise NotImplementedError

    _step_foreach = None  # (group, datas, grads, states) -> bool: False when the general path is needed

    def _step_planned(self, i, group):
        """The steady-state step of group i through its plan: True when done."""
        plan = self._plans.get(i)
        if plan is None or self._step_foreach is None:
            return False
        params = group["params"]
        # the same parameters in the same order (a list edited in place counts: the saved state
        # dicts would belong to other tensors); one C-level pass of identity tests
        if (plan[1] != len(params) or plan[2] is not self.state
                or not all(map(_is, params, plan[0]))):
            del self._plans[i]
            return False
        try:
            grads = [p.grad._data for p in params]
        except AttributeError:  # a grad is None
            return False
        return self._step_foreach(group, [p._data for p in params], grads, plan[3])

    def _make_plan(self, i, group):
        """After a general step: a plan for group i when every parameter had a gradient."""
        params = group["params"]
        if self._step_foreach is None or any(p.grad is None for p in params):
            self._plans.pop(i, None)
            return
        state = self.state
        self._plans[i] = (tuple(params), len(params), state, [state[p] for p in params])

    def _with_grads(self, group):
        """(params, their data arrays, their grad arrays, their state dicts) for the params of
        `group` that have a gradient; state dicts are created empty on first use."""
        ps, datas, grads, states = [], [], [], []
        state = self.state
        for p in group["params"]:
            g = p.grad
            if g is None:
                continue
            st = state.get(p)
            if st is None:
                st = state[p] = {}
            ps.append(p)
            datas.append(p._data)
            gd = g._data
            grads.append(gd if gd.flags.c_contiguous and gd.dtype == p._data.dtype
                         else np.ascontiguousarray(gd, dtype=p._data.dtype))
            states.append(st)
        return ps, datas, grads, states

    # ---- serialization (PyTorch layout: params replaced by their running index) -----------
    def state_dict(self):
        index, groups, n = {}, [], 0
        for g in self.param_groups:
            ids = []
            for p in g["params"]:
                if id(p) not in index:
                    index[id(p)] = n
                    n += 1
                ids.append(index[id(p)])
            entry = {k: v for k, v in g.items() if k != "params"}
            entry["params"] = ids
            groups.append(entry)
        state = {index[id(p)]: {k: (v.copy() if isinstance(v, np.ndarray) else v)
                                for k, v in s.items()}
                 for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        name = type(self).__name__
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(f"[{name}.load_state_dict] loaded state has {len(groups)} parameter "
                             f"groups, this optimizer has {len(self.param_groups)}")
        for saved, own in zip(groups, self.param_groups):
            if len(saved["params"]) != len(own["params"]):
                raise ValueError(f"[{name}.load_state_dict] a loaded parameter group has "
                                 f"{len(saved['params'])} parameters, this one has "
                                 f"{len(own['params'])}")
        by_index = {}
        for saved, own in zip(groups, self.param_groups):
            for i, p in zip(saved["params"], own["params"]):
                by_index[int(i)] = p
        self.state = {}
        self._plans = {}
        for i, s in state_dict["state"].items():
            p = by_index.get(int(i))
            if p is None:
                continue
            st = {}
            for k, v in s.items():
                if isinstance(v, (np.ndarray, Tensor)):
                    v = np.array(v._data if isinstance(v, Tensor) else v, dtype=p._data.dtype)
                    if v.shape != p._data.shape:
                        raise ValueError(f"[{name}.load_state_dict] state '{k}' has shape "
                                         f"{v.shape}, its parameter {p._data.shape}")
                elif isinstance(v, np.generic):
                    v = v.item()
                st[k] = v
            self.state[p] = st
        for saved, own in zip(groups, self.param_groups):
            for k, v in saved.items():
                if k != "params":
                    own[k] = copy.deepcopy(v.item() if isinstance(v, np.generic) else v)
