"""Models on disk: weights (.npz, no pickle, temp file + rename) and whole models (the
architecture as JSON beside the weights). Loading resolves class names ONLY from an explicit
registry (keras' own layers and models, classes registered with
@keras.saving.register_keras_serializable, and load_model's custom_objects) and checks sizes
before allocating: the weights a saved config declares may not exceed what the file holds
(max_weight_bytes overrides), so a file declaring Dense(units=2**27) fails before allocating."""
import json
import os
import tempfile
import zipfile
import zlib

import numpy as np

from . import tree
from .layers.base import InputLayer, Layer, allocation_guard
from .layers.code_layers import load_policy
from .symbolic import KerasTensor

_REGISTRY = {}
_NAMES = {}  # registered object -> 'package>name'
_INPUT_LIMIT_BYTES = 1 << 30  # example batches of a loaded model's inputs (keras/symbolic.py)


def register_keras_serializable(package="Custom", name=None):
    """Decorator: makes a Layer / Model subclass (or a function a Lambda layer wraps) loadable
    by load_model under its name, and under Keras' registered name 'package>name'
    (get_registered_name)."""
    def deco(cls):
        key = name or cls.__name__
        _REGISTRY[key] = cls
        _REGISTRY[f"{package}>{key}"] = cls
        _NAMES[cls] = f"{package}>{key}"
        return cls
    return deco


def get_registered_name(obj):
    """'package>name' for an object registered with register_keras_serializable, else its
    __name__ (Keras' keras.saving.get_registered_name)."""
    try:
        name = _NAMES.get(obj)
    except TypeError:  # an unhashable object is not registered
        name = None
    return name or getattr(obj, "__name__", type(obj).__name__)


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The object registered (or in custom_objects, an open custom_object_scope or
    module_objects) under `name`, else None."""
    for table in (custom_objects or {}, *reversed(_SCOPES), _REGISTRY, module_objects or {}):
        if name in table:
            return table[name]
    return None


def get_custom_objects():
    """The global dict of registered objects (Keras' get_custom_objects): what
    register_keras_serializable adds, and what `get_custom_objects()[name] = obj` adds, is
    loadable by name."""
    return _REGISTRY


_SCOPES = []  # the dicts of the open custom_object_scope blocks, innermost last


class CustomObjectScope:
    """`with custom_object_scope({"MyLayer": MyLayer}):` makes the objects loadable by name
    (load_model, model_from_json, from_config, deserialize_keras_object) inside the block."""

    def __init__(self, *custom_objects):
        for objects in custom_objects:
            if not isinstance(objects, dict):
                raise TypeError(f"[custom_object_scope] expects dicts of name -> object. "
                                f"Received: {objects!r}")
        self._objects = {}
        for objects in custom_objects:
            self._objects.update(objects)

    def __enter__(self):
        _SCOPES.append(self._objects)
        return self

    def __exit__(self, *exc):
        _SCOPES.remove(self._objects)
        return False


custom_object_scope = CustomObjectScope


def _classes(custom_objects=None):
    """Every class a saved config may name: keras' own, registered, scoped, custom_objects."""
    classes = _builtin_classes()
    classes.update(_REGISTRY)
    for scope in _SCOPES:
        classes.update(scope)
    classes.update(custom_objects or {})
    return classes


def _builtin_classes():
    from . import layers as _layers
    from .model import Model
    from .sequential import Sequential
    out = {n: c for n, c in vars(_layers).items() if isinstance(c, type) and issubclass(c, Layer)}
    from .layers.code_layers import OpLayer
    out.update(Model=Model, Functional=Model, Sequential=Sequential, OpLayer=OpLayer)
    return out


# ---- weights ------------------------------------------------------------------------------------
FOLDER_WEIGHTS_FILE = "weights.npz"


def weights_file(filepath, op):
    """The file save_weights / load_weights use for `filepath`. A path ending in a separator
    ("logs/", TF 2's checkpoint prefix that keras-io programs pass to ModelCheckpoint with
    save_weights_only=True) names a folder: the weights are its file FOLDER_WEIGHTS_FILE
    (TensorFlow writes its .index / .data files there). An existing folder named without the
    separator cannot be a weights file and raises."""
    filepath = os.fspath(filepath)
    if filepath.endswith(os.sep) or (os.altsep and filepath.endswith(os.altsep)):
        return os.path.join(filepath, FOLDER_WEIGHTS_FILE)
    if os.path.isdir(filepath):
        raise IsADirectoryError(f"[{op}] {filepath} is a folder; name a file, or end the path "
                                f"with '{os.sep}' to keep the weights in that folder "
                                f"({FOLDER_WEIGHTS_FILE})")
    return filepath


def write_npz_atomically(filepath, arrays):
    """np.savez into a temporary file of the target's folder, synced, then renamed over the
    target: a crash or a full disk never leaves a half-written file under its name."""
    folder = os.path.dirname(os.path.abspath(filepath))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def write_weights(model, filepath, overwrite=True, extra=None, op="save_weights"):
    filepath = weights_file(filepath, op)
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"[{op}] {filepath} exists and overwrite=False")
    arrays = {f"{i:04d}": w._data for i, w in enumerate(model.weights)}
    arrays.update(extra or {})
    write_npz_atomically(filepath, arrays)
    folder = os.path.dirname(os.path.abspath(filepath))
    if op == "save_weights" and _tf_checkpoint_path(filepath):
        # only save_weights writes TensorFlow's checkpoint format; TF 2's model.save of such a
        # path is a SavedModel folder, listed in no state file (keras-io distributed_training
        # restores the newest file of its ModelCheckpoint folder, which must be a model)
        from ..tf_train import update_checkpoint_state
        update_checkpoint_state(folder, filepath)


def _tf_checkpoint_path(filepath):
    """A path TensorFlow 2's save_weights writes in its checkpoint format (no .h5 / .keras
    suffix): TensorFlow records it in the folder's `checkpoint` state file, which
    tf.train.latest_checkpoint reads (keras-io RetinaNet's ModelCheckpoint
    'weights_epoch_{epoch}' then load_weights(latest_checkpoint(dir)))."""
    base = os.path.basename(filepath).lower()
    return base != "checkpoint" and not base.endswith((".h5", ".hdf5", ".keras", ".npz"))


class LoadStatus:
    """What load_weights returns, for TF 2 programs that chain TensorFlow's checkpoint status
    (`model.load_weights(path).expect_partial()`, keras-io CycleGAN). Every weight was matched
    (a file that does not fit raised), so each assertion holds; Keras 3 returns None."""

    def expect_partial(self):
        return self

    def assert_consumed(self):
        return self

    def assert_existing_objects_matched(self):
        return self

    def assert_nontrivial_match(self):
        return self


def saved_build_config(filepath):
    """The "build_config" ({"input_shape": ...}) that model.save recorded for a subclassed
    model in `filepath`, or None (a save_weights file, a functional model, no shape)."""
    filepath = weights_file(filepath, "load_weights")
    try:
        with np.load(filepath, allow_pickle=False) as f:
            if "__config__" not in f.files:
                return None
            config = json.loads(str(f["__config__"]))
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error):
        return None  # read_weights reports what is wrong with the file
    build = config.get("build_config") if isinstance(config, dict) else None
    return build if isinstance(build, dict) and build.get("input_shape") is not None else None


def read_weights(model, filepath):
    """Sizes are checked before anything is decompressed or allocated (pe.io.load_npz_checked:
    at most pe.io.NPZ_MAX_BYTES, 1 GiB unless raised); every failure is a ValueError."""
    from ..io import load_npz_checked
    filepath = weights_file(filepath, "load_weights")
    try:
        found = load_npz_checked(filepath, op="load_weights")
    except OSError as e:
        raise ValueError(f"[load_weights] cannot read weights from {filepath}: {e}") from None
    arrays = [found[k] for k in sorted(found) if not k.startswith("__")]
    if len(arrays) != len(model.weights):
        raise ValueError(f"[load_weights] {filepath} holds {len(arrays)} weights, the model "
                         f"has {len(model.weights)}")
    model.set_weights(arrays)


# ---- architecture ---------------------------------------------------------------------------------
def functional_config(model):
    """A functional model as JSON-able data: its layers' configs and its nodes in order, each
    node's arguments with KerasTensors replaced by [node number, output number]."""
    index = {}  # id(node) -> position in `nodes`
    nodes = []
    order = [t._keras_history[0]._inbound_nodes[t._keras_history[1]] for t in model.inputs]
    order += model._nodes

    def ref(a):
        if isinstance(a, KerasTensor):
            layer, ni, ti = a._keras_history
            return {"__tensor__": [index[id(layer._inbound_nodes[ni])], ti]}
        return a
    for node in order:
        index[id(node)] = len(nodes)
        if isinstance(node.layer, InputLayer):
            nodes.append({"layer": node.layer.name, "input": True})
        else:
            nodes.append({"layer": node.layer.name,
                          "args": tree.map_structure(ref, list(node.call_args)),
                          "kwargs": tree.map_structure(ref, node.call_kwargs)})
    return {"class_name": "Functional", "args": [], "kwargs": {
        "name": model.name,
        "layers": [layer_config(lyr) for lyr in model._graph_layers],
        "nodes": nodes,
        "inputs": tree.map_structure(ref, model._inputs_struct),
        "outputs": tree.map_structure(ref, model._outputs_struct)}}


def layer_config(layer):
    """The layer's get_config() in pyengine's form ({'class_name', 'args', 'kwargs'}). A
    subclass whose get_config returns only its constructor arguments, as Keras guides write it
    (`return {"units": self.units}`), is recorded in Keras' form: {'class_name', 'config',
    'name'}, rebuilt with `cls.from_config(config)`."""
    cfg = layer.get_config()
    if not isinstance(cfg, dict):
        raise TypeError(f"[get_config] layer '{layer.name}' returned "
                        f"{type(cfg).__name__}, not a dict")
    if not ("class_name" in cfg and "kwargs" in cfg):
        cfg = {"class_name": type(layer).__name__, "config": _plain(cfg), "name": layer.name}
    else:  # Keras-style keys a subclass added beside the rebuild record (`"first_layer":
        # self.first_layer`): serialized as Keras does, so that the config is JSON
        cfg = {k: v if k in ("class_name", "args", "kwargs") else _plain(v)
               for k, v in cfg.items()}
    registered = get_registered_name(type(layer))
    if registered != type(layer).__name__:  # registered under its own name ("MyLayers>KernelMult")
        cfg["registered_name"] = registered
    return _with_build_config(layer, cfg)


def _plain(value):
    """Keras objects inside a config value serialized (serialize_keras_object); the rest as
    given."""
    from .saving_objects import serialize_keras_object
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, Layer) or callable(getattr(value, "get_config", None)):
        return serialize_keras_object(value)
    return value


def _with_build_config(layer, cfg):
    """cfg plus Keras 3's "build_config" where load_model needs it: layers overriding
    get_build_config / build_from_config, and subclassed models (built by calling them)."""
    from .saving_hooks import overrides
    from .model import Model
    from .sequential import Sequential
    if overrides(layer, "get_build_config") or overrides(layer, "build_from_config") or (
            isinstance(layer, Model) and layer._nodes is None
            and not isinstance(layer, Sequential)):
        cfg = dict(cfg, build_config=layer.get_build_config())
    return cfg


def model_config_json(model):
    try:
        # layer_config: a subclassed model whose get_config returns only its constructor
        # arguments (keras-io Music Transformer) is recorded in Keras' from_config form
        return json.dumps(layer_config(model), default=_numpy_json)
    except TypeError as e:
        raise ValueError(f"[save] every layer's arguments must be JSON values (strings, "
                         f"numbers, lists) to save the model; layers holding functions other "
                         f"than module-level ones cannot be saved: use save_weights instead "
                         f"({e})") from None


def _numpy_json(value):
    """NumPy values in layer arguments as JSON: arrays as (nested) lists, scalars as numbers
    (`StringLookup(vocabulary=np.unique(column))`, Keras' listify_tensors)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def build_from_config(cfg, classes):
    """A layer or model from its saved config (layer_config / get_config form); `classes` the
    name -> class registry of load_model."""
    return _build(cfg, classes)


def _build(cfg, classes):
    layer = _construct(cfg, classes)
    if cfg.get("build_config") is not None:
        layer.build_from_config(cfg["build_config"])
    return layer


def _construct(cfg, classes):
    name = cfg.get("class_name")
    if name == "Functional":
        return _build_functional(cfg["kwargs"], classes)
    cls = classes.get(name) or classes.get(cfg.get("registered_name"))
    if cls is None:
        raise ValueError(f"[load_model] unknown class {name!r}: only keras' own layers and "
                         "classes registered with @keras.saving.register_keras_serializable "
                         "or passed in custom_objects can be loaded")
    if "kwargs" not in cfg and "config" in cfg:  # Keras' form (layer_config)
        return cls.from_config(dict(cfg["config"]))
    kwargs = dict(cfg["kwargs"])
    if name == "Sequential":
        return cls([_build(c, classes) for c in kwargs.pop("layers")], **kwargs)
    if name == "InputLayer":
        shape = kwargs.get("shape") or []
        size = 4 * 3 * int(np.prod([9 if d is None else d for d in shape], dtype=np.float64))
        if size > _INPUT_LIMIT_BYTES:
            raise ValueError(f"[load_model] input '{kwargs.get('name')}' declares shape "
                             f"{tuple(shape)}, too large to build ({size:,} bytes)")
    from .layers.code_layers import decode
    return cls(*decode(cfg["args"], classes), **decode(kwargs, classes))


def _build_functional(kw, classes):
    from .model import Model
    layers = {}
    for c in kw["layers"]:
        layer = _build(c, classes)
        layers[c.get("name", layer.name)] = layer  # the nodes name layers as they were saved
    outputs = []

    def deref(a):
        if isinstance(a, dict) and set(a) == {"__tensor__"}:
            ni, ti = a["__tensor__"]
            return tree.flatten(outputs[ni])[ti]
        if isinstance(a, dict):
            return {k: deref(v) for k, v in a.items()}
        if isinstance(a, list):
            return [deref(v) for v in a]
        return a
    for node in kw["nodes"]:
        layer = layers[node["layer"]]
        if node.get("input"):
            outputs.append(layer._output)
            continue
        outputs.append(layer(*deref(node["args"]), **deref(node["kwargs"])))
    return Model(deref(kw["inputs"]), deref(kw["outputs"]), name=kw.get("name"))


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True,
               max_weight_bytes=None):
    """A model saved with `model.save(filepath)`, with its weights. The weights its config
    declares may total at most the bytes the file stores (or `max_weight_bytes`).
    safe_mode=True (default, as Keras) resolves a function the file names (a Lambda's, a
    functional graph's op) only from custom_objects, the registry or pyengine's own ops;
    safe_mode=False also looks it up in any module the program has imported. A path ending
    in a separator is a folder, as model.save wrote it (weights_file)."""
    filepath = weights_file(filepath, "load_model")
    try:
        with np.load(filepath, allow_pickle=False) as f:
            if "__config__" not in f.files:
                raise ValueError("it holds weights only (save_weights); build the model in code "
                                 "and call load_weights")
            config = json.loads(str(f["__config__"]))
            stored = sum(f.zip.getinfo(k + ".npy").file_size for k in f.files
                         if not k.startswith("__"))
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error) as e:
        raise ValueError(f"[load_model] cannot load a model from {filepath}: "
                         f"{type(e).__name__}: {e}") from None
    classes = _classes(custom_objects)
    allocation_guard.budget = stored if max_weight_bytes is None else int(max_weight_bytes)
    load_policy.safe_mode = bool(safe_mode)
    try:
        model = _build(config, classes)
    finally:
        allocation_guard.budget = None
        load_policy.safe_mode = False
    from .saving_hooks import restore_hooks, saved_compile_config
    from .saving_state import restore
    with np.load(filepath, allow_pickle=False) as f:
        own_compile = saved_compile_config(f) if compile else None
        if own_compile is not None:  # the model's own get_compile_config()
            model.compile_from_config(own_compile)
        model.load_weights(filepath)
        if compile and own_compile is None and "__compile__" in f.files:
            restore(model, f)
        restore_hooks(model, f)
    return model


def model_from_json(json_string, custom_objects=None):
    """A new model (fresh weights) from `model.to_json()`; classes resolved as load_model does."""
    classes = _classes(custom_objects)
    return _build(json.loads(json_string), classes)


def clone_model(model, input_tensors=None, clone_function=None, custom_objects=None):
    """A new model with `model`'s architecture and freshly initialised weights (Keras'
    clone_model): rebuilt from its config."""
    if input_tensors is not None or clone_function is not None:
        raise ValueError("[clone_model] input_tensors and clone_function are not supported")
    return model_from_json(model_config_json(model), custom_objects)


def from_config(config, custom_objects=None):
    """A model or layer from a get_config() result (fresh weights); classes resolved as
    load_model does (keras' own, registered, custom_objects)."""
    classes = _classes(custom_objects)
    return _build(config, classes)


def save_options(filepath, kwargs):
    """Checks model.save / save_model's tf.keras 2 options: include_optimizer=True and a
    save_format that names the format the file name already asks for ('keras' or None; 'h5'
    for a .h5 / .hdf5 name, as Keras 3 accepts it) are what is done; pyengine writes its one
    single-file format under that name. Other values raise rather than being ignored."""
    if kwargs.pop("include_optimizer", True) is not True:
        raise ValueError("[save_model] include_optimizer=False is not supported: a compiled "
                         "model is saved with its optimizer state (compile it again after "
                         "loading with compile=False instead)")
    fmt = kwargs.pop("save_format", None)
    name = os.fspath(filepath).lower()
    if not (fmt in (None, "keras") or (fmt == "h5" and name.endswith((".h5", ".hdf5")))):
        raise ValueError(f"[save_model] save_format={fmt!r} is not supported for {filepath!r}: "
                         "pyengine writes its single-file format (save_format=None or "
                         "'keras'; 'h5' with a .h5 / .hdf5 file name; no TensorFlow SavedModel)")
    if kwargs:
        raise TypeError(f"[save_model] unrecognized arguments: {sorted(kwargs)}")


def save_model(model, filepath, overwrite=True, zipped=None, **kwargs):
    """keras.models.save_model / keras.saving.save_model: `model.save(filepath, overwrite)`,
    with tf.keras 2's options checked by save_options."""
    if zipped not in (None, True):
        raise ValueError(f"[save_model] only a single-file model is written (zipped=None or "
                         f"True). Received: zipped={zipped!r}")
    model.save(filepath, overwrite=overwrite, **kwargs)


from .saving_objects import deserialize_keras_object, serialize_keras_object  # noqa: E402,F401
