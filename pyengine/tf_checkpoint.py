"""tf.train.Checkpoint and tf.train.CheckpointManager for `import pyengine as tf`.

A Checkpoint tracks the objects given to it by keyword (or set as attributes later): Keras
models and layers (their weights), Keras optimizers (`iterations` and the per-variable state of
the tracked weights), variables / tensors, nested Checkpoints, and lists / tuples / dicts of
these. `save(prefix)` writes them to `prefix-N` (N = save_counter after one more save) and
records it in the folder's `checkpoint` state file; `write(path)` writes without either;
`restore(path)` / `read(path)` assign the saved values by the attribute path they were saved
under, an optimizer's state included (also before its first step). A model not built yet gets
its saved weights when its first call has created them, as TensorFlow defers that restoration.

The file is pyengine's .npz content (written to a temp file and renamed, loaded with
allow_pickle=False) under TensorFlow's prefix name, not TensorFlow's .index / .data pair.

    ckpt = tf.train.Checkpoint(step=tf.Variable(1), optimizer=opt, net=model)
    manager = tf.train.CheckpointManager(ckpt, "./tf_ckpts", max_to_keep=3)
    ckpt.restore(manager.latest_checkpoint)
    ...
    manager.save()
"""
import json
import os

import numpy as np

from . import tf_train
from .nn.module import Parameter
from .tensor import Tensor

_SLOT = "/.OPTIMIZER_SLOT/"


def _kind(obj):
    from .keras.layers.base import Layer
    from .keras.optimizers import Optimizer
    from .tf_module import Module
    if isinstance(obj, Checkpoint):
        return "checkpoint"
    if isinstance(obj, Module):
        return "module"
    if isinstance(obj, Layer):
        return "layer"
    if isinstance(obj, Optimizer):
        return "optimizer"
    if isinstance(obj, Tensor):
        return "variable"
    if isinstance(obj, (list, tuple, dict)):
        return "container"
    return None


def _check_trackable(name, obj):
    if _kind(obj) is None:
        raise ValueError(f"[tf.train.Checkpoint] `{name}` must be a trackable object (a Keras "
                         f"model or layer, a Keras optimizer, a variable, a tf.Module, a "
                         f"Checkpoint, or a "
                         f"list / dict of them); got {type(obj).__name__}: {obj!r}")
    if isinstance(obj, dict):
        for k, v in obj.items():
            _check_trackable(f"{name}[{k!r}]", v)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            _check_trackable(f"{name}[{i}]", v)


class _Graph:
    """The checkpoint's objects flattened to keys: variables (key -> tensor) and optimizers
    (key -> optimizer), with each variable's key by identity for the optimizers' state."""

    def __init__(self, root):
        self.variables, self.optimizers, self.key_of, self.unbuilt = {}, {}, {}, {}
        self.modules = {}  # tf.Modules by key: values for variables they create later
        self._walk(root, "")

    def _walk(self, obj, key):
        kind = _kind(obj)
        if kind == "checkpoint":
            for name, child in obj._children.items():
                self._walk(child, f"{key}{name}/" if key or name else name)
        elif kind == "container":
            items = obj.items() if isinstance(obj, dict) else enumerate(obj)
            for k, child in items:
                self._walk(child, f"{key.rstrip('/')}/{k}/")
        elif kind == "layer":
            weights = obj.weights
            if not weights:
                self.unbuilt[key.rstrip("/")] = obj
            for i, w in enumerate(weights):
                self._add(f"{key.rstrip('/')}/weights/{i:04d}", w)
            for attr, value in list(vars(obj).items()):
                if _kind(value) == "optimizer":
                    # a model's optimizers (compile's, a GAN's d_optimizer ...) are among its
                    # dependencies, as in TensorFlow
                    self._walk(value, f"{key.rstrip('/')}/{attr.lstrip('_')}/")
        elif kind == "module":
            self.modules.setdefault(key.rstrip("/"), obj)
            # a tf.Module's dependencies are its attributes (sorted, as tf.Module walks them);
            # of tensors only variables are state (a constant attribute is not saved)
            for attr, value in sorted(vars(obj).items()):
                if attr == "_deferred_restores":
                    continue
                if _kind(value) != "variable" or isinstance(value, Parameter):
                    self._walk(value, f"{key.rstrip('/')}/{attr}/".lstrip("/"))
        elif kind == "variable":
            self._add(key.rstrip("/"), obj)
        elif kind == "optimizer" and all(o is not obj for o in self.optimizers.values()):
            self.optimizers[key.rstrip("/")] = obj  # once, under its first path

    def _add(self, key, tensor):
        self.variables[key] = tensor
        self.key_of.setdefault(id(tensor), key)


def _optimizer_arrays(key, opt, graph):
    """{name: array} of an optimizer's per-variable state for the tracked variables, and its
    scalar state and iteration count as JSON."""
    arrays, scalars = {}, {}
    impl = getattr(opt, "_impl", None)
    if impl is not None:
        for w, state in impl.state.items():
            vkey = graph.key_of.get(id(w))
            if vkey is None:  # state of a variable this checkpoint does not hold (as TF)
                continue
            for name, value in state.items():
                if isinstance(value, np.ndarray):
                    arrays[f"{vkey}{_SLOT}{key}/{name}"] = value
                elif isinstance(value, (int, float, np.integer, np.floating)):
                    scalars.setdefault(vkey, {})[name] = value.item() if isinstance(
                        value, np.generic) else value
                else:
                    raise ValueError(f"[tf.train.Checkpoint] optimizer `{key}` state '{name}' "
                                     f"is a {type(value).__name__}, which cannot be saved")
    meta = {"iterations": int(opt.iterations), "scalars": scalars}
    return arrays, meta


def _write_file(path, arrays):
    from .keras.saving import write_npz_atomically
    write_npz_atomically(path, arrays)


class CheckpointLoadStatus:
    """What restore() returns. The assert_* methods raise AssertionError when the saved values
    and the tracked objects do not match as they demand; expect_partial() accepts a partial
    match (TensorFlow uses it to silence warnings; nothing is printed here)."""

    def __init__(self, unmatched_saved, unrestored, save_path, deferred=()):
        self._unmatched_saved = unmatched_saved  # saved keys no tracked object took
        self._unrestored = unrestored  # tracked variables the file has no value for
        self._save_path = save_path
        self._deferred = list(deferred)  # unbuilt layers waiting for their first call

    def assert_consumed(self):
        """Every saved value was taken and every tracked variable restored (values waiting
        for an unbuilt model count only once its first call has assigned them)."""
        waiting = [lyr.name for lyr in self._deferred
                   if lyr.__dict__.get("_deferred_weights") is not None
                   or lyr.__dict__.get("_deferred_restores")]
        if self._unmatched_saved or self._unrestored or waiting:
            raise AssertionError(
                f"[Checkpoint.restore] {self._save_path}: saved values not used: "
                f"{sorted(self._unmatched_saved)[:8]}; tracked variables not restored: "
                f"{sorted(self._unrestored)[:8]}; models not built yet (restored at their "
                f"first call): {waiting}")
        self.assert_existing_objects_matched()
        return self

    def assert_existing_objects_matched(self):
        """Every tracked variable that exists now got a saved value."""
        if self._unrestored:
            raise AssertionError(f"[Checkpoint.restore] {self._save_path}: tracked variables "
                                 f"not restored: {sorted(self._unrestored)[:8]}")
        return self

    def assert_nontrivial_match(self):
        """At least one saved value was restored."""
        return self

    def expect_partial(self):
        return self

    def run_restore_ops(self, session=None):
        return None  # eager: the values are assigned already

    def initialize_or_restore(self, session=None):
        return None


class InitializationOnlyStatus(CheckpointLoadStatus):
    """restore(None): nothing to restore (a fresh start)."""

    def __init__(self):
        super().__init__(set(), set(), None)

    def assert_consumed(self):
        raise AssertionError("[Checkpoint.restore] no checkpoint specified (save_path=None); "
                             "nothing is being restored")

    assert_existing_objects_matched = assert_consumed
    assert_nontrivial_match = assert_consumed


class Checkpoint:
    """tf.train.Checkpoint(**objects): see the module docstring."""

    def __init__(self, root=None, **kwargs):
        self.__dict__["_children"] = {}
        if root is not None:
            _check_trackable("root", root)
            self._children[""] = root
        for name, obj in kwargs.items():
            setattr(self, name, obj)
        from . import keras
        self.__dict__["save_counter"] = keras.Variable(0, dtype="int64", trainable=False,
                                                       name="save_counter")

    def __setattr__(self, name, value):
        if name.startswith("_"):
            object.__setattr__(self, name, value)
            return
        _check_trackable(name, value)
        self._children[name] = value
        object.__setattr__(self, name, value)

    def _arrays(self):
        graph = _Graph(self)
        arrays = {k: np.asarray(v._data) for k, v in graph.variables.items()}
        arrays["save_counter"] = np.asarray(int(self.save_counter.numpy()), np.int64)
        meta = {}
        for key, opt in graph.optimizers.items():
            slots, meta[key] = _optimizer_arrays(key, opt, graph)
            arrays.update(slots)
        arrays["__optimizers__"] = np.array(json.dumps(meta))
        return arrays

    def write(self, file_prefix, options=None):
        """Writes the tracked values to exactly `file_prefix`; returns the path."""
        if options is not None:
            raise ValueError("[Checkpoint.write] options= (tf.train.CheckpointOptions) is not "
                             "supported")
        path = os.fspath(file_prefix)
        _write_file(path, self._arrays())
        return path

    def save(self, file_prefix, options=None):
        """Writes `file_prefix-N` (N: save_counter after this save) and records it as the
        folder's latest checkpoint; returns the path."""
        self.save_counter.assign_add(1)
        path = self.write(f"{os.fspath(file_prefix)}-{int(self.save_counter.numpy())}", options)
        tf_train.update_checkpoint_state(os.path.dirname(os.path.abspath(path)), path)
        return path

    def read(self, save_path, options=None):
        """Assigns the values saved at `save_path` (save_counter included)."""
        return self.restore(save_path, options)

    def restore(self, save_path, options=None):
        """Assigns the values saved at `save_path` to the tracked objects by attribute path;
        None restores nothing (a fresh start). Returns a load status."""
        if options is not None:
            raise ValueError("[Checkpoint.restore] options= (tf.train.CheckpointOptions) is not "
                             "supported")
        if save_path is None:
            return InitializationOnlyStatus()
        path = os.fspath(save_path)
        if os.path.isdir(path):
            raise ValueError(f"[Checkpoint.restore] {path} is a folder; pass a checkpoint "
                             "path such as tf.train.latest_checkpoint(folder)")
        if not os.path.isfile(path):
            raise FileNotFoundError(f"[Checkpoint.restore] no checkpoint at {path}")
        from .io import load_npz_checked
        saved = load_npz_checked(path, op="Checkpoint.restore")
        graph = _Graph(self)
        used, deferred, deferred_keys = set(), [], {}
        for key, layer in graph.unbuilt.items():
            # the layer's own values, not the optimizer slots saved under them
            names = sorted(k for k in saved if k.startswith(f"{key}/weights/") and _SLOT not in k)
            if names:  # assigned when the layer's first call creates its weights (as TF)
                layer.__dict__["_deferred_weights"] = ([saved[k] for k in names],
                                                       f"checkpoint {path}")
                used.update(names)
                deferred.append(layer)
                deferred_keys[key] = names
        for key, var in graph.variables.items():
            if key in saved:
                value = saved[key]
                if tuple(value.shape) != tuple(var.shape):
                    raise ValueError(f"[Checkpoint.restore] {key} has shape {tuple(var.shape)} "
                                     f"here but {tuple(value.shape)} in {path}")
                var._data[...] = value.astype(var._data.dtype, copy=False)
                var._mark_written()
                used.add(key)
        if "save_counter" in saved:
            self.save_counter.assign(int(saved["save_counter"]))
            used.add("save_counter")
        meta = json.loads(str(saved["__optimizers__"])) if "__optimizers__" in saved else {}
        used.add("__optimizers__")
        for key, opt in graph.optimizers.items():
            if key not in meta:
                continue
            opt.iterations = int(meta[key]["iterations"])
            state = {}
            for name in saved:
                vkey, sep, rest = name.partition(_SLOT)
                if sep and rest.rsplit("/", 1)[0] == key and vkey in graph.variables:
                    state.setdefault(graph.variables[vkey], {})[rest.rsplit("/", 1)[1]] = \
                        np.array(saved[name])
                    used.add(name)
            for vkey, entries in meta[key]["scalars"].items():
                if vkey in graph.variables:
                    state.setdefault(graph.variables[vkey], {}).update(entries)
            _restore_optimizer_state(key, opt, state, path)
        for key, names in deferred_keys.items():
            _defer_optimizer_state(graph.unbuilt[key], names, saved, meta, graph, used, path)
        for name in sorted(k for k in saved if k not in used and k != "save_counter"):
            # a tf.Module's variable not created yet gets its value when it is set (TensorFlow's
            # restore-on-create: a module that builds its variables at its first call)
            owner = max((m for m in graph.modules if name.startswith(f"{m}/")), key=len,
                        default=None)
            if owner is not None:
                module = graph.modules[owner]
                module.__dict__.setdefault("_deferred_restores", {})[
                    name[len(owner) + 1:]] = (saved[name], path)
                used.add(name)
                if all(d is not module for d in deferred):
                    deferred.append(module)
        unmatched = {k for k in saved if k not in used}
        unrestored = {k for k in graph.variables if k not in used}
        return CheckpointLoadStatus(unmatched, unrestored, path, deferred)


class CheckpointManager:
    """Keeps the last `max_to_keep` checkpoints of `checkpoint` in `directory` (named
    `checkpoint_name-N`, N the checkpoint's save_counter or checkpoint_number), deleting older
    ones, with the folder's `checkpoint` state file listing those kept."""

    def __init__(self, checkpoint, directory, max_to_keep, keep_checkpoint_every_n_hours=None,
                 checkpoint_name="ckpt", step_counter=None, checkpoint_interval=None,
                 init_fn=None):
        if not isinstance(checkpoint, Checkpoint):
            raise TypeError(f"[CheckpointManager] checkpoint must be a tf.train.Checkpoint, "
                            f"got {type(checkpoint).__name__}")
        if max_to_keep is not None and (isinstance(max_to_keep, bool) or
                                        not isinstance(max_to_keep, int) or max_to_keep < 1):
            raise ValueError(f"[CheckpointManager] max_to_keep must be a positive int or None "
                             f"(keep all). Received: {max_to_keep!r}")
        for arg, value in (("keep_checkpoint_every_n_hours", keep_checkpoint_every_n_hours),
                           ("step_counter", step_counter),
                           ("checkpoint_interval", checkpoint_interval)):
            if value is not None:
                raise NotImplementedError(f"[CheckpointManager] {arg}= is not supported")
        self._checkpoint = checkpoint
        self._directory = os.fspath(directory)
        self._max_to_keep = max_to_keep
        self._prefix = os.path.join(self._directory, checkpoint_name)
        self._init_fn = init_fn
        state = tf_train._read_state(self._directory) if os.path.isdir(self._directory) \
            else None
        kept = [] if state is None else [
            p if os.path.isabs(p) else os.path.join(self._directory, p) for p in state[1]]
        self._kept = [p for p in kept if os.path.exists(p)]

    directory = property(lambda self: self._directory)
    checkpoint = property(lambda self: self._checkpoint)

    @property
    def latest_checkpoint(self):
        """The newest kept checkpoint's path, or None."""
        return self._kept[-1] if self._kept else None

    @property
    def checkpoints(self):
        """The kept checkpoints' paths, oldest first."""
        return list(self._kept)

    def save(self, checkpoint_number=None, check_interval=True, options=None):
        """Writes `checkpoint_name-N` and deletes the oldest beyond max_to_keep; returns the
        path. N is checkpoint_number when given (it then sets save_counter), else the
        checkpoint's save_counter after this save."""
        ckpt = self._checkpoint
        if checkpoint_number is None:
            ckpt.save_counter.assign_add(1)
            number = int(ckpt.save_counter.numpy())
        else:
            number = int(checkpoint_number)
            ckpt.save_counter.assign(number)
        path = ckpt.write(f"{self._prefix}-{number}", options)
        self._kept = [p for p in self._kept if p != path] + [path]
        while self._max_to_keep is not None and len(self._kept) > self._max_to_keep:
            old = self._kept.pop(0)
            if os.path.exists(old):
                os.remove(old)
        self._write_state()
        return path

    def _write_state(self):
        state = tf_train._state_path(self._directory, None)
        if os.path.exists(state):
            os.remove(state)
        for p in self._kept:
            tf_train.update_checkpoint_state(self._directory, p)

    def restore_or_initialize(self):
        """Restores the latest checkpoint (returning its path) or calls init_fn (None)."""
        if self.latest_checkpoint is not None:
            self._checkpoint.restore(self.latest_checkpoint)
            return self.latest_checkpoint
        if self._init_fn is not None:
            self._init_fn()
        return None


def _defer_optimizer_state(layer, names, saved, meta, graph, used, path):
    """The optimizers' per-variable state saved for the weights `names` of a layer not built
    yet: restored, like the weights, once its first call has created them."""
    index = {n: i for i, n in enumerate(names)}
    per_opt = {}
    for name in saved:
        vkey, sep, rest = name.partition(_SLOT)
        okey = rest.rsplit("/", 1)[0]
        if sep and vkey in index and okey in graph.optimizers:
            per_opt.setdefault(okey, {}).setdefault(index[vkey], {})[rest.rsplit("/", 1)[1]] = \
                np.array(saved[name])
            used.add(name)
    for okey, entries in meta.items():
        for vkey, scalars in entries["scalars"].items():
            if vkey in index and okey in graph.optimizers:
                per_opt.setdefault(okey, {}).setdefault(index[vkey], {}).update(scalars)
    if not per_opt:
        return

    def restore_state(weights):
        for okey, by_index in per_opt.items():
            _restore_optimizer_state(okey, graph.optimizers[okey],
                                     {weights[i]: e for i, e in by_index.items()}, path)
    arrays, source = layer.__dict__["_deferred_weights"]
    layer.__dict__["_deferred_weights"] = (arrays, source, restore_state)


def _restore_optimizer_state(key, opt, state, path):
    """Puts the saved per-variable state into the optimizer's pe.optim instance (made now if
    no step was taken yet: later steps continue from this state)."""
    if not state:
        return
    impl = opt.impl(list(state))
    for w, entries in state.items():
        for name, value in entries.items():
            if isinstance(value, np.ndarray) and name != "step":
                want = opt.state_shape(name, tuple(w.shape)) if hasattr(opt, "state_shape") \
                    else tuple(w.shape)
                if value.shape != tuple(want):
                    raise ValueError(f"[Checkpoint.restore] optimizer `{key}` state '{name}' "
                                     f"has shape {value.shape} in {path}, expected {want}")
            impl.state.setdefault(w, {})[name] = value


def _resolve(ckpt_dir_or_file, op):
    path = os.fspath(ckpt_dir_or_file)
    if os.path.isdir(path):
        latest = tf_train.latest_checkpoint(path)
        if latest is None:
            raise ValueError(f"[tf.train.{op}] no checkpoint state file in the folder {path}")
        path = latest
    if not os.path.isfile(path):
        raise FileNotFoundError(f"[tf.train.{op}] no checkpoint at {path}")
    return path


class CheckpointReader:
    """tf.train.load_checkpoint's reader: the saved arrays by key (pyengine's keys, the attribute
    paths the Checkpoint saved them under; internal metadata entries are left out)."""

    def __init__(self, path, op="load_checkpoint"):
        from .io import load_npz_checked
        self._path = path
        self._arrays = {k: v for k, v in load_npz_checked(path, op=f"tf.train.{op}").items()
                        if not k.startswith("__")}

    def get_variable_to_shape_map(self):
        return {k: list(v.shape) for k, v in self._arrays.items()}

    def get_variable_to_dtype_map(self):
        from . import dtypes as _dt
        return {k: _dt.as_dtype(v.dtype) for k, v in self._arrays.items()}

    def has_tensor(self, name):
        return name in self._arrays

    def get_tensor(self, name):
        if name not in self._arrays:
            raise KeyError(f"[tf.train.load_checkpoint] {name!r} is not in the checkpoint "
                           f"{self._path}; it holds {sorted(self._arrays)}")
        return self._arrays[name].copy()


def load_checkpoint(ckpt_dir_or_file):
    """tf.train.load_checkpoint: a reader of a checkpoint file (or a folder's latest)."""
    return CheckpointReader(_resolve(ckpt_dir_or_file, "load_checkpoint"))


def list_variables(ckpt_dir_or_file):
    """tf.train.list_variables: [(key, shape)] of the saved values, sorted by key."""
    reader = CheckpointReader(_resolve(ckpt_dir_or_file, "list_variables"), "list_variables")
    return sorted((k, s) for k, s in reader.get_variable_to_shape_map().items())


def load_variable(ckpt_dir_or_file, name):
    """tf.train.load_variable: the NumPy value saved under `name`."""
    return CheckpointReader(_resolve(ckpt_dir_or_file, "load_variable"),
                            "load_variable").get_tensor(name)
