"""tf.compat.v1 for TensorFlow 1 programs: `import pyengine.compat.v1 as tf` (TensorFlow 2's
`import tensorflow.compat.v1 as tf`). Every name is pyengine's TensorFlow name, except where
TensorFlow 1 meant something else:

- where(condition, x, y): TensorFlow 1's rule, no broadcasting: x and y of the same shape, and
  condition of that shape or a vector choosing whole rows (condition[i] picks x[i] or y[i]);
  where(condition) alone gives the coordinates of the true entries (int64, (n, rank));
- random_uniform / random_normal (TensorFlow 1's names of tf.random.uniform / normal);
- nn.ctc_loss(labels, inputs, sequence_length, ...): TensorFlow 1's CTC loss over a
  tf.SparseTensor of labels (tf_ctc.py); the other nn names are tf.nn's.

Graph-mode names (Session, placeholder, get_default_graph, ...) are not provided: pyengine runs
eagerly (Keras 2 programs use keras.backend's placeholder / function, keras/backend_graph.py)."""
import types

import numpy as np

import pyengine as _pe
from ..tensor import Tensor
from ..tf_ctc import ctc_loss_v1
from ..tf_names import _t, symbolic_aware
from ..tf_random import random_normal, random_uniform  # noqa: F401

__all__ = ["where", "random_uniform", "random_normal", "nn"]  # the rest: pyengine's names


class _NN(types.ModuleType):
    """tf.compat.v1.nn: tf.nn's names, with TensorFlow 1's ctc_loss."""

    ctc_loss = staticmethod(ctc_loss_v1)

    def __getattr__(self, name):
        return getattr(_pe.nn, name)


nn = _NN("pyengine.compat.v1.nn", "tf.compat.v1.nn")

_GRAPH_ONLY = {"Session", "InteractiveSession", "get_default_graph", "global_variables_initializer",
               "variable_scope", "get_variable", "disable_eager_execution", "Graph",
               "local_variables_initializer", "tables_initializer", "placeholder",
               "placeholder_with_default"}


def __getattr__(name):
    if name in _GRAPH_ONLY:
        raise AttributeError(f"module 'pyengine.compat.v1' has no attribute '{name}': TensorFlow "
                             "1's graph mode is not provided (pyengine runs eagerly)")
    return getattr(_pe, name)


@symbolic_aware
def where(condition, x=None, y=None, name=None):
    """TensorFlow 1's tf.where (tf.compat.v1.where); see the module docstring."""
    c = _t(condition)
    if x is None and y is None:
        return Tensor._wrap(np.argwhere(np.asarray(c._data).astype(bool)).astype(np.int64))
    if x is None or y is None:
        raise ValueError("[where] give both x and y, or neither")
    x, y = _t(x), _t(y)
    if tuple(x.shape) != tuple(y.shape):
        raise ValueError(f"[where] x and y must have the same shape (TensorFlow 1's where does "
                         f"not broadcast). Received {tuple(x.shape)} and {tuple(y.shape)}")
    if tuple(c.shape) == tuple(x.shape):
        return _pe.nn.functional.where(c, x, y)
    if c.ndim == 1 and x.ndim > 1 and c.shape[0] == x.shape[0]:
        return _pe.nn.functional.where(c.reshape(-1, *([1] * (x.ndim - 1))), x, y)
    raise ValueError(f"[where] condition of shape {tuple(c.shape)} must have x's shape "
                     f"{tuple(x.shape)} or be a vector of length {x.shape[0] if x.ndim else 1} "
                     "(TensorFlow 1's row selection)")
