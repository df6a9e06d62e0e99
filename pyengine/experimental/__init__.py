"""TensorFlow's `tf.experimental` names programs import: `numpy` (TF NumPy, `import
tensorflow.experimental.numpy as tnp` -> `import pyengine.experimental.numpy as tnp`)."""
