"""`tensorflow.compiler.tf2xla`: see pyengine/compiler/tf2xla/python/xla.py."""
