"""Data-parallel Keras training under MPI, Horovod's `horovod.keras` in shape:

    import pyengine.distributed.keras as hvd
    hvd.init()
    x_train, y_train = hvd.shard((x_train, y_train))
    model.compile(optimizer=hvd.DistributedOptimizer(keras.optimizers.Adam(1e-3 * hvd.size())),
                  loss=..., metrics=[...])
    model.fit(x_train, y_train, batch_size=64, epochs=5, verbose=hvd.verbose(),
              callbacks=[hvd.callbacks.BroadcastGlobalVariablesCallback(0),
                         hvd.callbacks.MetricAverageCallback(),
                         *hvd.root_only([keras.callbacks.ModelCheckpoint("ckpt.npz")])])

fit then trains one model: every rank reads its shard, the optimizer averages the gradients
of each step across ranks before applying them, and the weights stay bitwise identical.
The progress bar (verbose) and checkpoints belong to rank 0 only: verbose() and root_only()."""
from ... import keras as _keras
from .. import _mpi
from .._mpi import barrier, init, local_rank, local_size, rank, size  # noqa: F401
from ..collectives import Average, Sum, allgather, allreduce, broadcast  # noqa: F401
from ..reducer import GradientReducer
from ..sharding import DistributedSampler, shard  # noqa: F401
from ...tensor import Tensor
from . import callbacks  # noqa: F401
from .callbacks import BroadcastGlobalVariablesCallback, MetricAverageCallback  # noqa: F401


class _DistributedApply:
    """Mixed in before the wrapped Keras optimizer's class: average, then apply."""

    def apply_gradients(self, grads_and_vars):
        pairs = list(grads_and_vars)
        grads = [None if g is None else (g._data if isinstance(g, Tensor) else g) for g, _ in pairs]
        reduced = self._reducer.reduce(grads, [v._data for _, v in pairs])
        super().apply_gradients([(None if g is None else Tensor._wrap(g), v)
                                 for g, (_, v) in zip(reduced, pairs)])


_classes = {}


def DistributedOptimizer(optimizer, deterministic=False, op=Average):
    """Wrap a Keras optimizer (object or name such as 'adam'): apply_gradients first averages
    (op=Average) or sums (op=Sum) the gradients across ranks, in one packed buffer per dtype.
    Returns an object of a subclass of the optimizer's class, so compile() accepts it.
    deterministic=True: the average is bitwise ((g_0 + g_1) + ... + g_{n-1}) / n, as for
    pyengine.distributed.DistributedOptimizer.

    >>> model.compile(optimizer=hvd.DistributedOptimizer(keras.optimizers.SGD(0.01)), loss="mse")
    """
    optimizer = _keras.optimizers.get(optimizer)
    if not isinstance(optimizer, _keras.optimizers.Optimizer):
        raise TypeError(f"[DistributedOptimizer] expected a Keras optimizer, got "
                        f"{type(optimizer).__name__} (pe.optim optimizers: "
                        "pyengine.distributed.DistributedOptimizer)")
    if isinstance(optimizer, _DistributedApply):
        raise ValueError("[DistributedOptimizer] the optimizer is already distributed")
    _mpi.comm()  # init() must have run
    base = type(optimizer)
    cls = _classes.get(base)
    if cls is None:
        cls = _classes[base] = type(f"Distributed{base.__name__}", (_DistributedApply, base),
                                    {"__module__": __name__, "__doc__": base.__doc__})
    dist = object.__new__(cls)
    dist.__dict__.update(optimizer.__dict__)
    dist._reducer = GradientReducer(op, deterministic)
    return dist


def verbose(level=1, root_rank=0):
    """`level` on root_rank, 0 elsewhere: fit(..., verbose=hvd.verbose()) prints one progress
    bar for the job instead of one per rank."""
    return level if _mpi.rank() == root_rank else 0


def root_only(callbacks, root_rank=0):
    """`callbacks` on root_rank, [] elsewhere: for callbacks that write (ModelCheckpoint,
    CSVLogger, TensorBoard). Callbacks that communicate (MetricAverageCallback) go on every
    rank."""
    return list(callbacks) if _mpi.rank() == root_rank else []
