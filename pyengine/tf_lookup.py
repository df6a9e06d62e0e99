"""tf.lookup: a fixed key -> value table (StaticHashTable over a KeyValueTensorInitializer), as
keras-io's memory_efficient_embeddings maps each movie id string to its embedding block inside a
Keras layer. Keys are strings or integers; `lookup` maps an array (or string batch) of keys
elementwise, missing keys to `default_value`, and records a graph node on Keras symbolic
inputs. The table lives in Python: it is data, not a weight, and is not saved with a model.

    table = tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(["a", "b"], [0, 1]), default_value=-1)
    table.lookup(np.array(["b", "zz"]))   # tensor([ 1, -1], dtype=int32)
"""
import numpy as np

from .string_dtype import as_string_array
from .tensor import Tensor
from .tf_names import symbolic_aware

__all__ = ["KeyValueTensorInitializer", "StaticHashTable"]


def _host(x):
    """A NumPy array of x (Tensor, string batch, list); bytes become str as TF's tf.string
    values compare equal to the Python strings the table was made from."""
    a = x.numpy() if isinstance(x, Tensor) else np.asarray(x)
    if a.dtype.kind == "S" or (a.dtype == object and a.size and isinstance(a.flat[0], bytes)):
        a = np.vectorize(lambda b: b.decode() if isinstance(b, bytes) else b,
                         otypes=[object])(a).astype(str)
    return a


def _kind(a, what, op):
    if a.dtype.kind in "US" or a.dtype == object:
        return "string"
    if a.dtype.kind in "iub":
        return "int"
    if a.dtype.kind == "f":
        return "float"
    raise TypeError(f"[{op}] {what} must be strings or numbers. Received dtype {a.dtype}")


class KeyValueTensorInitializer:
    """The (keys, values) pairs a StaticHashTable is built from: two 1-D sequences of equal
    length; keys strings or integers, values numbers or strings."""

    def __init__(self, keys, values, key_dtype=None, value_dtype=None, name=None):
        op = "lookup.KeyValueTensorInitializer"
        k, v = _host(keys).reshape(-1), _host(values).reshape(-1)
        if k.shape != v.shape:
            raise ValueError(f"[{op}] keys and values must have the same length. Received "
                             f"{k.size} keys and {v.size} values")
        self.key_kind = _kind(k, "keys", op)
        if self.key_kind == "float":
            raise TypeError(f"[{op}] keys must be strings or integers, not floats")
        self.value_kind = _kind(v, "values", op)
        if value_dtype is not None and self.value_kind != "string":
            v = v.astype(np.dtype(getattr(value_dtype, "name", value_dtype)))
        elif self.value_kind == "int" and np.all(np.abs(v) < 2 ** 31):
            v = v.astype(np.int32)  # Python ints: int32, as tf.constant makes them
        elif self.value_kind == "float":
            v = v.astype(np.float32)
        self.keys, self.values, self.name = k, v, name


class StaticHashTable:
    """An immutable key -> value map: `lookup(keys)` (also `table[keys]`) returns the values of
    `keys`, elementwise and of their shape, `default_value` where a key is absent."""

    def __init__(self, initializer, default_value, name=None, experimental_is_anonymous=False):
        op = "lookup.StaticHashTable"
        if not isinstance(initializer, KeyValueTensorInitializer):
            raise TypeError(f"[{op}] initializer must be a tf.lookup.KeyValueTensorInitializer. "
                            f"Received: {type(initializer).__name__}")
        keys = initializer.keys.tolist()
        if len(set(keys)) != len(keys):
            dup = next(k for i, k in enumerate(keys) if k in keys[:i])
            raise ValueError(f"[{op}] keys must be unique; {dup!r} appears more than once")
        d = _host(default_value)
        if d.ndim != 0:
            raise ValueError(f"[{op}] default_value must be a scalar. Received shape {d.shape}")
        if (_kind(d, "default_value", op) == "string") != (initializer.value_kind == "string"):
            raise TypeError(f"[{op}] default_value {default_value!r} does not match the values' "
                            f"kind ({initializer.value_kind})")
        self._init, self.name = initializer, name
        self._table = dict(zip(keys, initializer.values.tolist()))
        self._default = d.item()

    @property
    def key_dtype(self):
        return "string" if self._init.key_kind == "string" else self._init.keys.dtype

    @property
    def value_dtype(self):
        return "string" if self._init.value_kind == "string" else self._init.values.dtype

    @property
    def default_value(self):
        return self._default

    def size(self):
        return Tensor._wrap(np.asarray(len(self._table), np.int64))

    def export(self):
        """(keys, values) of the table, as TensorFlow's export."""
        return self._wrap(self._init.keys), self._wrap(self._init.values)

    def _wrap(self, a):
        return as_string_array(a.astype(str)) if a.dtype.kind in "US" or a.dtype == object \
            else Tensor._wrap(np.ascontiguousarray(a))

    def lookup(self, keys, name=None):
        return table_lookup(self, keys)

    __getitem__ = lookup


@symbolic_aware
def table_lookup(table, keys):
    op = "lookup.StaticHashTable.lookup"
    a = _host(keys)
    kind = "string" if a.dtype.kind in "US" or a.dtype == object else \
        ("int" if a.dtype.kind in "iub" else "float")
    if kind != table._init.key_kind:
        raise TypeError(f"[{op}] the table's keys are {table._init.key_kind}s; received keys of "
                        f"dtype {a.dtype}")
    get, default = table._table.get, table._default
    out = np.array([get(k, default) for k in a.reshape(-1).tolist()],
                   dtype=object if table._init.value_kind == "string" else
                   table._init.values.dtype).reshape(a.shape)
    return table._wrap(out)
