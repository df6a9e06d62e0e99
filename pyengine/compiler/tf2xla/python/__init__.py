"""`tensorflow.compiler.tf2xla.python`: the `xla` module of XLA operations."""
