"""`keras.utils.np_utils` of Keras 2.0 - 2.3: programs of that time write
`from keras.utils import np_utils` and `np_utils.to_categorical(y, num_classes)`."""
from .utils import normalize, to_categorical  # noqa: F401
