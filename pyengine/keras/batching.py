"""How fit / evaluate / predict see their data: nested structures of arrays (one per model input
or output), sliced by sample index; `data` handed to train_step is x, (x, y) or
(x, y, sample_weight) as in Keras 3."""
import numpy as np

from ..tensor import Tensor
from . import tree


def check_batch_size(batch_size, what, default=32):
    """batch_size as an int >= 1 (NumPy integers accepted), or a ValueError naming it."""
    if batch_size is None:
        return default
    if isinstance(batch_size, (bool, np.bool_)) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size < 1:
        raise ValueError(f"[{what}] batch_size must be a positive integer. Received: "
                         f"batch_size={batch_size!r}")
    return int(batch_size)


def as_arrays(x, what, floating=True, text=False, input_keys=None, keep_floats=False,
              int_inputs=None):
    """Every leaf of x as a NumPy array (float32 for inputs; targets keep their dtype). With
    keep_floats (the elements of a dataset or generator, which Keras hands to train_step as
    they come), floating leaves keep their dtype: a float64 tf.data pipeline stays float64 in a
    custom train_step, and the layers autocast it to float32 as Keras' do. With
    text (a model with a keras.Input(dtype="string"), whose TextVectorization takes it), str
    arrays are kept as they are. With input_keys (a functional model's input names), the keys of
    a dict x that name no input are dropped with a warning, as Keras ignores them. int_inputs
    (Trainer._int_input_flags: a list by position or a dict by key) names the inputs whose
    integer and bool arrays stay as they are."""
    if input_keys is not None and isinstance(x, dict):
        extra = [k for k in x if k not in input_keys]
        if extra:
            import warnings
            warnings.warn(f"[{what}] Input dict contained keys {extra} which did not match any "
                          "model input. They will be ignored by the model.", stacklevel=3)
            x = {k: v for k, v in x.items() if k in input_keys}
    def conv(a, keep_int=False):
        if isinstance(a, Tensor):
            a = a._data
        elif hasattr(a, "to_numpy"):  # pandas
            a = a.to_numpy()
        a = np.asarray(a)
        if text and a.dtype.kind == "O" and a.size and \
                all(isinstance(v, str) for v in a.reshape(-1)):
            a = a.astype(str)  # pandas' `.values` of a text column: an object array of str
        if text and a.dtype.kind in "SU":
            return a.view(np.ndarray)
        if a.dtype.kind not in "biuf":
            raise TypeError(f"[{what}] expected numeric data, received dtype {a.dtype}")
        if not floating or (keep_floats and a.dtype.kind == "f") or (
                keep_int and a.dtype.kind in "biu"):
            return a
        return np.ascontiguousarray(a, dtype=np.float32)
    if x is None:
        return None
    if is_list_of_scalars(x):
        x = np.asarray(x)
    if int_inputs is not None:
        return map_integer_inputs(x, int_inputs, input_keys,
                                  lambda a, flag: conv(a, keep_int=flag))
    return tree.map_structure(conv, x)


def is_list_of_scalars(x):
    """Whether x is a list / tuple of numbers or strings (or of such lists): tf.keras 2 takes it
    as one array (its ListsOfScalarsDataAdapter: `model.predict(["great movie", "awful"])`,
    `fit([[0., 1.], [1., 0.]], [1., 0.])`), not as one input per element."""
    if not isinstance(x, (list, tuple)):
        return False
    while isinstance(x, (list, tuple)) and x:
        x = x[0]
    return isinstance(x, (int, float, str, bytes, np.generic))


def is_integer_dtype_name(dtype):
    """Whether a keras.Input's dtype (a string) is an integer or bool one."""
    return isinstance(dtype, str) and (dtype.startswith(("int", "uint")) or dtype == "bool")


def map_integer_inputs(x, int_inputs, input_keys, fn):
    """fn(leaf, is the leaf's model input integer) over the leaves of x, the inputs given as a
    dict (by key), a list / tuple (by position) or one structure for a one-input model;
    int_inputs as Trainer._int_input_flags gives it, input_keys the inputs' names."""
    flags = int_inputs if isinstance(int_inputs, dict) else dict(zip(input_keys or (), int_inputs))

    def with_flag(flag):
        return lambda a: fn(a, flag)
    if isinstance(x, dict):
        return {k: tree.map_structure(with_flag(flags.get(k, False)), v) for k, v in x.items()}
    if isinstance(int_inputs, list) and isinstance(x, (list, tuple)) and \
            len(x) == len(int_inputs):
        return type(x)(tree.map_structure(with_flag(f), v) for v, f in zip(x, int_inputs))
    if isinstance(int_inputs, list) and len(int_inputs) == 1:
        return tree.map_structure(with_flag(int_inputs[0]), x)
    return tree.map_structure(with_flag(False), x)


def num_samples(x, what, name="x"):
    leaves = tree.flatten(x)
    if not leaves:
        raise ValueError(f"[{what}] {name} is empty")
    ns = {len(a) if np.ndim(a) else 0 for a in leaves}
    if len(ns) != 1:
        raise ValueError(f"[{what}] the arrays of {name} have different numbers of samples: "
                         f"{sorted(ns)}")
    return ns.pop()


def first_leaf_samples(x):
    """The leading size of x's first array: Keras 3 weighs a batch's loss by it (a dataset's
    inputs may differ in length, e.g. the atoms and bonds of merged molecular graphs)."""
    leaves = tree.flatten(x)
    return len(leaves[0]) if leaves and np.ndim(leaves[0]) else 0


def take(x, idx):
    return None if x is None else tree.map_structure(lambda a: a[idx], x)


def _lists_to_tuples(v):
    if isinstance(v, (list, tuple)):
        return tuple(_lists_to_tuples(e) for e in v)
    if isinstance(v, dict):
        return {k: _lists_to_tuples(e) for k, e in v.items()}
    return v


def pack(x, y=None, sample_weight=None):
    """The `data` argument of train_step / test_step (Keras 3's rule: x alone unless x is a
    list or tuple, which is wrapped as (x,) so it is not taken for (x, y)). Lists become
    tuples, as Keras' data adapters make them (keras-io wgan-graphs tests
    `isinstance(data[0], tuple)` for its [adjacency, features] inputs)."""
    x, y, sample_weight = (_lists_to_tuples(v) for v in (x, y, sample_weight))
    if y is None and sample_weight is None:
        return (x,) if isinstance(x, (list, tuple)) else x
    return (x, y) if sample_weight is None else (x, y, sample_weight)


def as_tensors(data):
    """`data` with its numeric arrays as Tensors sharing their memory (text and other object
    arrays stay arrays): what an overridden train_step / test_step / predict_step receives, as
    Keras 3 hands such a step tf.Tensors (TensorFlow backend) or torch tensors (torch backend),
    so that `x.numpy()`, `x.size(0)` or `x.to(device)` work there."""
    if isinstance(data, np.ndarray):
        return Tensor._wrap(data) if data.dtype.kind in "biuf" else data
    if isinstance(data, tuple):
        return tuple(as_tensors(v) for v in data)
    if isinstance(data, list):
        return [as_tensors(v) for v in data]
    if isinstance(data, dict):
        return {k: as_tensors(v) for k, v in data.items()}
    return data


def unpack_x_y_sample_weight(data):
    """(x, y, sample_weight) from what train_step received (y, sample_weight may be None)."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise ValueError(f"[train_step] data must be x, (x,), (x, y) or (x, y, sample_weight); "
                     f"received a tuple of {len(data)}")


def is_dataset(x):
    """An iterable of batches (a pe.data Dataset, a generator ...) rather than arrays."""
    return (x is not None and not isinstance(x, (np.ndarray, Tensor, list, tuple, dict))
            and not hasattr(x, "to_numpy") and hasattr(x, "__iter__"))


def class_weights_to_sample_weights(class_weight, y, what):
    """Per-sample weights class_weight[label] (labels: integers, one-hot rows or 0/1)."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        labels = y.argmax(1)
    else:
        labels = np.rint(y.reshape(-1)).astype(np.int64)
    missing = sorted(set(np.unique(labels).tolist()) - set(class_weight))
    if missing:
        raise ValueError(f"[{what}] class_weight has no entry for classes {missing}")
    return np.array([class_weight[int(c)] for c in labels], np.float32)
