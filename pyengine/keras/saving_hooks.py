"""Keras 3's saving hooks, which layers and models override to take part in model.save /
load_model (keras-io's "Customizing Saving and Serialization" guide):

    save_own_variables(store) / load_own_variables(store)   a layer's state as {key: array}
    save_assets(dir) / load_assets(dir)                     any files the layer writes
    get_build_config() / build_from_config(config)          how to build it before loading
    get_compile_config() / compile_from_config(config)      a model's own compile arguments

load_model runs them in Keras' order: build_from_config (as each layer is rebuilt, saving.py),
compile_from_config, load_own_variables, load_assets. A layer that keeps the defaults is saved
as before (its weights in model.weights' order); only the overriding ones add entries:
`__hooks__` (a JSON index), `__own<i>` (store values) and `__asset<i>` (file bytes)."""
import json
import os
import tempfile

import numpy as np

_HOOKS = "__hooks__"


def overrides(obj, name):
    """True when type(obj) defines `name` itself rather than inheriting Layer's / Model's."""
    from .layers.base import Layer
    from .model import Model
    base = Model if name.endswith("compile_config") else Layer
    return getattr(type(obj), name, None) is not getattr(base, name)


def _layers(model):
    """(path, layer) of the model and every layer inside it, paths as named_modules gives."""
    from .layers.base import Layer
    return [(path or ".", m) for path, m in model.named_modules() if isinstance(m, Layer)]


def _array(value, what):
    value = getattr(value, "_data", value)
    value = value.numpy() if hasattr(value, "numpy") and not isinstance(value, np.ndarray) \
        else value
    a = np.asarray(value)
    if a.dtype == object:
        raise TypeError(f"[save] {what} is a {type(value).__name__}; a store holds arrays, "
                        "numbers or strings")
    return a


def write_hooks(model):
    """The .npz entries for the hooks `model` and its layers override ({} when none)."""
    from .saving_objects import serialize_keras_object
    arrays, index = {}, {"own": {}, "assets": {}}
    for path, layer in _layers(model):
        if overrides(layer, "save_own_variables") or overrides(layer, "load_own_variables"):
            store = {}
            layer.save_own_variables(store)
            keys = index["own"][path] = {}
            for k, v in store.items():
                name = keys[str(k)] = f"__own{len(arrays)}"
                arrays[name] = _array(v, f"store[{k!r}] of layer '{layer.name}'")
        if overrides(layer, "save_assets"):
            files = index["assets"][path] = {}
            with tempfile.TemporaryDirectory() as folder:
                layer.save_assets(folder)
                for root, _, names in os.walk(folder):
                    for n in sorted(names):
                        full = os.path.join(root, n)
                        with open(full, "rb") as f:
                            data = f.read()
                        name = files[os.path.relpath(full, folder)] = f"__asset{len(arrays)}"
                        arrays[name] = np.frombuffer(data, dtype=np.uint8)
    if overrides(model, "get_compile_config") and getattr(model, "compiled", False):
        index["compile"] = serialize_keras_object(model.get_compile_config())
    if not arrays and len(index) == 2 and not any(index.values()):
        return {}
    try:
        arrays[_HOOKS] = np.array(json.dumps(index))
    except TypeError as e:
        raise ValueError(f"[save] get_compile_config() of '{model.name}' must return "
                         f"serializable values: {e}") from None
    return arrays


def saved_compile_config(npz):
    """The config a model's own get_compile_config() wrote, or None."""
    if _HOOKS not in npz.files:
        return None
    return json.loads(str(npz[_HOOKS])).get("compile")


def restore_hooks(model, npz):
    """load_own_variables and load_assets of the layers that saved through them."""
    if _HOOKS not in npz.files:
        return
    index = json.loads(str(npz[_HOOKS]))
    layers = dict(_layers(model))

    def find(path):
        if path not in layers:
            raise ValueError(f"[load_model] the file holds state for layer '{path}', which the "
                             f"rebuilt model does not have")
        return layers[path]
    for path, keys in index["own"].items():
        find(path).load_own_variables({k: np.array(npz[v]) for k, v in keys.items()})
    for path, files in index["assets"].items():
        layer = find(path)
        with tempfile.TemporaryDirectory() as folder:
            root = os.path.realpath(folder)
            for rel, key in files.items():
                target = os.path.realpath(os.path.join(root, rel))
                if os.path.commonpath([root, target]) != root:
                    raise ValueError(f"[load_model] asset path {rel!r} of layer '{path}' "
                                     "leaves the asset folder")
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with open(target, "wb") as f:
                    f.write(npz[key].tobytes())
            layer.load_assets(folder)
