"""tf.contrib for TensorFlow 1 programs (`import pyengine as tf`): only `tf.contrib.image`
(projective image transforms, the functions TF Addons later kept as `tfa.image`). The rest of
TensorFlow 1's contrib (slim, layers, rnn, data ...) was removed in TensorFlow 2 and is not
provided: asking for it raises an AttributeError that says so."""
from . import image  # noqa: F401


def __getattr__(name):
    raise AttributeError(f"module 'pyengine.contrib' has no attribute '{name}': of TensorFlow "
                         "1's tf.contrib only tf.contrib.image is provided (tf.contrib was "
                         "removed in TensorFlow 2; use the TensorFlow 2 / Keras equivalent)")
