"""tf.name_scope for programs run as `import pyengine as tf`: a context manager, as TensorFlow 2's
in eager code, where it only prefixes op names; pyengine's eager ops have no names, so it
changes no value. `with tf.name_scope("aug") as scope:` gives "aug/" (nested: "outer/aug/"),
TensorFlow's string. TensorFlow 1's form name_scope(name, default_name=None, values=None) is
accepted: default_name is used when name is None; values (the graph tensors to take the graph
from) has no meaning here and is ignored only as TensorFlow 2 ignores it (it has no graph)."""
import threading

_stack = threading.local()


class name_scope:  # noqa: N801  (TensorFlow's name)
    def __init__(self, name, default_name=None, values=None):
        name = default_name if name is None else name
        if name is None:
            raise ValueError("[name_scope] give a name (or, TensorFlow 1, a default_name)")
        if not isinstance(name, str):
            raise TypeError(f"[name_scope] name must be a string. Received: {name!r}")
        self._name = name

    @property
    def name(self):
        return self._name

    def __enter__(self):
        scopes = getattr(_stack, "scopes", None)
        if scopes is None:
            scopes = _stack.scopes = []
        if self._name.endswith("/"):  # TensorFlow: a name ending in "/" is an absolute scope
            full = self._name
        else:
            full = (scopes[-1] if scopes else "") + self._name + "/"
        scopes.append(full)
        return full

    def __exit__(self, *exc):
        _stack.scopes.pop()
        return False
