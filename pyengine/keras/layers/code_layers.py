"""Layers that hold a Python function, in a form model.save can write: `Lambda(fn)` and the
`OpLayer` nodes a functional graph records for ops applied to symbolic tensors (`x + y`,
`keras.ops.mean(x)`, `tf.matmul(x, w)`, `x[:, 0]`).

A function is saved by reference, {"__function__": [module, qualified name]}, when it is a
module-level function (or a registered / custom_objects one); loading looks it up in
custom_objects, the @register_keras_serializable registry, or a module the program has already
imported (no module is imported, no code is run, by loading a file). A lambda or a nested
function cannot be saved: model.save raises naming the layer (Keras 3 would store its bytecode and
then refuse to load it in safe mode). Constant arguments are stored as JSON (tuples, slices,
Ellipsis and small arrays tagged)."""
import sys
import threading

import numpy as np

from .. import config_objects as _objects
from .. import tree
from ...dtypes import DType, as_dtype
from ...tensor import Tensor
from .base import Layer


def function_ref(fn, owner):
    """[module, qualified name] of a module-level function, checked to resolve back to it."""
    mod, qual = getattr(fn, "__module__", None), getattr(fn, "__qualname__", "")
    module = sys.modules.get(mod or "")
    target = module
    for part in qual.split("."):
        target = getattr(target, part, None)
    # the module's attribute is fn itself, or a decorator's wrapper of it (keras.ops, tf names)
    if module is not None and "<" not in qual and target is not None and not (
            target is fn or getattr(target, "__wrapped__", None) is fn):
        raise TypeError(f"[{owner}] cannot save {qual!r}: the name {mod}.{qual} now refers "
                        f"to a {type(target).__name__}, not to this function (was the name "
                        "reassigned after the layer was made, as in `f = Lambda(f)(x)`?). "
                        "Keep the function under its own name, or use save_weights")
    if module is None or "<" in qual or not (target is fn or
                                             getattr(target, "__wrapped__", None) is fn):
        raise TypeError(f"[{owner}] cannot save {getattr(fn, '__qualname__', fn)!r}: only a "
                        "module-level (importable) function can be saved; a lambda or nested "
                        "function cannot. Define it with def at module level, or use "
                        "save_weights")
    from ..saving import get_registered_name
    registered = get_registered_name(fn)
    if registered != fn.__name__:  # registered under its own name ("my_package>custom_fn")
        return {"__function__": [mod, qual, registered]}
    return {"__function__": [mod, qual]}


class _LoadPolicy(threading.local):
    safe_mode = False  # load_model sets it for the duration of one load


load_policy = _LoadPolicy()

# what safe_mode=True resolves by module path: pyengine's math (ops, activations, TensorFlow
# names) and the operator functions a functional graph records for `x + y`, `x[0]` (keras/
# symbolic.py). Anything else (os.system, shutil.rmtree, pe.io.save, a user's module) must be
# registered or passed in custom_objects, as Keras 3 requires outside its own packages.
_SAFE_MODULES = ("pyengine.keras.ops", "pyengine.keras.ops_more", "pyengine.keras.ops_image",
                 "pyengine.keras.ops_fft", "pyengine.keras.ops_numpy_more",
                 "pyengine.keras.activations", "pyengine.keras.backend", "pyengine.keras.random",
                 "pyengine.tf_names", "pyengine.nn.functional", "pyengine.creation",
                 "pyengine.ops.shape", "pyengine.ops.attention_einsum", "pyengine.tf_indexing",
                 "pyengine.tf_nn_more", "pyengine.tf_math_more", "pyengine.torch_functions")
_SAFE_OPERATORS = {"abs", "add", "ge", "getitem", "gt", "le", "lt", "matmul", "mul", "neg",
                   "pow", "sub", "truediv"}


def _safe_reference(mod, qual):
    if mod in ("operator", "_operator"):
        return qual in _SAFE_OPERATORS
    return mod in _SAFE_MODULES and "." not in qual


def resolve_function(ref, registry):
    """The function a saved {"__function__": [module, name]} names (see the module docstring).
    Under load_model(safe_mode=True) a reference outside the registry must name one of
    pyengine's math functions (_SAFE_MODULES) or an arithmetic operator."""
    mod, qual, *registered = ref["__function__"]
    for key in (*registered, qual, qual.rsplit(".", 1)[-1], f"{mod}>{qual}"):
        if key in registry and callable(registry[key]):
            return registry[key]
    target = sys.modules.get(mod)
    for part in qual.split("."):
        target = getattr(target, part, None)
    # safe mode: a name in those modules must also be pyengine's own function (not something
    # the module imported from elsewhere)
    if load_policy.safe_mode and not (_safe_reference(mod, qual) and (
            mod in ("operator", "_operator") or
            str(getattr(target, "__module__", "")).startswith("pyengine"))):
        raise ValueError(f"[load_model] the file refers to the function {mod}.{qual}, which is "
                         "neither one of pyengine's ops nor registered: safe_mode=True refuses "
                         "it (a file could name any function, such as os.system). Register it "
                         "with @keras.saving.register_keras_serializable(), pass "
                         f"custom_objects={{'{qual}': fn}}, or load with safe_mode=False if "
                         "you trust the file")
    if target is None or not callable(target):
        raise ValueError(f"[load_model] function {mod}.{qual} is not available: import its "
                         f"module before loading, or pass custom_objects={{'{qual}': fn}}")
    return target


def encode(value, owner):
    """JSON form of a constant argument."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    if isinstance(value, list):
        return [encode(v, owner) for v in value]
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, owner) for v in value]}
    if isinstance(value, dict) and set(value) in ({"__function__"}, {"__layer__"}):
        return value  # already in saved form (Layer.get_config)
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"__dict__": {k: encode(v, owner) for k, v in value.items()}}
    if isinstance(value, slice):
        return {"__slice__": [encode(value.start, owner), encode(value.stop, owner),
                              encode(value.step, owner)]}
    if value is Ellipsis:
        return {"__ellipsis__": True}
    if isinstance(value, DType):  # tf.cast(x, tf.float32) on a Keras tensor
        return {"__dtype__": value.name}
    if isinstance(value, np.ndarray) and value.size <= 65536:
        return {"__array__": value.tolist(), "dtype": str(value.dtype)}
    if callable(value):
        return function_ref(value, owner)
    raise TypeError(f"[{owner}] cannot save an argument of type {type(value).__name__}")


def decode(value, registry):
    if isinstance(value, list):
        return [decode(v, registry) for v in value]
    if not isinstance(value, dict):
        return value
    if "__tuple__" in value:
        return tuple(decode(v, registry) for v in value["__tuple__"])
    if "__dict__" in value:
        return {k: decode(v, registry) for k, v in value["__dict__"].items()}
    if "__slice__" in value:
        return slice(*value["__slice__"])
    if "__ellipsis__" in value:
        return Ellipsis
    if "__dtype__" in value:
        return as_dtype(value["__dtype__"])
    if "__array__" in value:
        return np.array(value["__array__"], dtype=value["dtype"])
    if "__function__" in value:
        return resolve_function(value, registry)
    if set(value) == {"__layer__"}:  # a layer given as an argument (base._function_arg)
        from ..saving import _build
        return _build(value["__layer__"], registry)
    if _objects.is_config(value):
        return _objects.from_config(value, registry)
    return {k: decode(v, registry) for k, v in value.items()}


class Lambda(Layer):
    """Wraps a function of the inputs as a layer: `layers.Lambda(lambda x: x ** 2)`; its
    extra keyword arguments go in `arguments`. Saved by reference when `function` is a
    module-level function (a lambda cannot be saved). `output_shape` is accepted for Keras
    compatibility and checked against the shape the function produces, which is how shapes are
    inferred here."""

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"[Lambda] function must be callable. Received: {function!r}")
        if mask is not None:
            raise ValueError("[Lambda] mask is not supported")
        self.function, self.arguments = function, dict(arguments or {})
        self.output_shape_arg = None if output_shape is None or callable(output_shape) else \
            tuple(output_shape)

    def call(self, inputs):
        out = self.function(inputs, **self.arguments)
        want = self.output_shape_arg
        got = tuple(getattr(out, "shape", ()))[1:]
        if want is not None and len(got) == len(want) and any(
                w is not None and w != g for w, g in zip(want, got)):
            raise ValueError(f"[{self.name}] output_shape={want} but the function returned "
                             f"shape (batch,) + {got}")
        return out

    def declared_output_example(self, inputs):
        """Zeros of shape (batch,) + output_shape, when output_shape is fully given: the
        symbolic call's example output if the function cannot run on the all-zero examples
        (keras/symbolic.py); None otherwise."""
        want = self.output_shape_arg
        if want is None or any(d is None for d in want):
            return None
        first = next(t for t in tree.flatten(inputs) if hasattr(t, "shape"))
        return Tensor._wrap(np.zeros((first.shape[0],) + want, np.float32))

    def get_config(self):
        cfg = super().get_config()
        args, kwargs = list(cfg["args"]), dict(cfg["kwargs"])
        if args:
            kwargs["function"] = args.pop(0)
        if callable(kwargs["function"]):  # Layer.get_config may have written its reference
            kwargs["function"] = function_ref(kwargs["function"], self.name)
        if callable(kwargs.get("output_shape")):
            kwargs["output_shape"] = function_ref(kwargs["output_shape"], self.name)
        cfg["args"], cfg["kwargs"] = [encode(a, self.name) for a in args], \
            {k: encode(v, self.name) if k != "function" else v for k, v in kwargs.items()}
        return cfg


class OpLayer(Layer):
    """One op applied to symbolic tensors in a functional graph: function(*args, **kwargs) with
    the graph's tensors at the places marked {"__input__": i} (keras/symbolic.py records it)."""

    def __init__(self, function, args=(), kwargs=None, **layer_kwargs):
        super().__init__(**layer_kwargs)
        self.function, self.op_args, self.op_kwargs = function, list(args), dict(kwargs or {})

    def call(self, inputs):
        def fill(v):
            if isinstance(v, dict) and set(v) == {"__input__"}:
                return inputs[v["__input__"]]
            if isinstance(v, list):
                return [fill(a) for a in v]
            if isinstance(v, tuple):
                return tuple(fill(a) for a in v)
            if isinstance(v, dict):
                return {k: fill(a) for k, a in v.items()}
            return v
        return self.function(*fill(self.op_args), **fill(self.op_kwargs))

    def get_config(self):
        return {"class_name": "OpLayer", "args": [], "kwargs": {
            "function": function_ref(self.function, self.name),
            "args": encode(self.op_args, self.name), "kwargs": encode(self.op_kwargs, self.name),
            "name": self.name}}
