"""Helpers shared by the Keras facade: name resolution with helpful errors, unique layer names,
array conversion, and to_categorical."""
import re

import numpy as np

from ..tensor import Tensor

_name_counts = {}


def unique_name(base):
    """'dense', 'dense_1', ... as Keras names layers."""
    n = _name_counts.get(base, 0)
    _name_counts[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


def snake_case(name):
    """Keras' rule for default names: 'Conv3D' -> 'conv3d', 'ConvLSTM2D' -> 'conv_lstm2d',
    'LSTM' -> 'lstm', 'LeakyReLU' -> 'leaky_re_lu' (a capitalised word, or a lower-case letter
    before a capital, starts a new part)."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def resolve(kind, identifier, table, classes=()):
    """An object from a string name (looked up in `table`), an instance of `classes`, or a
    callable. Unknown strings raise a ValueError listing the valid names."""
    if isinstance(identifier, str):
        key = identifier.lower()
        if key not in table:
            raise ValueError(f"[{kind}] unknown {kind} '{identifier}'. Valid names: "
                             f"{', '.join(sorted(table))}")
        return table[key]()
    if classes and isinstance(identifier, classes):
        return identifier
    if callable(identifier):
        return identifier
    raise TypeError(f"[{kind}] expected a string name, a {kind} object or a callable, "
                    f"received: {identifier!r}")


def as_array(x, name="x"):
    """A NumPy array from a NumPy array, Tensor, list or pandas object."""
    if isinstance(x, Tensor):
        return x._data
    if hasattr(x, "to_numpy"):
        x = x.to_numpy()
    return np.asarray(x)


def as_float32(x, name="x"):
    a = as_array(x, name)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"[{name}] expected numeric data, received dtype {a.dtype}")
    return np.ascontiguousarray(a, dtype=np.float32)


def to_categorical(y, num_classes=None, dtype="float32"):
    """One-hot encoding of integer class labels: (n,) -> (n, num_classes)."""
    y = np.asarray(y)
    if y.ndim > 1 and y.shape[-1] == 1:
        y = y.reshape(y.shape[:-1])
    if y.dtype.kind == "f" and not np.all(np.mod(y, 1) == 0):
        raise ValueError("[to_categorical] labels must be integers")
    y = y.astype(np.int64)
    if num_classes is None:
        num_classes = int(y.max()) + 1 if y.size else 0
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f"[to_categorical] labels must be in [0, {num_classes}), received "
                         f"min {y.min()}, max {y.max()}")
    out = np.zeros(y.shape + (num_classes,), dtype=dtype)
    np.put_along_axis(out, y[..., None], 1, axis=-1)
    return out


def normalize(x, axis=-1, order=2):
    """x divided by its `order`-norm along `axis` (rows of norm 0 are left unchanged), as
    keras.utils.normalize (Keras 2: keras.utils.np_utils.normalize) on NumPy arrays."""
    x = as_array(x)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis)


# Keras 3 serves the sequence utilities from keras.utils too (keras/preprocessing/ holds them).
def set_random_seed(seed):
    """Seeds Python's `random`, NumPy's global generator and pyengine's (keras.utils'
    set_random_seed: one call makes a program's draws repeatable)."""
    import random as _py_random

    from .. import random as _pe_random
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise ValueError(f"[set_random_seed] seed must be an int. Received: seed={seed!r}")
    _py_random.seed(int(seed))
    np.random.seed(int(seed) % 2 ** 32)
    _pe_random.manual_seed(int(seed))


from .model_plot import model_to_dot, plot_model  # noqa: E402,F401
from .preprocessing.image_dataset import (  # noqa: E402,F401
    array_to_img, image_dataset_from_directory, img_to_array, load_img)
from .preprocessing.image_encode import save_img  # noqa: E402,F401
from .preprocessing.text_dataset import text_dataset_from_directory  # noqa: E402,F401
from .preprocessing.sequence import pad_sequences  # noqa: E402,F401
from .preprocessing.timeseries import timeseries_dataset_from_array  # noqa: E402,F401
# ---- keras.utils.PyDataset / Sequence (keras/data_adapters.py) --------------------------------
from .data_adapters import PyDataset, Sequence  # noqa: E402
from .split_dataset import (pack_x_y_sample_weight, split_dataset,  # noqa: E402,F401
                            unpack_x_y_sample_weight)
# ---- keras.utils.FeatureSpace (structured-data preprocessing, keras/feature_space.py) ---------
from .feature_space import FeatureSpace  # noqa: E402,F401
from .file_cache import get_file  # noqa: E402,F401
from .symbolic import get_source_inputs  # noqa: E402,F401  (keras.utils.get_source_inputs)
# ---- serialization names Keras also serves from keras.utils (keras/saving.py) -----------------
from .saving import (CustomObjectScope, custom_object_scope,  # noqa: E402,F401
                     deserialize_keras_object, get_custom_objects, get_registered_name,
                     get_registered_object, register_keras_serializable,
                     serialize_keras_object)
from .progbar import Progbar  # noqa: E402,F401  (Keras 2: keras.utils.generic_utils.Progbar)
from .config_object import Config  # noqa: E402,F401  (keras.utils.Config, Keras 3.6)
