"""tf.compat: `import pyengine.compat.v1 as tf` runs TensorFlow 1 code as
`import tensorflow.compat.v1 as tf` does in TensorFlow 2 (pyengine/compat/v1.py)."""
from . import v1  # noqa: F401
