"""pyengine.version: the release as PyTorch's torch.version.__version__ and TensorFlow's
tf.version.VERSION spell it (`import pyengine as tf; print(tf.version.VERSION)`)."""
__version__ = "0.1.0"
VERSION = __version__
