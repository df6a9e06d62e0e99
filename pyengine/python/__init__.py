"""TensorFlow's private `tensorflow.python` paths that older public programs import from
(`from tensorflow.python.framework import tensor_shape`), as aliases of pyengine's modules;
see pyengine.python.framework."""
