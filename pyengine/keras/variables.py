"""keras.Variable (Keras 3): a free-standing weight from an initializer and a shape, or from a
value; set as a layer's attribute it is one of the layer's weights (keras/layers/base.py)."""
import numpy as np

from . import initializers as _init
from .layers.base import new_variable


def Variable(initializer, shape=None, dtype=None, trainable=True, autocast=True,
             aggregation="none", name=None):
    """keras.Variable(initializer, shape, dtype, trainable, name): `initializer` is a value
    (array, tensor, number) or an initializer (name, object or callable) that `shape` is
    given for."""
    if aggregation not in ("none", "mean", "sum", "only_first_replica"):
        raise ValueError(f"[Variable] aggregation must be 'none', 'mean', 'sum' or "
                         f"'only_first_replica'. Received: {aggregation!r}")
    if autocast not in (True, False):
        raise ValueError(f"[Variable] autocast must be True or False. Received: {autocast!r}")
    if isinstance(initializer, str) or (callable(initializer) and
                                        not hasattr(initializer, "_data")):
        if shape is None:
            raise ValueError("[Variable] an initializer needs shape=")
        init = _init.get(initializer)
        value = np.asarray(init(tuple(int(s) for s in shape), "float32"))
    else:
        value = initializer
        if shape is not None and tuple(np.shape(getattr(value, "_data", value))) != tuple(shape):
            raise ValueError(f"[Variable] the value's shape {np.shape(value)} is not "
                             f"shape={tuple(shape)}")
    return new_variable(value, trainable, name, dtype, "Variable")
