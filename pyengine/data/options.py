"""tf.data.Options and Dataset.with_options (keras-io Barlow Twins:
`options.threading.max_intra_op_parallelism = 1; ds.with_options(options)`).

TensorFlow's options tune how a pipeline is executed, not what it yields. pyengine's pipelines
always yield their elements in order (what deterministic=True asks; deterministic=False only
allows reordering) and run their map / prefetch threads themselves, so the threading,
autotune, optimization and slack settings are recorded (`options()` of the dataset
with_options returned gives them back) and change no element. As in TensorFlow, only the known option names can be set: a misspelt one
raises AttributeError instead of being dropped."""


class _Group:
    _fields = {}

    def __init__(self):
        for k, v in self._fields.items():
            object.__setattr__(self, k, v() if isinstance(v, type) else v)

    def __setattr__(self, name, value):
        if name not in self._fields:
            raise AttributeError(f"[data.Options] {type(self).__name__} has no option "
                                 f"'{name}'. Known: {sorted(self._fields)}")
        if isinstance(self._fields[name], type):
            raise AttributeError(f"[data.Options] '{name}' is a group of options; set its "
                                 f"fields instead")
        object.__setattr__(self, name, value)

    def _merge(self, other):
        for k, v in self._fields.items():
            mine, theirs = getattr(self, k), getattr(other, k)
            if isinstance(v, type):
                mine._merge(theirs)
            elif theirs is not None:
                object.__setattr__(self, k, theirs)

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={getattr(self, k)!r}' for k in self._fields)})"


class ThreadingOptions(_Group):
    _fields = {"max_intra_op_parallelism": None, "private_threadpool_size": None}


class AutotuneOptions(_Group):
    _fields = {"enabled": None, "cpu_budget": None, "ram_budget": None}


class OptimizationOptions(_Group):
    _fields = {"apply_default_optimizations": None, "map_and_batch_fusion": None,
               "map_parallelization": None, "noop_elimination": None,
               "parallel_batch": None, "shuffle_and_repeat_fusion": None,
               "filter_parallelization": None, "inject_prefetch": None}


class DistributeOptions(_Group):
    _fields = {"auto_shard_policy": None, "num_devices": None}


class Options(_Group):
    """tf.data.Options: threading, autotune, experimental_optimization,
    experimental_distribute, deterministic, experimental_deterministic (its old name),
    experimental_slack, experimental_external_state_policy."""
    _fields = {"threading": ThreadingOptions, "autotune": AutotuneOptions,
               "experimental_optimization": OptimizationOptions,
               "experimental_distribute": DistributeOptions, "deterministic": None,
               "experimental_deterministic": None, "experimental_slack": None,
               "experimental_external_state_policy": None,
               "experimental_warm_start": None, "experimental_symbolic_checkpoint": None}

    def merge(self, options):
        out = Options()
        out._merge(self)
        out._merge(options)
        return out
