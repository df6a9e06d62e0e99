"""Keras callbacks of data-parallel training (Horovod's names)."""
import numpy as np

from ...keras.callbacks import Callback
from .. import _mpi
from ..collectives import agree, allreduce, bcast_into, broadcast_object


class BroadcastGlobalVariablesCallback(Callback):
    """At the start of fit, overwrite every rank's weights (trainable and not) and optimizer
    state with root_rank's, so that all ranks train the same model from the same start; and check
    that every rank will run as many steps per epoch (else ValueError on every rank).

    >>> model.fit(x, y, callbacks=[hvd.callbacks.BroadcastGlobalVariablesCallback(0)])
    """

    def __init__(self, root_rank=0):
        super().__init__()
        _mpi.check_root(root_rank, "BroadcastGlobalVariablesCallback")
        self.root_rank = root_rank

    def on_train_begin(self, logs=None):
        # Each step is a collective: a rank with more steps per epoch would wait forever.
        steps = (self.params or {}).get("steps")
        if steps is not None:
            agree(steps, "BroadcastGlobalVariablesCallback", "number of steps per epoch (give "
                  "every rank as many samples: pyengine.distributed.shard)")
        model = self.model
        weights = [w._data for w in model.weights]
        agree([(w.shape, w.dtype.str) for w in weights], "BroadcastGlobalVariablesCallback",
              "model weights (shapes and dtypes)")
        bcast_into(weights, self.root_rank)
        broadcast_keras_optimizer_state(model.optimizer, model.trainable_weights, self.root_rank)


def broadcast_keras_optimizer_state(optimizer, variables, root_rank=0):
    """root_rank's step count and per-variable state (moments) of `variables` on every rank.
    The state is found by duck typing: ``variable_state(v)`` (a pe.optim state dict per
    variable) or ``slots(v)`` (a list of arrays per variable)."""
    iterations = broadcast_object(int(optimizer.iterations), root_rank)
    optimizer.iterations = iterations
    if iterations == 0:
        return  # no state yet on root: it is created, all zeros, at the first step
    if callable(getattr(optimizer, "variable_state", None)):
        states = [optimizer.variable_state(v) for v in variables]
        root = broadcast_object([dict(s) for s in states] if _mpi.rank() == root_rank else None,
                                root_rank)
        for state, new in zip(states, root):
            state.clear()
            state.update(new)
    elif callable(getattr(optimizer, "slots", None)):
        bcast_into([s for v in variables for s in optimizer.slots(v) if s is not None],
                   root_rank)
    else:
        raise TypeError(f"[BroadcastGlobalVariablesCallback] cannot find the state of a "
                        f"{type(optimizer).__name__} (no variable_state() or slots())")


class MetricAverageCallback(Callback):
    """At each epoch end, replace every logged value (loss, metrics, val_*) by its average over
    the ranks, so that callbacks after it (EarlyStopping, ModelCheckpoint, History) see one value
    for the job. Put it before them in the callbacks list. With equal shards (shard()), the
    averaged loss is the loss over all ranks' samples (up to the wrap-around padding)."""

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        keys = sorted(logs)
        agree(keys, "MetricAverageCallback", "logged names")
        values = allreduce(np.array([float(logs[k]) for k in keys], dtype=np.float64))
        for k, v in zip(keys, values):
            logs[k] = float(v)
