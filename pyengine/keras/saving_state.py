"""What model.save keeps beside the architecture and weights, as Keras' .keras files do: the
compile configuration (optimizer, losses, metrics, loss weights) and the optimizer's state (each
variable's moments / accumulators and step counts, the iteration count), so that

    model.save(p); m2 = keras.models.load_model(p); m2.fit(...)

continues exactly where model.fit stopped (bitwise the same weights as an uninterrupted run).

Objects are stored as {"class_name", "config"}: the class's constructor arguments read back from
the object's attributes. Only keras' own optimizer / loss / metric classes (and string names)
are written; a compile() with anything else (a function, a custom loss class, a schedule) is
saved without its compile configuration, and load_model returns the model uncompiled, as before."""
import inspect
import json

import numpy as np

_PREFIX = "__opt__"


def _ctor_config(obj):
    """The constructor arguments of `obj` found as attributes ('learning_rate' via
    obj.learning_rate), when every one is a JSON value; else None."""
    cfg = {}
    for klass in type(obj).__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        params = inspect.signature(init).parameters
        for name, p in params.items():
            if name == "self" or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL) or name in cfg:
                continue
            if hasattr(obj, name):
                value = getattr(obj, name)
                if isinstance(value, (np.floating, np.integer)):
                    value = value.item()
                if isinstance(value, (list, tuple)) and all(  # an axis tuple, class ids
                        isinstance(v, (bool, int, float, str)) for v in value):
                    value = list(value)
                elif value is not None and not isinstance(value, (bool, int, float, str)):
                    return None
                cfg[name] = value
        if not any(p.kind == p.VAR_KEYWORD for p in params.values()):
            break  # the base classes' arguments cannot reach them through this constructor
    return cfg


def _object_json(obj, module):
    if obj is None or isinstance(obj, str):
        return obj
    # one unsaveable item leaves the whole compile config unsaved (it used to save the list as
    # None: a model compiled with metrics came back from load_model without them)
    if isinstance(obj, (list, tuple)):
        items = [_object_json(o, module) for o in obj]
        return _UNSAVED if any(i is _UNSAVED for i in items) else items
    if isinstance(obj, dict):
        items = {k: _object_json(v, module) for k, v in obj.items()}
        return _UNSAVED if any(i is _UNSAVED for i in items.values()) else items
    cls = type(obj)
    if getattr(module, cls.__name__, None) is not cls:
        return _UNSAVED
    cfg = _ctor_config(obj)
    return _UNSAVED if cfg is None else {"class_name": cls.__name__, "config": cfg}


_UNSAVED = object()


def _object_from_json(spec, module):
    if spec is None or isinstance(spec, str):
        return spec
    if isinstance(spec, list):
        return [_object_from_json(s, module) for s in spec]
    if "class_name" not in spec:
        return {k: _object_from_json(v, module) for k, v in spec.items()}
    cls = getattr(module, spec["class_name"], None)
    if not isinstance(cls, type):
        raise ValueError(f"[load_model] unknown class {spec['class_name']!r} in the saved "
                         "compile configuration")
    return cls(**spec["config"])


def compile_config(model):
    """JSON-able compile arguments of `model`, or None when they cannot be saved."""
    from . import losses, metrics, optimizers
    if not getattr(model, "compiled", False) or model.optimizer is None \
            or getattr(model.optimizer, "_schedule", None) is not None:
        return None
    out = {"optimizer": _object_json(model.optimizer, optimizers),
           "loss": _object_json(model._loss_spec, losses),
           "metrics": _object_json(model._metrics_spec, metrics),
           "loss_weights": model._loss_weights_spec,
           "steps_per_execution": getattr(model, "_steps_per_execution", 1)}
    if any(v is _UNSAVED for v in out.values()) or out["optimizer"] is None:
        return None
    return out


def optimizer_arrays(model):
    """{name: array} of the optimizer's per-variable state, keyed by the variable's position in
    model.weights, and a JSON header with the scalar state and the iteration count."""
    opt = model.optimizer
    impl = getattr(opt, "_impl", None)
    arrays, scalars = {}, {}
    if impl is not None:
        for i, w in enumerate(model.weights):
            for key, value in impl.state.get(w, {}).items():
                if isinstance(value, np.ndarray):
                    arrays[f"{_PREFIX}{i:04d}__{key}"] = value
                elif isinstance(value, (int, float, np.integer, np.floating)):
                    scalars.setdefault(str(i), {})[key] = value.item() if \
                        isinstance(value, np.generic) else value
                else:
                    raise ValueError(f"[save] optimizer state '{key}' of {w.path} is a "
                                     f"{type(value).__name__}, which cannot be saved")
    header = {"iterations": int(opt.iterations), "scalars": scalars}
    return arrays, header


def write_extra(model):
    """The extra .npz entries model.save adds for the compile config and optimizer state."""
    cfg = compile_config(model)
    if cfg is None:
        return {}
    arrays, header = optimizer_arrays(model)
    arrays["__compile__"] = np.array(json.dumps({"compile": cfg, "optimizer_state": header}))
    return arrays


def compile_from(model, cfg):
    """model.compile with the arguments compile_config() wrote."""
    from . import losses, metrics, optimizers
    if cfg is None:
        return
    model.compile(optimizer=_object_from_json(cfg["optimizer"], optimizers),
                  loss=_object_from_json(cfg["loss"], losses),
                  metrics=_object_from_json(cfg["metrics"], metrics),
                  loss_weights=cfg.get("loss_weights"),
                  steps_per_execution=cfg.get("steps_per_execution", 1))


def restore(model, npz):
    """Compiles `model` as saved and restores its optimizer state (load_model, compile=True)."""
    saved = json.loads(str(npz["__compile__"]))
    compile_from(model, saved["compile"])
    header = saved["optimizer_state"]
    opt = model.optimizer
    opt.iterations = int(header["iterations"])
    names = [k for k in npz.files if k.startswith(_PREFIX)]
    if not names and not header["scalars"]:
        return
    weights = model.weights
    impl = opt.impl(model.trainable_weights)
    for k in names:
        i, key = k[len(_PREFIX):].split("__", 1)
        w = weights[int(i)]
        value = npz[k]
        want = opt.state_shape(key, tuple(w.shape)) if hasattr(opt, "state_shape") \
            else tuple(w.shape)  # Adafactor's factored moments have their own shapes
        if value.shape != want and key != "step":
            raise ValueError(f"[load_model] optimizer state {key} of {w.path} has shape "
                             f"{value.shape}, expected {want}")
        impl.state.setdefault(w, {})[key] = np.array(value)
    for i, entries in header["scalars"].items():
        impl.state.setdefault(weights[int(i)], {}).update(entries)
