"""PyTorch's DistributedDataParallel on MPI: wraps a module so that every backward() leaves, on
every rank, the gradients averaged over the ranks (the same packed reduction as
DistributedOptimizer, reducer.py), and the optimizer is the plain one.

How the reduction is triggered: construction broadcasts rank 0's parameters and buffers and puts
a gradient hook on each parameter that requires one. A forward under grad mode (outside
no_sync()) arms the wrapper; the first hook that fires in the next backward() queues one
callback (autograd.queue_callback) that runs when that backward has written every .grad, and
averages them all in one collective per dtype. Gradients accumulated under no_sync() are averaged
with the next synchronised backward's, as in PyTorch. A parameter that received no gradient on
some rank is an error unless find_unused_parameters=True (then that rank contributes zeros, and a
parameter no rank used keeps grad None); every rank decides from the same reduced counts, so all
raise together instead of one waiting in a collective."""
import contextlib
import weakref

from ..autograd import is_grad_enabled, queue_callback
from ..nn.module import Module
from ..tensor import Tensor
from . import _mpi
from .collectives import Average, bcast_into, broadcast_parameters
from .process_group import _check_group
from .reducer import GradientReducer

_WHAT = "DistributedDataParallel"


def _bool(name, value):
    if not isinstance(value, bool):
        raise TypeError(f"[{_WHAT}] {name} must be True or False, got {value!r}")
    return value


def _on_grad(ref, g):
    ddp = ref()
    if ddp is not None and ddp._armed and not ddp._queued and queue_callback(ddp._synchronize):
        ddp._queued = True


class DistributedDataParallel(Module):
    """DistributedDataParallel(module, device_ids=None, output_device=None, dim=0,
    broadcast_buffers=True, process_group=None, bucket_cap_mb=None,
    find_unused_parameters=False, check_reduction=False, gradient_as_bucket_view=False,
    static_graph=False)

    The module runs as is on each rank (its own CPU process); `.module` is the wrapped module
    and the wrapper's state_dict() keys start with 'module.', as in PyTorch.

    device_ids / output_device: CUDA devices in PyTorch; must be None here (CPU ranks).
    dim: the scatter dimension of PyTorch's single-process multi-device mode, which a CPU
    module does not use (PyTorch ignores it too); checked to be an int.
    broadcast_buffers: before each forward, rank 0's buffers (BatchNorm statistics) overwrite
    the others'.
    bucket_cap_mb: the gradients are reduced in pieces of at most this many MiB (one
    MPI_Allreduce each); None: one piece per dtype.
    find_unused_parameters: allow parameters that take no part in the loss (see the module doc).
    check_reduction: deprecated in PyTorch, where it does nothing; only False is accepted.
    gradient_as_bucket_view: .grad becomes a view of the reduction buffer (no copy; the buffer
    is reused by the next reduction) instead of a fresh array.
    static_graph: PyTorch caches its graph analysis; pyengine analyses no graph to cache, so
    True and False behave alike (both correct for a static graph).

    >>> dist.init_process_group("gloo")                  # mpiexec -n 2 python train.py
    >>> model = DDP(Net())
    >>> opt = pe.optim.SGD(model.parameters(), lr=0.01)
    >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0,
                 broadcast_buffers=True, process_group=None, bucket_cap_mb=None,
                 find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"[{_WHAT}] module must be a pyengine.nn.Module, got "
                            f"{type(module).__name__}")
        if device_ids or output_device is not None:
            raise ValueError(f"[{_WHAT}] device_ids={device_ids!r} / output_device="
                             f"{output_device!r} name CUDA devices; pyengine's ranks train "
                             f"CPU modules: leave both None")
        if not isinstance(dim, int) or isinstance(dim, bool):
            raise TypeError(f"[{_WHAT}] dim must be an int, got {dim!r}")
        _check_group(process_group, _WHAT)
        bucket_bytes = None
        if bucket_cap_mb is not None:
            if isinstance(bucket_cap_mb, bool) or not isinstance(bucket_cap_mb, (int, float)) \
                    or not bucket_cap_mb > 0:
                raise ValueError(f"[{_WHAT}] bucket_cap_mb must be a positive number, got "
                                 f"{bucket_cap_mb!r}")
            bucket_bytes = max(1, int(bucket_cap_mb * 2 ** 20))
        if _bool("check_reduction", check_reduction):
            raise ValueError(f"[{_WHAT}] check_reduction=True is deprecated in PyTorch and has "
                             f"no effect there; pass find_unused_parameters instead")
        self.find_unused_parameters = _bool("find_unused_parameters", find_unused_parameters)
        self.broadcast_buffers = _bool("broadcast_buffers", broadcast_buffers)
        self.gradient_as_bucket_view = _bool("gradient_as_bucket_view", gradient_as_bucket_view)
        self.static_graph = _bool("static_graph", static_graph)
        self.dim = dim
        _mpi.comm()  # init_process_group() / init() must have run
        self.module = module
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        if not named:
            raise RuntimeError(f"[{_WHAT}] the module has no parameter that requires a "
                               f"gradient: there is nothing to synchronise")
        for n, p in named:
            if p.device.type != "cpu":
                raise ValueError(f"[{_WHAT}] parameter '{n}' is on {p.device}; pyengine's "
                                 f"ranks train CPU modules")
        self._names = [n for n, _ in named]
        object.__setattr__(self, "_params", [p for _, p in named])  # not registered twice
        self._reducer = GradientReducer(op=Average, what=_WHAT, bucket_bytes=bucket_bytes)
        self.require_backward_grad_sync = True
        self._armed = self._queued = False
        broadcast_parameters(module.state_dict(), root_rank=0)
        ref = weakref.ref(self)
        self._hook_handles = [p.register_hook(lambda g, ref=ref: _on_grad(ref, g))
                              for p in self._params]

    def forward(self, *inputs, **kwargs):
        if self.broadcast_buffers and _mpi.size() > 1:
            buffers = [b._data for b in self.module.buffers()]
            if buffers:
                bcast_into(buffers, 0)
        if is_grad_enabled() and self.require_backward_grad_sync:
            self._armed, self._queued = True, False
        return self.module(*inputs, **kwargs)

    @contextlib.contextmanager
    def no_sync(self):
        """Backward passes inside keep their gradients on this rank (accumulated into .grad);
        the first synchronised backward after it averages the accumulated gradients."""
        before = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = before

    def _synchronize(self):
        """The callback queued by the first gradient hook of an armed backward."""
        self._armed = self._queued = False
        params = self._params
        reduced = self._reducer.reduce([None if p.grad is None else p.grad._data for p in params],
                                       [p._data for p in params])
        n = _mpi.size()
        if not self.find_unused_parameters:
            missing = [name for name, c in zip(self._names, self._reducer.counts) if c < n]
            if missing:
                shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
                raise RuntimeError(
                    f"[{_WHAT}] {len(missing)} parameter(s) received no gradient on at least "
                    f"one rank ({shown}): they took no part in producing the loss. Pass "
                    f"find_unused_parameters=True when some parameters may be unused in a step")
        for p, g in zip(params, reduced):
            if g is not None:
                p.grad = Tensor._wrap(g if self.gradient_as_bucket_view else g.copy(), p.device)

    def extra_repr(self):
        return f"world_size={_mpi.size()}"
