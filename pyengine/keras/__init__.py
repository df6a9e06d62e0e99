"""Keras-compatible API over pyengine's one stack: keras layers ARE pe.nn Modules running the ops
of pe.nn.functional; keras optimizers configure pe.optim. Sequential, the functional API
(keras.Input + keras.Model(inputs, outputs)) and subclassing (keras.Model / keras.layers.Layer
with call, train_step) as in Keras 3. See docs/keras.md.

    from pyengine.keras.models import Sequential
    from pyengine.keras.layers import Dense
    model = Sequential([Dense(6, activation='relu', input_dim=11), Dense(1, activation='sigmoid')])
    model.compile(optimizer='adam', loss='binary_crossentropy', metrics=['accuracy'])
    model.fit(x, y, batch_size=10, epochs=50)
"""
from . import (activations, backend, callbacks, config, constraints, datasets, initializers,
               layers, losses, metrics, models, ops, optimizers, random, regularizers, saving,
               utils)
from .layers import Input
from .model import Model
from .saving import load_model, register_keras_serializable
from .sequential import Sequential
from .variables import Variable  # noqa: E402  (keras.Variable)

# The Keras API level pyengine.keras follows (Keras 3 conventions, which programs test with
# `keras.__version__` / `keras.version()`); pyengine's own release is pyengine.__version__.
__version__ = "3.0.0"


def version():
    """Keras 3's keras.version(): the Keras API version this module follows."""
    return __version__
from . import applications, preprocessing  # noqa: E402,F401
from . import keras2_modules  # noqa: E402,F401  (keras.layers.recurrent, keras.utils.data_utils ...)
from . import mixed_precision  # noqa: E402,F401
from . import experimental  # noqa: E402,F401  (TF 2's tf.keras.experimental.CosineDecay)
from . import wrappers  # noqa: E402,F401  (keras.wrappers.scikit_learn, Keras 2)
from . import distribution  # noqa: E402,F401  (keras.distribution: one-device meshes)

# keras_core 0.1.0's name for keras.ops (`from keras_core import operations as ops`, in the
# keras-team/keras examples of that release): the same module under both names
operations = ops
import sys as _sys  # noqa: E402
_sys.modules[__name__ + ".operations"] = ops

__all__ = ["Input", "Sequential", "Model", "Variable", "activations", "callbacks", "datasets", "initializers",
           "layers", "losses", "metrics", "models", "ops", "optimizers", "random", "regularizers",
           "constraints", "config", "mixed_precision",
           "saving", "backend", "utils", "load_model", "register_keras_serializable", "version"]
