"""tf.distribute in one process (`import pyengine as tf`): the strategy objects TensorFlow
programs create at start-up, on pyengine's one CPU replica.

What TensorFlow itself does on a machine without GPUs or TPUs: MirroredStrategy() mirrors over
the devices it finds, the CPU alone, so num_replicas_in_sync is 1; scope() leaves variables where
they would be anyway; run(fn) calls fn once on that replica; reduce() of a per-replica value is
the value itself (reduced over `axis` when one is given); a distributed dataset yields the
dataset's own batches. Every strategy here behaves so. Asking for hardware pyengine does not
drive (a GPU device, a TPU, several workers in TF_CONFIG) raises with the reason, and the TPU
probe of the keras-io programs (TPUClusterResolver in a try / except ValueError) falls back to
get_strategy() as on a machine without a TPU. Training across processes is pyengine.distributed
(MPI; Keras: pyengine.distributed.keras)."""
import contextlib
import json
import os
import threading

_CPU = "/job:localhost/replica:0/task:0/device:CPU:0"


class ReduceOp:
    """tf.distribute.ReduceOp: how per-replica values combine."""
    SUM = "SUM"
    MEAN = "MEAN"


def _reduce_op(op, what):
    name = getattr(op, "name", op)
    if isinstance(name, str) and name.upper() in (ReduceOp.SUM, ReduceOp.MEAN):
        return name.upper()
    raise ValueError(f"[distribute.{what}] reduce_op must be tf.distribute.ReduceOp.SUM or MEAN "
                     f"(or 'SUM' / 'MEAN'), got {op!r}")


def _is_cpu(device):
    """'/cpu:0', 'CPU:0', '/device:CPU:0', '/job:localhost/replica:0/task:0/device:CPU:0'."""
    if not isinstance(device, str):
        raise TypeError(f"[distribute] a device must be a string such as '/cpu:0', got "
                        f"{type(device).__name__}")
    last = device.strip().split("/")[-1].lower()
    if last.startswith("device:"):
        last = last[len("device:"):]
    kind, _, index = last.partition(":")
    if kind == "cpu" and index in ("", "0"):
        return True
    if kind in ("gpu", "tpu", "cpu"):
        return False
    raise ValueError(f"[distribute] cannot parse the device {device!r}: expected e.g. '/cpu:0'")


def _check_devices(devices, what):
    for d in devices:
        if not _is_cpu(d):
            raise ValueError(f"[distribute.{what}] device {d!r}: pyengine's replica runs on the "
                             f"CPU ('/cpu:0'); it drives no GPU or TPU here")


class InputContext:
    """What distribute_datasets_from_function passes its function: one input pipeline, one
    replica."""

    def __init__(self, num_input_pipelines=1, input_pipeline_id=0, num_replicas_in_sync=1):
        self.num_input_pipelines = num_input_pipelines
        self.input_pipeline_id = input_pipeline_id
        self.num_replicas_in_sync = num_replicas_in_sync

    def get_per_replica_batch_size(self, global_batch_size):
        if global_batch_size % self.num_replicas_in_sync:
            raise ValueError(f"[distribute.InputContext] the global batch size "
                             f"({global_batch_size}) is not divisible by num_replicas_in_sync "
                             f"({self.num_replicas_in_sync})")
        return global_batch_size // self.num_replicas_in_sync


class ReplicaContext:
    """The context fn sees inside Strategy.run (get_replica_context()): replica 0 of 1."""

    def __init__(self, strategy):
        self.strategy = strategy
        self.num_replicas_in_sync = 1
        self.replica_id_in_sync_group = 0
        self.devices = (_CPU,)

    def all_reduce(self, reduce_op, value, options=None):
        """SUM and MEAN over one replica: the value itself."""
        _reduce_op(reduce_op, "ReplicaContext.all_reduce")
        return value

    def merge_call(self, merge_fn, args=(), kwargs=None):
        return merge_fn(self.strategy, *args, **(kwargs or {}))


class _State(threading.local):
    strategy = None   # the strategy whose scope() is open in this thread
    replica = None    # the ReplicaContext while Strategy.run runs fn


_state = _State()


class _Extended:
    def __init__(self):
        self.worker_devices = (_CPU,)
        self.parameter_devices = (_CPU,)


class Strategy:
    """The one-replica strategy every class below is (see the module doc)."""

    def __init__(self):
        self.extended = _Extended()

    @property
    def num_replicas_in_sync(self):
        return 1

    @contextlib.contextmanager
    def scope(self):
        """Variables created inside live where they always do (the one replica's CPU); inside,
        get_strategy() returns this strategy."""
        outer = _state.strategy
        if outer is not None and outer is not self:
            raise ValueError("[distribute.Strategy.scope] mixing different strategies: another "
                             "strategy's scope is open")
        _state.strategy = self
        try:
            yield self
        finally:
            _state.strategy = outer

    def run(self, fn, args=(), kwargs=None, options=None):
        """fn(*args, **kwargs) on the one replica; its result is the per-replica value."""
        if not callable(fn):
            raise TypeError(f"[distribute.Strategy.run] fn must be callable, got "
                            f"{type(fn).__name__}")
        outer = _state.replica
        _state.replica = ReplicaContext(self)
        try:
            with self.scope():
                return fn(*args, **(kwargs or {}))
        finally:
            _state.replica = outer

    def reduce(self, reduce_op, value, axis=None):
        """A per-replica value combined over the replicas (one: the value), then, when axis is
        given, summed or averaged along that axis as TensorFlow does."""
        op = _reduce_op(reduce_op, "Strategy.reduce")
        if axis is None:
            return value
        from . import tf_names
        return (tf_names.reduce_sum if op == ReduceOp.SUM else tf_names.reduce_mean)(
            value, axis=axis)

    def experimental_distribute_dataset(self, dataset, options=None):
        """The dataset itself: its batches are the one replica's batches."""
        return dataset

    def distribute_datasets_from_function(self, dataset_fn, options=None):
        return dataset_fn(InputContext())

    experimental_distribute_datasets_from_function = distribute_datasets_from_function

    def experimental_local_results(self, value):
        return (value,)

    def gather(self, value, axis):
        return value

    def __repr__(self):
        return f"<pyengine.distribute.{type(self).__name__}: 1 replica (CPU)>"


class MirroredStrategy(Strategy):
    """tf.distribute.MirroredStrategy(devices=None, cross_device_ops=None): mirrors over the
    devices found, here the CPU: one replica. Naming a GPU raises."""

    def __init__(self, devices=None, cross_device_ops=None):
        super().__init__()
        if devices is not None:
            devices = [devices] if isinstance(devices, str) else list(devices)
            if not devices:
                raise ValueError("[distribute.MirroredStrategy] devices is empty")
            _check_devices(devices, "MirroredStrategy")
        if cross_device_ops is not None and not isinstance(cross_device_ops, CrossDeviceOps):
            raise TypeError(f"[distribute.MirroredStrategy] cross_device_ops must be a "
                            f"tf.distribute.CrossDeviceOps, got {type(cross_device_ops).__name__}")
        self.cross_device_ops = cross_device_ops


class OneDeviceStrategy(Strategy):
    def __init__(self, device):
        super().__init__()
        _check_devices([device], "OneDeviceStrategy")


class MultiWorkerMirroredStrategy(MirroredStrategy):
    """One worker (no TF_CONFIG, or a cluster of one worker) is a MirroredStrategy on this
    machine, as in TensorFlow; several workers raise: use pyengine.distributed (MPI)."""

    def __init__(self, cluster_resolver=None, communication_options=None):
        if cluster_resolver is not None:
            raise ValueError("[distribute.MultiWorkerMirroredStrategy] cluster_resolver: "
                             "pyengine trains across machines with pyengine.distributed (MPI; "
                             "Keras: pyengine.distributed.keras), not TensorFlow's cluster")
        workers = _tf_config_workers()
        if workers > 1:
            raise ValueError(f"[distribute.MultiWorkerMirroredStrategy] TF_CONFIG names "
                             f"{workers} workers: pyengine trains across processes with "
                             f"pyengine.distributed (mpiexec -n N; Keras: "
                             f"pyengine.distributed.keras, docs/distributed.md)")
        super().__init__()


def _tf_config_workers():
    text = os.environ.get("TF_CONFIG", "")
    if not text.strip():
        return 1
    try:
        cluster = json.loads(text).get("cluster", {})
    except (ValueError, AttributeError):
        raise ValueError(f"[distribute] TF_CONFIG is not a JSON object: {text[:80]!r}") from None
    return sum(len(cluster.get(k, ())) for k in ("chief", "worker")) or 1


class TPUStrategy(Strategy):
    def __init__(self, tpu_cluster_resolver=None, experimental_device_assignment=None,
                 experimental_spmd_xla_partitioning=False):
        raise ValueError("[distribute.TPUStrategy] no TPU: pyengine runs on CPUs (use "
                         "tf.distribute.get_strategy())")


class CrossDeviceOps:
    """The all-reduce algorithms MirroredStrategy accepts. With one replica there is nothing
    to reduce across devices, so which one is chosen cannot change a result."""


def _num_packs(cls, num_packs):
    if not isinstance(num_packs, int) or isinstance(num_packs, bool) or num_packs < 0:
        raise ValueError(f"[distribute.{cls}] num_packs must be a non-negative int, got "
                         f"{num_packs!r}")
    return num_packs


class ReductionToOneDevice(CrossDeviceOps):
    def __init__(self, reduce_to_device=None, accumulation_fn=None):
        if reduce_to_device is not None:
            _check_devices([reduce_to_device], "ReductionToOneDevice")
        self.reduce_to_device, self.accumulation_fn = reduce_to_device, accumulation_fn


class HierarchicalCopyAllReduce(CrossDeviceOps):
    def __init__(self, num_packs=1):
        self.num_packs = _num_packs("HierarchicalCopyAllReduce", num_packs)


class NcclAllReduce(CrossDeviceOps):
    def __init__(self, num_packs=1):
        self.num_packs = _num_packs("NcclAllReduce", num_packs)


class _DefaultStrategy(Strategy):
    pass


_default = _DefaultStrategy()


def get_strategy():
    """The strategy whose scope() is open, else the default (one replica)."""
    return _state.strategy or _default


def has_strategy():
    return _state.strategy is not None


def in_cross_replica_context():
    return _state.replica is None and _state.strategy is not None


def get_replica_context():
    """Inside Strategy.run: the replica's context. Outside any scope: the default strategy's
    replica context (as TensorFlow). In a scope, outside run: None (cross-replica)."""
    if _state.replica is not None:
        return _state.replica
    return None if _state.strategy is not None else ReplicaContext(_default)


class _TPUClusterResolver:
    """tf.distribute.cluster_resolver.TPUClusterResolver: there is no TPU, so creating or
    connecting one raises ValueError, which the usual probe catches."""

    def __init__(self, tpu=None, *args, **kwargs):
        raise ValueError("[distribute.cluster_resolver.TPUClusterResolver] no TPU found: "
                         "pyengine runs on CPUs")

    @classmethod
    def connect(cls, tpu=None, *args, **kwargs):
        raise ValueError("[distribute.cluster_resolver.TPUClusterResolver] no TPU found: "
                         "pyengine runs on CPUs")


class cluster_resolver:  # noqa: N801  (TensorFlow's module name)
    TPUClusterResolver = _TPUClusterResolver


class experimental:  # noqa: N801
    TPUStrategy = TPUStrategy
    MultiWorkerMirroredStrategy = MultiWorkerMirroredStrategy


__all__ = ["ReduceOp", "InputContext", "ReplicaContext", "Strategy", "MirroredStrategy",
           "OneDeviceStrategy", "MultiWorkerMirroredStrategy", "TPUStrategy", "CrossDeviceOps",
           "ReductionToOneDevice", "HierarchicalCopyAllReduce", "NcclAllReduce", "get_strategy",
           "has_strategy", "in_cross_replica_context", "get_replica_context", "cluster_resolver",
           "experimental"]
