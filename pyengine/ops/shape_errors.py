"""Shape errors.

ShapeError: operands whose shapes do not fit the op (inner dimensions of a product, shapes that
do not broadcast, a reshape to another element count, a cat of mismatched sizes). A ValueError, as
pyengine's argument checks are (through tf.errors.InvalidArgumentError, which TensorFlow raises
for these), and a RuntimeError, as torch raises for these: PyTorch programs
catch them with ``except RuntimeError`` (the layer-output-dimensions recipe tries a model whose
Linear has the wrong in_features and prints the error).

InputTooSmallError: a ValueError for a window (convolution kernel, pooling window) larger than
its (padded) input. Keras' functional API infers shapes by running layers on example inputs;
for a None dimension it retries with longer examples only on this error, which longer inputs
fix (an audio model whose STFT frames feed long Conv1D kernels), and not on other errors."""
from ..op_errors import InvalidArgumentError


class InputTooSmallError(ValueError):
    pass


class ShapeError(InvalidArgumentError, RuntimeError):
    """Also TensorFlow's tf.errors.InvalidArgumentError (a ValueError), as its kernels raise for
    these (`except tf.errors.InvalidArgumentError` in TensorFlow's guides)."""

    def __init__(self, message="", op=None):
        InvalidArgumentError.__init__(self, None, op, message)
