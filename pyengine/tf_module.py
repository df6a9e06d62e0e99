"""tf.Module for `import pyengine as tf`: a plain container whose tf.Variables (and those of
sub-Modules, lists, tuples and dicts held as attributes) are found by walking its attributes,
as TensorFlow's tracking does:

    class Linear(tf.Module):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.w, self.b = tf.Variable(5.0), tf.Variable(0.0)
        def __call__(self, x):
            return self.w * x + self.b
    Linear().trainable_variables     # (w, b), found in attribute-name order
"""
import re

from .keras.layers.base import Variable

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-/]*$")


def _snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class Module:
    def __init__(self, name=None):
        if name is None:
            name = _snake(type(self).__name__)
        elif not isinstance(name, str) or not _NAME.match(name):
            raise ValueError(f"[Module] {name!r} is not a valid module name: use letters, "
                             "digits, '_', '.', '-' or '/', not starting with a digit")
        self._name = name

    @property
    def name(self):
        return self._name

    @property
    def name_scope(self):
        from .tf_name_scope import name_scope
        return name_scope(self._name)

    def _walk(self):
        """Every object reachable through attributes (sorted by name, as TensorFlow orders
        them), depth first, each once."""
        seen, out = {id(self)}, []

        def visit(value):
            if isinstance(value, (list, tuple)):
                for v in value:
                    visit(v)
            elif isinstance(value, dict):
                for k in sorted(value, key=str):
                    visit(value[k])
            elif id(value) not in seen and (isinstance(value, (Module, Variable))):
                seen.add(id(value))
                out.append(value)
                if isinstance(value, Module):
                    for k in sorted(vars(value)):
                        if not k.startswith("_"):
                            visit(vars(value)[k])
        for k in sorted(vars(self)):
            if not k.startswith("_"):
                visit(vars(self)[k])
        return out

    @property
    def variables(self):
        return tuple(v for v in self._walk() if isinstance(v, Variable))

    @property
    def trainable_variables(self):
        return tuple(v for v in self.variables if v.requires_grad)

    @property
    def non_trainable_variables(self):
        return tuple(v for v in self.variables if not v.requires_grad)

    @property
    def submodules(self):
        return tuple(m for m in self._walk() if isinstance(m, Module))

    @classmethod
    def with_name_scope(cls, method):
        """A decorator TensorFlow uses to name ops inside `method`: names cannot act in eager
        pyengine, so the method is returned as it is."""
        return method

    def __repr__(self):
        return f"<{type(self).__name__} name={self._name!r}>"
