"""tf.Module for programs run as `import pyengine as tf` (TensorFlow's guides build their
models as tf.Module subclasses holding tf.Variables: basics, intro_to_modules,
basic_training_loops, the core API guides).

A Module finds its variables by walking its attributes, as TensorFlow does: attribute names in
sorted order, into lists / tuples / dicts (dict keys sorted), each object once, then into the
sub-Modules found, depth first. `variables` works even when a subclass's __init__ never called
Module.__init__ (TensorFlow's basics guide does that). pyengine's Keras layers and nn.Modules
met on the way are modules too (TensorFlow 2's Keras layers are tf.Modules): their weights /
parameters are included and `submodules` lists them.

    class Dense(tf.Module):
        def __init__(self, n_in, n_out, name=None):
            super().__init__(name=name)
            self.w = tf.Variable(tf.random.normal([n_in, n_out]), name="w")
            self.b = tf.Variable(tf.zeros([n_out]), name="b")
        def __call__(self, x):
            return tf.nn.relu(x @ self.w + self.b)
"""
import functools
import re

from .nn.module import Module as _NNModule
from .nn.module import Parameter
from .tf_name_scope import name_scope

_IGNORED = frozenset(("_self_unconditional_checkpoint_dependencies",
                      "_self_unconditional_dependency_names",
                      "_deferred_restores"))  # checkpoint values waiting for their variable


def _snake(name):
    """TensorFlow's camel_to_snake: 'MyModule' -> 'my_module', 'MLP' -> 'mlp'."""
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()


def _is_variable(obj):
    return isinstance(obj, Parameter)


def _is_module(obj):
    return isinstance(obj, (Module, _NNModule))


def _leaves(obj):
    """nest.flatten's order: lists / tuples in order, dicts by sorted key."""
    if isinstance(obj, dict):
        for k in sorted(obj, key=str):
            yield from _leaves(obj[k])
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _leaves(v)
    else:
        yield obj


def _own_items(module):
    """The objects a module holds directly: a tf.Module's attributes (sorted by name); a Keras
    layer's weights; an nn.Module's parameters and child modules."""
    if isinstance(module, Module):
        d = vars(module)
        for key in sorted(d):
            if key not in _IGNORED:
                yield from _leaves(d[key])
        return
    weights = getattr(type(module), "weights", None)
    if isinstance(weights, property):  # a Keras layer: its weights in Keras' order
        yield from module.weights
        yield from module._modules.values()
        return
    yield from module.parameters(recurse=False)
    yield from module._modules.values()


def _flatten(module, predicate, seen, stack):
    found = []
    for leaf in _own_items(module):
        if id(leaf) in seen:
            continue
        seen.add(id(leaf))
        if predicate(leaf):
            yield leaf
        if _is_module(leaf):
            found.append(leaf)
    stack.add(id(module))
    for sub in found:
        if id(sub) not in stack:
            yield from _flatten(sub, predicate, seen, stack)


def _take_restored(module, pending, name, value):
    """Assigns a restored checkpoint value to a variable set as attribute `name` after the
    restore; a sub-Module set there takes over the values saved below it."""
    if isinstance(value, Parameter) and name in pending:
        saved, path = pending.pop(name)
        if tuple(saved.shape) != tuple(value.shape):
            raise ValueError(f"[Checkpoint.restore] {type(module).__name__}.{name} has shape "
                             f"{tuple(value.shape)} but {tuple(saved.shape)} in {path}")
        value._data[...] = saved.astype(value._data.dtype, copy=False)
        value._mark_written()
    elif isinstance(value, Module):
        prefix = f"{name}/"
        for key in [k for k in pending if k.startswith(prefix)]:
            value.__dict__.setdefault("_deferred_restores", {})[key[len(prefix):]] = \
                pending.pop(key)


class Module:
    """tf.Module: a named container of variables and sub-modules (see the module docstring)."""

    def __init__(self, name=None):
        if name is None:
            name = _snake(type(self).__name__)
        elif not (isinstance(name, str) and name.isidentifier()):
            raise ValueError(f"[tf.Module] {name!r} is not a valid module name: module names "
                             "must be valid Python identifiers (e.g. a valid class name)")
        self._name = name
        with name_scope(name) as scope:
            self._scope_name = scope

    def __setattr__(self, name, value):
        pending = self.__dict__.get("_deferred_restores")
        if pending:
            _take_restored(self, pending, name, value)
        object.__setattr__(self, name, value)

    @property
    def name(self):
        if "_name" not in vars(self):
            raise AttributeError(f"[tf.Module] {type(self).__name__}.__init__ did not call "
                                 "super().__init__(), so the module has no name")
        return self._name

    @property
    def name_scope(self):
        """A tf.name_scope for this module's ops (absolute: '<name>/')."""
        self.name  # noqa: B018  (raises when __init__ was skipped)
        return name_scope(self._scope_name)

    def _flatten(self, predicate):
        return tuple(_flatten(self, predicate, {id(self)}, set()))

    @property
    def variables(self):
        """Every variable of this module and its sub-modules, each once (a tuple)."""
        return self._flatten(_is_variable)

    @property
    def trainable_variables(self):
        return self._flatten(lambda v: _is_variable(v) and v.requires_grad)

    @property
    def non_trainable_variables(self):
        return self._flatten(lambda v: _is_variable(v) and not v.requires_grad)

    @property
    def submodules(self):
        """Every module reachable from this one, itself excluded (a tuple)."""
        return self._flatten(_is_module)

    @classmethod
    def with_name_scope(cls, method):
        """Decorator: runs `method` inside the module's name_scope."""
        @functools.wraps(method)
        def wrapped(self, *args, **kwargs):
            with self.name_scope:
                return method(self, *args, **kwargs)
        return wrapped

    def __repr__(self):
        return f"<{type(self).__module__}.{type(self).__qualname__} object at {id(self):#x}>"
