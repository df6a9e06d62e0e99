"""DistributedOptimizer for pe.optim optimizers and broadcast_optimizer_state.

DistributedOptimizer(opt) returns an object of a subclass of type(opt) ("DistributedAdam"), so
that isinstance checks, learning-rate schedulers and state_dict keep working; it shares opt's
parameter groups and state. Its step() first averages every parameter's gradient across ranks
(reducer.py: one packed buffer per dtype), then runs the wrapped algorithm's step unchanged.

Where the reduction starts: after backward, in step() (DistributedDataParallel starts it at the
end of backward, from autograd.queue_callback). Overlapping it with backward would need a
call-back as each leaf's gradient is written, while the walk goes on; the measured communication
share, and what an overlap could gain, are in docs/distributed.md."""
from ..autograd import enable_grad
from ..optim.optimizer import Optimizer
from ..tensor import Tensor
from . import _mpi
from .collectives import Average, broadcast_object
from .reducer import GradientReducer


class _DistributedStep:
    """Mixed in before the wrapped optimizer's class: reduce gradients, then step."""

    def synchronize(self):
        """Average the gradients now (e.g. before clipping them); the next step() then does not
        reduce them again."""
        if _mpi.size() == 1:  # the average of one gradient is that gradient
            self._synchronized = True
            return
        params = [p for group in self.param_groups for p in group["params"]]
        for p in params:
            if p.device.type != "cpu":
                raise ValueError(f"[DistributedOptimizer] parameters must be on the CPU, one is "
                                 f"on {p.device}")
        reduced = self._reducer.reduce([None if p.grad is None else p.grad._data for p in params],
                                       [p._data for p in params])
        for p, g in zip(params, reduced):
            p.grad = None if g is None else Tensor._wrap(g, p.device)
        self._synchronized = True

    def step(self, closure=None):
        """closure() (if given, to recompute the loss and gradients), the gradient average
        across ranks, then one step of the wrapped algorithm; returns the closure's loss."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        if not self._synchronized:
            self.synchronize()
        self._synchronized = False
        super().step()
        return loss


_classes = {}


def DistributedOptimizer(optimizer, named_parameters=None, *, deterministic=False, op=Average):
    """Wrap a pe.optim optimizer for data-parallel training under MPI.

    Each step() averages (op=Average, default) or sums (op=Sum) the gradients over all ranks,
    then applies the update: with the same starting weights (broadcast_parameters) every rank
    ends every step with bitwise identical parameters.
    named_parameters (Horovod's argument, e.g. ``model.named_parameters()``): when given, it must
    name every parameter of the optimizer exactly once (checked, as Horovod does).
    deterministic=True fixes the summation order: the averaged gradient is bitwise
    ``((g_0 + g_1) + ... + g_{n-1}) / n`` in the gradients' dtype, g_r being rank r's batch
    gradient, whatever the MPI library's algorithm (docs/distributed.md states the contract).

    >>> opt = hvd.DistributedOptimizer(pe.optim.SGD(model.parameters(), lr=0.01 * hvd.size()))
    >>> hvd.broadcast_parameters(model.state_dict(), root_rank=0)
    >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"[DistributedOptimizer] expected a pyengine.optim optimizer, got "
                        f"{type(optimizer).__name__} (Keras optimizers: "
                        "pyengine.distributed.keras.DistributedOptimizer)")
    if isinstance(optimizer, _DistributedStep):
        raise ValueError("[DistributedOptimizer] the optimizer is already distributed")
    _mpi.comm()  # init() must have run: fail here rather than at the first step
    if named_parameters is not None:
        _check_named(optimizer, named_parameters)
    base = type(optimizer)
    cls = _classes.get(base)
    if cls is None:
        cls = _classes[base] = type(f"Distributed{base.__name__}", (_DistributedStep, base),
                                    {"__module__": __name__, "__doc__": base.__doc__})
    dist = object.__new__(cls)
    dist.__dict__.update(optimizer.__dict__)  # the same param_groups and state objects
    dist._reducer = GradientReducer(op, deterministic)
    dist._synchronized = False
    return dist


def _check_named(optimizer, named_parameters):
    pairs = list(named_parameters)
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"[DistributedOptimizer] named_parameters has duplicate names: {dup}")
    named = {id(t) for _, t in pairs}
    unnamed = sum(id(p) not in named for g in optimizer.param_groups for p in g["params"])
    if unnamed:
        raise ValueError(f"[DistributedOptimizer] named_parameters was given, but {unnamed} of the "
                         "optimizer's parameters are not in it")


def broadcast_optimizer_state(optimizer, root_rank=0):
    """Overwrite every rank's optimizer state (moments, step counts, hyperparameters) with
    root_rank's, e.g. after root_rank resumed from a checkpoint. Arrays travel as raw buffers.

    >>> hvd.broadcast_optimizer_state(optimizer, root_rank=0)
    """
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"[broadcast_optimizer_state] expected a pyengine.optim optimizer, got "
                        f"{type(optimizer).__name__} (Keras: BroadcastGlobalVariablesCallback)")
    _mpi.check_root(root_rank, "broadcast_optimizer_state")
    mine = optimizer.state_dict() if _mpi.rank() == root_rank else None
    state = broadcast_object(mine, root_rank)
    if _mpi.rank() != root_rank:
        optimizer.load_state_dict(state)
