"""Layer: Keras 3's contract on top of `pe.nn.Module`.

A Keras layer IS an nn Module: its weights are Parameters registered on the module (so
parameters(), state_dict(), load_state_dict(), train()/eval() and the optimizers of pe.optim
see them), `trainable` and `requires_grad` are one flag, and layers, lists of layers and dicts of
layers assigned as attributes are tracked as submodules.

    __init__(**config)   stores and validates config ("Received: units=0")
    build(input_shape)   creates the weights with add_weight, at the first call
    call(inputs, ...)    the math, a few lines over pe.nn.functional

`training` is passed to call() only when call accepts it; inputs and outputs may be tensors or
tuples / lists / dicts of them. Called on symbolic KerasTensors (keras.Input), a layer records a
node of a functional graph instead of computing (keras/symbolic.py)."""
import functools
import inspect
import threading

import numpy as np

from ...nn.layers.container import ModuleDict, ModuleList
from ...nn.module import Module, Parameter
from ...tensor import Tensor
from .. import config_objects as _objects
from .. import constraints as _con
from .. import initializers as _init
from .. import regularizers as _reg
from .. import tree
from . import data_format as _data_format
from ..utils import snake_case, unique_name
from .config_args import saved_argument
from .saving_defaults import SavingDefaults


def _input_masks(inputs):
    """The mask attached to `inputs` (a list of masks for several inputs), None if none."""
    from .masking import get_mask
    if isinstance(inputs, Tensor):
        return get_mask(inputs)
    if isinstance(inputs, (list, tuple)):
        masks = [get_mask(t) if isinstance(t, Tensor) else None for t in inputs]
        return masks if any(m is not None for m in masks) else None
    return None


def add_layer_module(owner, layer):
    """Registers `layer` as a submodule of the model `owner` under a key made from its name
    (nn.Module keys cannot be empty or hold '.', which Keras names may: 'block1.conv' is
    'block1_conv' in state_dict, made unique)."""
    key = layer.name.replace(".", "_") or "_"
    base, i = key, 1
    while owner._modules.get(key) is not None and owner._modules[key] is not layer:
        key, i = f"{base}_{i}", i + 1
    owner.add_module(key, layer)
    return key


def remove_layer_module(owner, layer):
    for key, m in list(owner._modules.items()):
        if m is layer:
            del owner._modules[key]


def to_tensor(x):
    """A Tensor from a Tensor, NumPy array, list or number (ints and float64 become float32, as
    Keras' floatx); None and KerasTensors pass through."""
    if isinstance(x, Tensor) or x is None:
        return as_output(x)
    from ..symbolic import KerasTensor
    if isinstance(x, (KerasTensor, str)):
        return x
    a = np.asarray(x)
    if a.dtype.kind in "biu" or a.dtype == np.float64:
        a = a.astype(np.float32)
    # np.require, not np.ascontiguousarray: that one makes a 0-d array (a Python number) 1-D
    return EagerTensor._wrap(np.require(a, requirements="C"))


def size_arg(v):
    """A 0-d integer tensor or array (TF programs pass `tf.shape(x)[1]`,
    `tf.math.reduce_prod(shape)`) as its int; anything else unchanged, for the caller's check."""
    if isinstance(v, Tensor) and v.ndim == 0 and np.issubdtype(np.dtype(v.numpy().dtype),
                                                               np.integer):
        return int(v.numpy())
    # its .numpy(): a 0-d integer array here (TensorFlow's is a NumPy integer scalar), as in
    # TF's autoencoder tutorial, Dense(tf.math.reduce_prod(shape).numpy())
    if isinstance(v, np.ndarray) and v.ndim == 0 and v.dtype.kind in "iu":
        return int(v)
    return v


def _autocast(x):
    """A float64 Tensor as float32, the layers' compute dtype (Keras' autocast=True)."""
    return x.float() if isinstance(x, Tensor) and x._data.dtype == np.float64 else x


class EagerTensor(Tensor):
    """What layers receive and return: a Tensor whose .numpy() works even when it carries a
    gradient graph, as TensorFlow's eager tensors do (`model(x).numpy()`), and which is
    immutable as TensorFlow's are: `x -= m` inside a layer's call rebinds x to x - m instead of
    writing into the caller's tensor (or a tensor autograd still needs)."""
    __slots__ = ()

    def numpy(self):
        return self._data

    def __iadd__(self, o): return self + o
    def __isub__(self, o): return self - o
    def __imul__(self, o): return self * o
    def __itruediv__(self, o): return self / o

    def __array_function__(self, func, types, args, kwargs):
        # TensorFlow's eager tensors have no NumPy-named methods, so np.squeeze / np.sum /
        # np.argmax of a model's output give NumPy arrays and scalars there. Without this,
        # NumPy dispatches to Tensor.squeeze etc. and returns Tensors: keras-io actor_critic's
        # np.random.choice(p=np.squeeze(action_probs)) then refused float32 probabilities
        # (NumPy loosens its sum-to-1 tolerance only for float32 ndarrays).
        return func(*_as_arrays(args), **_as_arrays(kwargs))

    @property
    def _keras_mask(self):
        """The (batch, time) boolean mask a mask-producing layer attached (Keras' attribute),
        as a Tensor; None when there is none (keras/layers/masking.py)."""
        from .masking import get_mask
        mask = get_mask(self)
        return None if mask is None else Tensor._wrap(mask)

    @_keras_mask.setter
    def _keras_mask(self, mask):
        from .masking import set_mask
        set_mask(self, mask)


def _as_arrays(v):
    """v with every Tensor in it (lists, tuples, dict values) as a NumPy array."""
    if isinstance(v, Tensor):
        return np.asarray(v)
    if isinstance(v, (list, tuple)):
        return type(v)(_as_arrays(x) for x in v)
    if isinstance(v, dict):
        return {k: _as_arrays(x) for k, x in v.items()}
    return v


def as_output(t):
    if type(t) is Tensor:
        t.__class__ = EagerTensor
    return t


class Variable(Parameter):
    """A layer weight: a Parameter that knows its path ('dense/kernel') and has Keras' variable
    methods (assign, assign_add, assign_sub, numpy, value)."""
    __slots__ = ("path", "constraint")

    @property
    def name(self):
        return self.path.rsplit("/", 1)[-1]

    @property
    def trainable(self):
        return self.requires_grad

    def numpy(self):
        """A copy of the value, as TensorFlow / Keras return it (keras-io neural style transfer
        edits `combination_image.numpy()` in place to display it; the variable must not
        change)."""
        return self._data.copy()

    @property
    def value(self):
        return self

    def assign(self, value):
        v = np.asarray(value._data if isinstance(value, Tensor) else value)
        if v.shape != self._data.shape and v.size != self._data.size:
            raise ValueError(f"[{self.path}] assign: value has shape {v.shape}, the variable "
                             f"{self._data.shape}")
        np.copyto(self._data, v.reshape(self._data.shape), casting="unsafe")
        return self

    def assign_add(self, value):
        return self.assign(self._data + np.asarray(getattr(value, "data", value)))

    def assign_sub(self, value):
        return self.assign(self._data - np.asarray(getattr(value, "data", value)))


def new_variable(value, trainable=True, name=None, dtype=None, op="Variable"):
    """A free-standing Variable (tf.Variable, keras.Variable) holding a copy of `value`; set as
    a layer's attribute it becomes one of the layer's weights (trainable or not)."""
    if isinstance(trainable, bool) is False and trainable is not None:
        raise TypeError(f"[{op}] trainable must be True or False. Received: {trainable!r}")
    a = value._data if isinstance(value, Tensor) else np.asarray(value)
    if dtype is not None:
        from ... import dtypes as _dt
        a = a.astype(_dt.as_dtype(dtype).np)
    elif a.dtype == np.float64 and not isinstance(value, (np.ndarray, Tensor)):
        a = a.astype(np.float32)  # Python floats: float32, as TensorFlow and Keras make them
    a = np.array(a, copy=True)
    grad = trainable is not False and a.dtype.kind == "f"
    if trainable and a.dtype.kind != "f":
        raise ValueError(f"[{op}] only floating variables can be trainable; got dtype {a.dtype}"
                         f" (pass trainable=False)")
    v = Variable(Tensor._wrap(a), requires_grad=grad)
    v.path = name or "Variable"
    v.constraint = None
    return v


class _AllocationGuard(threading.local):
    """While a saved model is loaded, the weight bytes its config may allocate (see load_model)."""
    budget = None


allocation_guard = _AllocationGuard()


class _CallState(threading.local):
    depth = 0          # nesting of Layer.__call__ (0: a top-level call)
    training = None    # the training flag of the outermost call that gave one


_call_state = _CallState()
_ACCEPTS = {}


def _is_flag(v):
    """True for a usable training flag: a bool, 0 / 1, or a one-element boolean / integer
    array or Tensor."""
    a = np.asarray(getattr(v, "_data", v))
    return a.size == 1 and (a.dtype.kind == "b" or (a.dtype.kind in "iu" and
                                                    int(a.reshape(())) in (0, 1)))


def _call_params(cls):
    """(accepts `training`, accepts `mask`, first positional name, second positional name,
    the bool default of call's `training` or None) for cls.call, computed once per class."""
    got = _ACCEPTS.get(cls)
    if got is None:
        params = inspect.signature(cls.call).parameters
        var_kw = any(p.kind is p.VAR_KEYWORD for p in params.values())
        positional = [n for n, p in params.items() if n != "self" and p.kind in (
            p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        default = params["training"].default if "training" in params else None
        got = _ACCEPTS[cls] = ("training" in params or var_kw, "mask" in params,
                               positional[0] if positional else "inputs",
                               positional[1] if len(positional) > 1 else None,
                               default if isinstance(default, bool) else None)
    return got


def call_build(layer, shapes):
    """layer.build(shapes), or layer.build() when build takes no input shape (Keras 3 calls a
    `def build(self)` without arguments)."""
    cls = type(layer)
    takes = _BUILD_TAKES_SHAPE.get(cls)
    if takes is None:
        params = list(inspect.signature(cls.build).parameters.values())[1:]
        takes = _BUILD_TAKES_SHAPE[cls] = any(
            p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
            for p in params)
    return layer.build(shapes) if takes else layer.build()


_BUILD_TAKES_SHAPE = {}


def _tracking_keys(mapping):
    """The layers of a dict attribute under module names: its keys, with '.' (a module path
    separator; Keras allows any key, e.g. FeatureSpace's 'emp.var.rate') made '_' and a
    clash numbered. The attribute itself keeps the user's dict and keys."""
    out = {}
    for k, v in mapping.items():
        if not isinstance(v, Module):
            continue
        key = str(k).replace(".", "_") or "_"
        base, i = key, 1
        while key in out:
            key, i = f"{base}_{i}", i + 1
        out[key] = v
    return out


class _TrackedList(list):
    """A list attribute of a layer: layers appended later are tracked too (as Keras does)."""

    def __init__(self, items, owner, name):
        super().__init__(items)
        self._owner, self._name = owner, name

    def _sync(self):
        self._owner._track_modules(self._name, self)

    def append(self, v):
        super().append(v)
        self._sync()

    def extend(self, vs):
        super().extend(vs)
        self._sync()

    def insert(self, i, v):
        super().insert(i, v)
        self._sync()

    def __setitem__(self, i, v):
        super().__setitem__(i, v)
        self._sync()

    def __iadd__(self, vs):  # `self.blocks += [layer]` (Keras keeps tracking the list)
        super().__iadd__(vs)
        self._sync()
        return self

    def __delitem__(self, i):
        super().__delitem__(i)
        self._sync()

    def pop(self, i=-1):
        v = super().pop(i)
        self._sync()
        return v

    def remove(self, v):
        super().remove(v)
        self._sync()

    def clear(self):
        super().clear()
        self._sync()


class Layer(Module, SavingDefaults):
    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        build = cls.__dict__.get("build")
        if build is not None and not getattr(build, "_marks_built", False):
            @functools.wraps(build)
            def wrapped(self, *args, **kw):  # a build() called directly also marks the layer built
                shape = args[0] if args else kw.get("input_shape")
                self.__dict__["_build_input_shape"] = shape  # get_build_config's
                out = build(self, *args, **kw)
                self.__dict__["built"] = True
                self._set_initial_weights()
                return out
            wrapped._marks_built = True
            cls.build = wrapped

    def __new__(cls, *args, **kwargs):
        obj = super().__new__(cls)
        Module.__init__(obj)  # here, so attributes may be set before super().__init__()
        d = obj.__dict__
        # a default name only for a layer given none: as Keras, named layers take no number,
        # so the unnamed ones are 'activation', 'activation_1', ... whatever the named ones
        given = kwargs.get("name")
        name = given if given is not None else unique_name(snake_case(cls.__name__))
        d.update(training=False, built=False, _trainable=True, _losses=[], _regularizers=[],
                 activity_regularizer=None,
                 _inbound_nodes=[], _last_output_shape=None, _input_shape_arg=None,
                 _batch_size_arg=None,
                 _init_args=(args, kwargs), name=name)
        return obj

    @classmethod
    def from_config(cls, config):
        """A new layer from get_config(): pyengine's {'class_name', 'args', 'kwargs'}, or the
        constructor arguments alone (Keras' default from_config: cls(**config))."""
        if isinstance(config, dict) and "class_name" in config and "kwargs" in config:
            from ..saving import from_config
            return from_config(config, {config["class_name"]: cls})
        return cls(**config)

    def get_config(self):
        """{'class_name', 'args', 'kwargs'} as given to __init__ (nested layers included), and
        Keras' flat keys: each constructor argument as the layer holds it (config_view.py)."""
        from .activation_slot import current_record
        args, kwargs = current_record(self, *self._init_args)  # `layer.activation = None` kept
        kwargs = {k: v for k, v in kwargs.items() if k != "weights"}  # values, not config
        kwargs = {k: saved_argument(_objects.to_config(k, v), self.name)
                  for k, v in kwargs.items()}
        args = [saved_argument(_objects.to_config(f"args[{i}]", a), self.name)
                for i, a in enumerate(args)]
        kwargs["name"] = self.name
        from .config_view import flat_arguments
        # Keras' flat keys (kernel_size, units ...) beside the rebuild record
        config = flat_arguments(self)
        config.update(class_name=type(self).__name__, args=list(args), kwargs=kwargs)
        return config

    def __init__(self, name=None, trainable=True, dtype=None, input_shape=None, input_dim=None,
                 batch_input_shape=None, batch_size=None, autocast=True,
                 activity_regularizer=None, weights=None, **kwargs):
        if kwargs:
            raise TypeError(f"[{type(self).__name__}] unrecognized keyword arguments: "
                            f"{sorted(kwargs)}")
        if autocast not in (True, False):
            raise ValueError(f"[{type(self).__name__}] autocast must be True or False. "
                             f"Received: autocast={autocast!r}")
        # autocast (Keras): floating inputs are cast to the compute dtype, float32 here
        self.__dict__["_autocast"] = autocast
        # Keras 2's `weights=[kernel, bias]`: the layer's first weights, set when it is built
        # (a list whose length or shapes do not fit raises there, from set_weights)
        if weights is not None and not isinstance(weights, (list, tuple)):
            raise TypeError(f"[{type(self).__name__}] weights must be a list of arrays (Keras "
                            f"2's initial weights). Received: {type(weights).__name__}")
        self.__dict__["_initial_weights"] = None if weights is None else list(weights)
        # a penalty on the layer's outputs, added to its losses at every call (Keras 3: not
        # divided by the batch size)
        self.__dict__["activity_regularizer"] = _reg.get(activity_regularizer)
        if dtype not in (None, "float32", np.float32) and str(dtype) not in ("float32",
                                                                            "pyengine.float32"):
            raise ValueError(f"[{type(self).__name__}] only dtype='float32' layers are "
                             f"supported. Received: dtype={dtype}")
        if name is not None:
            if not isinstance(name, str) or "/" in name:  # Keras 3's rule ('/' joins paths)
                raise ValueError(f"[{type(self).__name__}] name must be a string without '/'. "
                                 f"Received: name={name!r}")
            self.name = name
        self.trainable = trainable
        if input_dim is not None:
            input_shape = (input_dim,)
        if batch_input_shape is not None:
            batch_size, input_shape = tuple(batch_input_shape)[0], tuple(batch_input_shape)[1:]
        elif batch_size is not None and input_shape is None:
            raise ValueError(f"[{type(self).__name__}] batch_size={batch_size!r} needs "
                             "input_shape= (or input_dim=): it fixes the batch dimension of the "
                             "model input this first layer declares")
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(
                batch_size, (int, np.integer)) or batch_size < 1):
            raise ValueError(f"[{type(self).__name__}] batch_size must be a positive integer "
                             f"or None. Received: batch_size={batch_size!r}")
        # Keras 2's fixed batch dimension of the model input (Sequential keeps it)
        self.__dict__["_batch_size_arg"] = None if batch_size is None else int(batch_size)
        self._input_shape_arg = None if input_shape is None else tuple(
            (input_shape,) if isinstance(input_shape, int) else input_shape)

    # ---- attribute tracking ---------------------------------------------------------------
    def __setattr__(self, name, value):
        d = self.__dict__
        if isinstance(value, Parameter) and any(
                value is p for p in (*d["_parameters"].values(), *d["_buffers"].values())):
            object.__setattr__(self, name, value)  # a weight add_weight already registered
            return
        if isinstance(value, _TrackedList) and value._owner is self and value._name == name:
            value._sync()  # `self.blocks += [...]` assigns the same tracked list back
            object.__setattr__(self, name, value)
            return
        if (isinstance(value, (list, tuple)) and not isinstance(value, _TrackedList)
                and (any(isinstance(v, Module) for v in value)
                     or (type(value) is list and not value and not name.startswith("_")))):
            if type(value) is list:
                value = _TrackedList(value, self, name)
            self._track_modules(name, value)
            d.pop(name, None)
            object.__setattr__(self, name, value)
            return
        if isinstance(value, dict) and any(isinstance(v, Module) for v in value.values()):
            d["_modules"].pop(name, None)
            d["_modules"][name] = ModuleDict(_tracking_keys(value))
            object.__setattr__(self, name, value)
            return
        if name in d["_modules"] and not isinstance(value, Module) and value is not None:
            del d["_modules"][name]  # a tracked list replaced by something else
        super().__setattr__(name, value)

    def _track_modules(self, name, items):
        mods = [v for v in items if isinstance(v, Module)]
        store = self.__dict__["_modules"]
        if mods:
            store[name] = ModuleList(mods)
        else:
            store.pop(name, None)

    # ---- weights --------------------------------------------------------------------------
    _K3_WEIGHT_ARGS = ("shape", "initializer", "dtype", "trainable", "autocast", "regularizer",
                       "constraint", "aggregation", "name")
    _K2_WEIGHT_ARGS = ("name", "shape", "dtype", "initializer", "regularizer", "trainable",
                       "constraint")

    def add_weight(self, *args, **kwargs):
        """Keras 3's add_weight(shape=None, initializer=None, dtype=None, trainable=True,
        autocast=True, regularizer=None, constraint=None, aggregation="none", name=None); a
        first positional string is tf.keras 2's order, add_weight(name, shape, dtype,
        initializer, regularizer, trainable, constraint) (TF's custom_layers tutorial:
        `self.add_weight("kernel", shape=[...])`). See _new_weight."""
        keras2 = bool(args) and isinstance(args[0], str)
        order = self._K2_WEIGHT_ARGS if keras2 else self._K3_WEIGHT_ARGS
        if len(args) > len(order):
            raise TypeError(f"[{self.name}] add_weight takes at most {len(order)} positional "
                            f"arguments ({', '.join(order)}), got {len(args)}")
        for key, value in zip(order, args):
            if key in kwargs:
                raise TypeError(f"[{self.name}] add_weight got two values for {key!r}")
            kwargs[key] = value
        if keras2 and kwargs.get("trainable") is None:
            kwargs["trainable"] = True  # tf.keras 2's default (None: trainable)
        return self._new_weight(**kwargs)

    def _new_weight(self, shape=None, initializer=None, dtype=None, trainable=True,
                    autocast=True, regularizer=None, constraint=None, aggregation="none",
                    name=None):
        """A new weight of `shape` drawn from `initializer` (a name, Initializer or callable);
        trainable weights are Parameters, non-trainable ones persistent buffers (Keras'
        non_trainable_weights, e.g. BatchNormalization's moving statistics).
        `autocast` and `aggregation` are checked but cannot act here (docs/hardening.md): a
        weight is float32 as the only compute dtype is (autocast has nothing to cast), and
        one process holds one replica (aggregation merges replicas' updates)."""
        if autocast not in (True, False):
            raise ValueError(f"[{self.name}] add_weight: autocast must be True or False. "
                             f"Received: autocast={autocast!r}")
        if aggregation not in ("none", "mean", "sum", "only_first_replica"):
            raise ValueError(f"[{self.name}] add_weight: aggregation must be 'none', 'mean', "
                             f"'sum' or 'only_first_replica'. Received: "
                             f"aggregation={aggregation!r}")
        constraint = _con.get(constraint)  # applied by the optimizer after each update
        if dtype not in (None, "float32", np.float32):
            raise ValueError(f"[{self.name}] add_weight: only float32 weights are supported. "
                             f"Received: dtype={dtype}")
        shape = () if shape is None else tuple(int(s) for s in shape)
        if any(s < 0 for s in shape):
            raise ValueError(f"[{self.name}] add_weight: negative dimension in shape {shape}")
        nbytes = 4 * int(np.prod(shape, dtype=np.float64))
        if allocation_guard.budget is not None:
            if nbytes > allocation_guard.budget:
                raise ValueError(f"[load_model] layer '{self.name}' declares a weight of shape "
                                 f"{shape} ({nbytes:,} bytes), more than the file holds or the "
                                 f"limit allows ({allocation_guard.budget:,} bytes left); "
                                 "refusing to allocate it")
            allocation_guard.budget -= nbytes
        init = _init.get("glorot_uniform" if initializer is None else initializer)
        # np.array, not ascontiguousarray: that makes a scalar (shape ()) weight 1-D
        arr = np.array(init(shape, dtype="float32"), dtype=np.float32, order="C")
        w = Variable(Tensor._wrap(arr), requires_grad=bool(trainable and self._trainable))
        base = name or "variable"
        key, i = base, 1
        while key in self._parameters or key in self._buffers or key in self._modules:
            key, i = f"{base}_{i}", i + 1
        w.path = f"{self.name}/{key}"
        w.constraint = constraint
        if trainable:
            self.register_parameter(key, w)
        else:
            w.requires_grad = False
            self.register_buffer(key, w)
        reg = _reg.get(regularizer)
        if reg is not None:
            self._regularizers.append((w, reg))
        return w

    add_variable = add_weight

    @property
    def _name(self):
        """tf.keras 2 kept a layer's name in `_name`, and programs rename layers by assigning
        it (`encoder.layers[0]._name = "input_1"` before `get_layer("input_1")`): an alias
        of `name`."""
        return self.name

    @_name.setter
    def _name(self, value):
        if not isinstance(value, str) or "/" in value:
            raise ValueError(f"[{type(self).__name__}] name must be a string without '/'. "
                             f"Received: _name={value!r}")
        self.name = value

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        """Keras' trainable flag IS requires_grad: it is set on every weight of the layer and
        its sublayers (non-trainable weights, buffers, never require grad)."""
        value = bool(value)
        for m in self.modules():
            if isinstance(m, Layer):
                m.__dict__["_trainable"] = value
            for p in m._parameters.values():
                if p is not None:
                    p.requires_grad = value

    @property
    def weights(self):
        """Every weight, the layer's own (in creation order, trainable first) then its
        sublayers', each once."""
        out, seen = [], set()
        for m in self.modules():
            for t in (*m._parameters.values(), *(b for k, b in m._buffers.items()
                                                 if k not in m._non_persistent_buffers)):
                if t is not None and id(t) not in seen:
                    seen.add(id(t))
                    out.append(t)
        return out

    @property
    def submodules(self):
        """Every nested layer / module, the layer itself excluded (tf.keras 2's tf.Module
        property; TensorFlow's intro_to_modules guide prints a model's)."""
        return tuple(m for m in self.modules() if m is not self)

    @property
    def trainable_weights(self):
        return [w for w in self.weights if w.requires_grad]

    @property
    def non_trainable_weights(self):
        return [w for w in self.weights if not w.requires_grad]

    variables = weights
    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    def add_loss(self, loss):
        """A loss term (scalar Tensor) added to the training loss; those added during a call
        are cleared when the next top-level call starts."""
        self._losses.append(loss)

    def add_metric(self, value, name=None, aggregation="mean"):
        """TF-Keras 2's add_metric: `value` (a batch's metric value) is averaged over the epoch
        under `name` in model.metrics. The result of calling a metric object this layer holds
        (`self.add_metric(self.acc(y, p))`) needs no name: that metric is already tracked."""
        from .. import metrics as _metrics
        called = _metrics.Metric.last_called
        if called is not None and any(v is called for v in self.__dict__.values()) and \
                _same_value(value, called.result()):
            # the result of a metric object this layer holds: that metric is already tracked
            # under its own name, as TF-Keras 2 does (a name= given here is not used, so the
            # value is not logged a second time as a mean of running results)
            return
        if name is None:
            raise ValueError(f"[{self.name}] add_metric needs a name= for a value that is not "
                             "the result of one of this layer's metric objects")
        if aggregation != "mean":
            raise ValueError(f"[{self.name}] add_metric supports aggregation='mean' only. "
                             f"Received: aggregation={aggregation!r}")
        added = self.__dict__.setdefault("_added_metrics", {})
        if name not in added:
            added[name] = _metrics.Mean(name=name)
        added[name].update_state(value)

    def _own_metrics(self):
        """Metric objects held as attributes or made by add_metric (model.metrics lists them)."""
        from ..metrics import Metric
        out = [v for v in self.__dict__.values() if isinstance(v, Metric)]
        return out + list(self.__dict__.get("_added_metrics", {}).values())

    @property
    def losses(self):
        """Losses added during the last call plus weight-regularization penalties, this layer's
        and its sublayers'."""
        out = []
        for m in self.modules():
            if isinstance(m, Layer):
                out += list(m._losses) + [r(w) for w, r in m._regularizers]
        return out

    def get_weights(self):
        return [w._data.copy() for w in self.weights]

    def set_weights(self, weights):
        mine = self.weights
        if len(weights) != len(mine):
            raise ValueError(f"[{self.name}] set_weights expected {len(mine)} arrays, received "
                             f"{len(weights)}")
        for w, v in zip(mine, weights):
            v = np.asarray(v)
            if v.shape != w.shape:
                raise ValueError(f"[{self.name}] weight {getattr(w, 'path', '?')} has shape "
                                 f"{w.shape}, received {v.shape}")
        for w, v in zip(mine, weights):
            np.copyto(w._data, np.asarray(v), casting="unsafe")  # in place: optimizers keep refs

    def count_params(self):
        return int(sum(w._data.size for w in self.weights))

    @property
    def dtype(self):
        return "float32"

    compute_dtype = variable_dtype = dtype

    # ---- calling ---------------------------------------------------------------------------
    def build(self, input_shape):
        self.built = True

    def call(self, inputs, *args, **kwargs):
        raise NotImplementedError(f"[{type(self).__name__}] Layer subclasses must define "
                                  "call(self, inputs)")

    def compute_output_shape(self, input_shape):
        return input_shape

    # ---- masks (Keras 3): a layer with supports_masking passes its input's mask on -----------
    supports_masking = False

    def compute_mask(self, inputs, mask=None):
        """The mask of this layer's output: the input's when supports_masking (override to
        make or change one, as Embedding(mask_zero=True) does)."""
        return mask if self.supports_masking else None

    def _propagate_mask(self, inputs, outputs, prev_mask):
        if not self.supports_masking and type(self).compute_mask is Layer.compute_mask:
            return  # Keras 3: a layer without masking support ends the mask here
        out_mask = self.compute_mask(inputs, prev_mask)
        if out_mask is None:
            return
        from .masking import get_mask, set_mask
        flat = tree.flatten(outputs)
        masks = tree.flatten(out_mask) if isinstance(out_mask, (list, tuple)) else \
            [out_mask] * len(flat)
        for t, m in zip(flat, masks):
            if isinstance(t, Tensor) and m is not None and get_mask(t) is None:
                set_mask(t, m)

    def forward(self, *args, **kwargs):  # nn.Module's name for call
        return self(*args, **kwargs)

    def _inputs_to_tensors(self, inputs):
        """The call's inputs as Tensors (to_tensor: NumPy ints and float64 as float32, floatx);
        a functional model keeps the integers of its integer Inputs (Model)."""
        return tree.map_structure(to_tensor, inputs)

    def __call__(self, *args, **kwargs):
        if not args:  # the inputs passed by the name of call's first parameter
            first = _call_params(type(self))[2]
            if first not in kwargs:
                raise TypeError(f"[{self.name}] called without inputs (call's first argument, "
                                f"'{first}')")
            args = (kwargs.pop(first),)
        inputs, rest = args[0], args[1:]
        from ..symbolic import call_symbolic, is_symbolic
        if is_symbolic(inputs) or any(is_symbolic(a) for a in rest):
            return call_symbolic(self, inputs, rest, kwargs)
        if self.__dict__.get("_deferred_weights") is not None:
            self._assign_deferred_weights(args, kwargs)
        inputs = self._inputs_to_tensors(inputs)
        if self.__dict__.get("_autocast", True):
            inputs = _autocast(inputs) if isinstance(inputs, Tensor) else \
                tree.map_structure(_autocast, inputs)
        if rest and "training" not in kwargs and _call_params(type(self))[3] == "training":
            # call(self, inputs, training=None): a second positional argument is `training`
            # (keras.Model's call signature), as Keras binds it
            kwargs["training"], rest = rest[0], rest[1:]
        channels_first = self.__dict__.get("_channels_first")
        if channels_first:  # data_format='channels_first': run the channels-last layer
            inputs = tree.map_structure(_data_format.to_last, inputs)
        training = kwargs.pop("training", None)
        if training is not None and not _is_flag(training):
            raise TypeError(f"[{self.name}] training must be a bool (or None). Received "
                            f"{type(training).__name__}: the argument after the inputs of "
                            f"{type(self).__name__}.call is `training`; pass other inputs "
                            "in the inputs structure")
        state = _call_state
        outer_training = state.training
        if training is None:  # Keras' order: the argument, the outer call's, call's default
            training = outer_training
        if training is None:
            training = _call_params(type(self))[4]
        if training is None:
            training = self.training  # the Module's train() / eval() mode (False unless set)
        accepts_mask = _call_params(type(self))[1]
        prev_mask = kwargs.get("mask")
        if prev_mask is None:
            prev_mask = _input_masks(inputs)
            if accepts_mask and prev_mask is not None:
                kwargs["mask"] = prev_mask  # Keras passes the inputs' mask to call(mask=)
        if not accepts_mask:
            kwargs.pop("mask", None)
        if state.depth == 0:
            for m in self.modules():
                if isinstance(m, Layer):
                    m._losses.clear()
        state.depth += 1
        state.training = bool(training)
        try:
            if not self.built:
                self._build_for(inputs)
            if _call_params(type(self))[0]:
                kwargs["training"] = bool(training)
            outputs = self.call(inputs, *rest, **kwargs)
        finally:
            state.depth -= 1
            state.training = outer_training
        outputs = tree.map_structure(as_output, outputs)
        if channels_first:
            outputs = tree.map_structure(_data_format.to_first, outputs)
        reg = self.__dict__.get("activity_regularizer")
        if reg is not None:
            for out in tree.flatten(outputs):
                if isinstance(out, Tensor):
                    self.add_loss(reg(out))
        if prev_mask is not None or type(self).compute_mask is not Layer.compute_mask:
            self._propagate_mask(inputs, outputs, prev_mask)
        flat = tree.flatten(outputs)
        first = flat[0] if flat else None
        if isinstance(first, Tensor):
            self.__dict__["_last_output_shape"] = (None,) + tuple(first.shape[1:])  # per step:
            # a plain attribute, past the tracking __setattr__
        return outputs

    def _assign_deferred_weights(self, args, kwargs):
        """Weights restored before this layer had any (tf.train.Checkpoint.restore into an
        unbuilt model; TensorFlow assigns them as the variables are created): a first call
        without gradients creates them, they get the saved values, and then the real first
        call runs on those (the dry call's own weight updates are overwritten with them)."""
        from ...autograd import no_grad
        arrays, source, *then = self.__dict__["_deferred_weights"]
        self.__dict__["_deferred_weights"] = None
        with no_grad():
            self(*args, **kwargs)
        if len(arrays) != len(self.weights):
            raise ValueError(f"[{self.name}] {source} holds {len(arrays)} weights for this "
                             f"layer, but its first call created {len(self.weights)}")
        self.set_weights(arrays)
        for restore_state in then:  # the optimizers' state of these weights (a checkpoint's)
            restore_state(self.weights)

    def _build_for(self, inputs):
        shapes = tree.map_structure(lambda t: tuple(t.shape) if isinstance(t, Tensor) else None,
                                    inputs)
        self.__dict__["_build_input_shape"] = shapes
        call_build(self, shapes)
        self.built = True
        self._set_initial_weights()

    def _set_initial_weights(self):
        w = self.__dict__.get("_initial_weights")
        if w is not None:
            self.__dict__["_initial_weights"] = None
            self.set_weights(w)

    @property
    def output_shape_(self):
        return self._last_output_shape

    # ---- functional-graph views (nodes recorded by keras/symbolic.py) --------------------
    def _single_node(self, what):
        if not self._inbound_nodes:
            raise ValueError(f"[{self.name}] layer has never been called on a "
                                 f"keras.Input, so it has no defined {what}")
        if len(self._inbound_nodes) > 1:
            raise ValueError(f"[{self.name}] layer has multiple inbound nodes (it is "
                                 f"shared), so its {what} is ambiguous")
        return self._inbound_nodes[0]

    @property
    def input(self):
        return self._single_node("input").call_args[0]

    @property
    def output(self):
        return self._single_node("output").outputs

    @property
    def input_shape(self):
        """Shape of `input` (None for the batch / unknown dimensions); a list of shapes for
        several inputs (TF-Keras' layer.input_shape, Keras 3's model.input_shape)."""
        return _shapes(self.input)

    @property
    def output_shape(self):
        return _shapes(self.output)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _same_value(a, b):
    a = np.asarray(getattr(a, "_data", a), dtype=np.float64)
    b = np.asarray(getattr(b, "_data", b), dtype=np.float64)
    return a.shape == b.shape and bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))


def _shapes(structure):
    flat = tree.flatten(structure)
    shapes = [tuple(t.shape) for t in flat]
    return shapes[0] if len(shapes) == 1 else shapes


# keras.Input / InputLayer live in input_layer.py (imported here: `from .base import InputLayer`)
from .input_layer import Input, InputLayer  # noqa: E402,F401
