"""keras.saving.serialize_keras_object / deserialize_keras_object (also in keras.utils): Keras
3's form {"module", "class_name", "config", "registered_name"} for layers, losses, metrics,
optimizers, schedules, initializers, regularizers, constraints and dtype policies; plain
values, lists and dicts pass through; functions are stored by name.

Deserializing resolves names ONLY from custom_objects, open custom_object_scope blocks, the
register_keras_serializable registry and pyengine's own keras modules: it never imports a
module a config names."""
import types

import numpy as np

from ..tensor import Tensor


def _public_modules():
    from . import (activations, constraints, initializers, layers, losses, metrics,
                   mixed_precision, optimizers, regularizers)
    from .optimizers import schedules
    return {"keras.layers": layers, "keras.losses": losses, "keras.metrics": metrics,
            "keras.optimizers": optimizers, "keras.optimizers.schedules": schedules,
            "keras.initializers": initializers, "keras.regularizers": regularizers,
            "keras.constraints": constraints, "keras.activations": activations,
            "keras.mixed_precision": mixed_precision}


def _public_module(obj, name):
    for module, mod in _public_modules().items():
        if getattr(mod, name, None) is obj:
            return module
    return None


def serialize_keras_object(obj):
    from . import saving
    from .layers.base import Layer
    from .losses import Loss
    from .metrics import Metric
    from .optimizers import Optimizer
    from .saving_state import _ctor_config
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (np.integer, np.floating)):
        return obj.item()
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(o) for o in obj]
    if isinstance(obj, dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    if isinstance(obj, (np.ndarray, Tensor)):
        a = np.asarray(obj._data if isinstance(obj, Tensor) else obj)
        return {"class_name": "__numpy__", "config": {"value": a.tolist(), "dtype": a.dtype.name}}
    registered = saving.get_registered_name(obj if isinstance(obj, types.FunctionType)
                                            else type(obj))
    if isinstance(obj, types.FunctionType):
        return {"module": _public_module(obj, obj.__name__) or obj.__module__,
                "class_name": "function", "config": obj.__name__,
                "registered_name": registered if registered != obj.__name__ else None}
    cls = type(obj)
    if isinstance(obj, Layer):
        config = saving.layer_config(obj)
    elif isinstance(obj, (Loss, Metric, Optimizer)):
        config = _ctor_config(obj)  # the constructor arguments, read back from the object
        if config is None:
            raise ValueError(f"[serialize_keras_object] {cls.__name__} holds a constructor "
                             "argument that is not a JSON value; it cannot be serialized")
    elif callable(getattr(obj, "get_config", None)):
        config = obj.get_config()
    else:
        raise TypeError(f"[serialize_keras_object] cannot serialize {obj!r}: it has no "
                        "get_config() and is not a keras layer, loss, metric or optimizer")
    return {"module": _public_module(cls, cls.__name__) or cls.__module__,
            "class_name": cls.__name__, "config": config,
            "registered_name": registered if registered != cls.__name__ else None}


def _lookup(name, registered, module, custom_objects):
    from . import saving
    for key in (registered, name):
        if key:
            found = saving.get_registered_object(key, custom_objects)
            if found is not None:
                return found
    modules = _public_modules()
    order = [modules[module]] if module in modules else list(modules.values())
    for mod in order:
        found = getattr(mod, name, None)
        if found is not None and (isinstance(found, type) or callable(found)):
            return found
    return None


def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """The object a serialize_keras_object() result describes (Keras 2's {"class_name",
    "config"} form too)."""
    from . import saving
    from .layers.code_layers import load_policy
    if kwargs:
        raise TypeError(f"[deserialize_keras_object] unrecognized arguments: {sorted(kwargs)}")
    if config is None or isinstance(config, (bool, int, float, str)):
        return config
    if isinstance(config, (list, tuple)):
        return [deserialize_keras_object(c, custom_objects, safe_mode) for c in config]
    if not isinstance(config, dict):
        raise TypeError(f"[deserialize_keras_object] expected a dict, list or plain value. "
                        f"Received: {config!r}")
    if "class_name" not in config:
        return {k: deserialize_keras_object(v, custom_objects, safe_mode)
                for k, v in config.items()}
    name, inner = config["class_name"], config.get("config")
    if name == "__numpy__":
        return np.asarray(inner["value"], dtype=inner["dtype"])
    if name == "function":
        fn = _lookup(inner, config.get("registered_name"), config.get("module"),
                     custom_objects)
        if fn is None:
            raise ValueError(f"[deserialize_keras_object] unknown function {inner!r}: pass it "
                             "in custom_objects or register it with "
                             "@keras.saving.register_keras_serializable()")
        return fn
    cls = _lookup(name, config.get("registered_name"), config.get("module"), custom_objects)
    if not isinstance(cls, type):
        raise ValueError(f"[deserialize_keras_object] unknown class {name!r}: only keras' own "
                         "classes, registered ones and custom_objects can be deserialized")
    from .layers.base import Layer
    if issubclass(cls, Layer) and isinstance(inner, dict) and "class_name" in inner:
        saved = load_policy.safe_mode
        load_policy.safe_mode = bool(safe_mode)
        try:
            return saving._build(inner, saving._classes({**(custom_objects or {}),
                                                          inner["class_name"]: cls}))
        finally:
            load_policy.safe_mode = saved
    inner = dict(inner or {})
    if hasattr(cls, "from_config"):
        return cls.from_config(inner)
    return cls(**inner)
