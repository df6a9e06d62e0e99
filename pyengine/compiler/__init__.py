"""`tensorflow.compiler` stand-in: only `tf2xla.python.xla`, which TensorFlow programs import
directly (`from tensorflow.compiler.tf2xla.python import xla`)."""
