"""Keras objects given as layer arguments, in a layer's saved config: initializer, regularizer
and constraint instances (`kernel_initializer=keras.initializers.HeNormal()`,
`kernel_regularizer=keras.regularizers.l2(1e-3)`, `kernel_constraint=MaxNorm(3)`) and built-in
activation functions (`activation=keras.activations.relu`), and layers or models given to a
subclass's constructor (keras-io CycleGAN's `CycleGan(generator_G=..., discriminator_X=...)`,
saved as their own configs). Layer.get_config writes each as
JSON (`to_config`), code_layers.decode turns it back (`from_config`) when a model is loaded.
Without this, `model.save` refused such models ("arguments must be JSON values").
"""
from . import activations as _act
from . import constraints as _constraints
from . import initializers as _initializers
from . import regularizers as _regularizers

_MODULES = {"initializers": (_initializers, _initializers.Initializer),
            "regularizers": (_regularizers, _regularizers.Regularizer),
            "constraints": (_constraints, _constraints.Constraint)}
_TAG = "__keras_object__"
_LAYER_TAG = "__keras_layer__"


def to_config(key, value):
    """The JSON form of argument `key`'s value when it is one of those objects, else the value
    unchanged. Objects without get_config (a custom regularizer) raise a TypeError naming the
    class, which model.save reports."""
    from .layers.base import Layer
    if isinstance(value, Layer):  # a layer or model argument (keras-io CycleGAN's generators)
        from .saving import layer_config
        return {_LAYER_TAG: layer_config(value)}
    for module, (_, base) in _MODULES.items():
        if isinstance(value, base):
            get_config = getattr(value, "get_config", None)
            if get_config is None:
                raise TypeError(f"{type(value).__name__} (argument {key}) has no get_config(); "
                                f"define get_config to save it")
            return {_TAG: {"module": module, "class_name": type(value).__name__,
                           "config": get_config()}}
    if "activation" in key and callable(value) and not isinstance(value, type):
        name = _act.name_of(_act.get(value))
        if name is not None:
            return name
    return value


def is_config(value):
    return isinstance(value, dict) and set(value) in ({_TAG}, {_LAYER_TAG})


def layer_from_config(value, registry):
    """The layer (or model) a to_config dict of a layer argument describes, rebuilt as
    load_model rebuilds any layer (a new layer with fresh weights)."""
    from .saving import build_from_config
    return build_from_config(value[_LAYER_TAG], registry)


def from_config(value, registry):
    """The object a to_config dict describes: a class from pyengine's module of that kind, or
    one registered (register_keras_serializable) or passed in custom_objects."""
    if _LAYER_TAG in value:
        return layer_from_config(value, registry)
    spec = value[_TAG]
    module, base = _MODULES.get(spec.get("module"), (None, None))
    name = spec.get("class_name")
    def fits(c):
        return isinstance(c, type) and base is not None and issubclass(c, base)
    cls = registry.get(name) if registry else None
    if not fits(cls) and module is not None:
        cls = getattr(module, name, None)
    if not fits(cls):
        raise ValueError(f"[load_model] unknown {spec.get('module')} class {name!r}: pass it in "
                         f"custom_objects or register it with "
                         f"@keras.saving.register_keras_serializable")
    config = spec.get("config") or {}
    from_cfg = getattr(cls, "from_config", None)
    return from_cfg(config) if from_cfg is not None else cls(**config)
