"""Keras' flat view of a built-in layer's config.

pyengine rebuilds a layer from {'class_name', 'args', 'kwargs'} (the arguments as given).
Keras programs also read constructor arguments straight from get_config(), e.g.
`layer.get_config()["kernel_size"] == (5, 5)` (keras-io's ConvMixer), so the config carries
them too, at the top level, as Keras reports them: every constructor argument with its default
filled in, normalized the way the layer stores it (kernel_size (5, 5) for 5, the activation's
name), plus name / trainable / dtype. Loading ignores these keys (the rebuild uses args /
kwargs), so they only have to be readable and JSON-safe."""
import inspect
import json

from .. import activations as _act
from .activation_slot import ActivationSlot
from .. import config_objects as _objects

_RESERVED = ("class_name", "args", "kwargs")
_PLAIN = (int, float, str, bool, type(None))


def _json_value(key, value):
    """`value` as a JSON-safe config value, or _SKIP when it has no such form (a callable)."""
    if "activation" in key and callable(value) and not isinstance(value, type):
        name = _act.name_of(_act.get(value))
        return name if name is not None else _SKIP
    value = _objects.to_config(key, value) if not isinstance(value, _PLAIN) else value
    if isinstance(value, list):
        value = tuple(value)
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return _SKIP
    return value


_SKIP = object()


def flat_arguments(layer):
    """{argument: value} for the layer's constructor, Keras' get_config keys."""
    args, kwargs = layer._init_args
    try:
        sig = inspect.signature(type(layer).__init__)
        bound = sig.bind_partial(None, *args, **kwargs)
    except (TypeError, ValueError):
        return {}
    out = {}
    for p in list(sig.parameters.values())[1:]:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.name in _RESERVED:
            continue
        if p.name in bound.arguments:
            value = bound.arguments[p.name]
        elif p.default is not p.empty:
            value = p.default
        else:
            continue
        held = p.name in layer.__dict__ or isinstance(getattr(type(layer), p.name, None),
                                                       ActivationSlot)
        stored = getattr(layer, p.name, _SKIP) if held else _SKIP
        # the stored attribute is the normalized value (kernel_size 5 -> (5, 5)); use it when
        # it is a plain value or the activation function, else the argument as given
        if stored is not _SKIP and (isinstance(stored, _PLAIN + (tuple, list))
                                    or "activation" in p.name):
            value = stored
        value = _json_value(p.name, value)
        if value is not _SKIP:
            out[p.name] = value
    for k, v in kwargs.items():  # base-layer keywords given explicitly (input_shape ...)
        if k not in out and k not in _RESERVED:
            v = _json_value(k, v)
            if v is not _SKIP:
                out[k] = v
    out.update(name=layer.name, trainable=bool(layer.trainable), dtype="float32")
    base = _own_config_base(type(layer))
    if base is not None:  # Keras 3: a get_config override extends its base's keys only, so
        # `dict(units=self.units, **super().get_config())` does not meet `units` twice
        known = set(inspect.signature(base.__init__).parameters)
        out = {k: v for k, v in out.items()
               if k in known or k in ("name", "trainable", "dtype") or k in kwargs and
               not _declared_below(type(layer), base, k)}
    return out


def _own_config_base(cls):
    """The first pyengine class in cls's MRO when a class above it (a user's subclass) defines
    get_config itself, else None."""
    for klass in cls.__mro__:
        if klass.__module__.startswith("pyengine."):
            return None
        if "get_config" in klass.__dict__:
            break
    for klass in cls.__mro__:
        if klass.__module__.startswith("pyengine."):
            return klass
    return None


def _declared_below(cls, base, name):
    """True when a user class between cls and base declares constructor argument `name`."""
    for klass in cls.__mro__:
        if klass is base:
            return False
        init = klass.__dict__.get("__init__")
        if init is not None and name in inspect.signature(init).parameters:
            return True
    return False
