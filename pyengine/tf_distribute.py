"""tf.distribute's default strategy: `tf.distribute.get_strategy()` and `with strategy.scope():`
around model building, as TensorFlow programs write it when no GPU is found (keras-io
tensorflow_numpy_models). One process is one replica here; pyengine's data-parallel training
across processes is pyengine.distributed (MPI, docs/distributed.md), so the multi-device
strategies raise NotImplementedError pointing there."""
import contextlib


class _DefaultDistributionStrategy:
    """The strategy in effect when none is entered: one replica, variables made as usual."""
    num_replicas_in_sync = 1

    @contextlib.contextmanager
    def scope(self):
        yield self

    def run(self, fn, args=(), kwargs=None):
        return fn(*args, **(kwargs or {}))

    def experimental_distribute_dataset(self, dataset, options=None):
        return dataset



_DEFAULT = _DefaultDistributionStrategy()


def get_strategy():
    return _DEFAULT


def has_strategy():
    return False


def _multi(name):
    class Strategy:
        def __init__(self, *args, **kwargs):
            raise NotImplementedError(
                f"[distribute.{name}] pyengine does not split a model across devices of one "
                "process; use pyengine.distributed (MPI data parallel, docs/distributed.md) or "
                "tf.distribute.get_strategy() for one replica")
    Strategy.__name__ = Strategy.__qualname__ = name
    return Strategy


MirroredStrategy = _multi("MirroredStrategy")
MultiWorkerMirroredStrategy = _multi("MultiWorkerMirroredStrategy")
TPUStrategy = _multi("TPUStrategy")
