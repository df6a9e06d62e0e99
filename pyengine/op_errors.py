"""TensorFlow's runtime error classes (tf.errors.OpError / InvalidArgumentError), defined at the
bottom of the package so that the backend can raise them for invalid shapes, as TensorFlow's
kernels do (`except tf.errors.InvalidArgumentError` in TensorFlow's guides). InvalidArgumentError
is also a ValueError, the class pyengine's shape errors have always been."""


class OpError(Exception):
    """tf.errors.OpError: the base of TensorFlow's runtime errors (node_def, op, message)."""

    def __init__(self, node_def=None, op=None, message="", *args):
        super().__init__(message)
        self.node_def, self.op, self.message = node_def, op, message


class InvalidArgumentError(OpError, ValueError):
    """tf.errors.InvalidArgumentError: an op received an invalid argument (values, shapes)."""

    def __init__(self, node_def=None, op=None, message="", *args):
        OpError.__init__(self, node_def, op, message, *args)
