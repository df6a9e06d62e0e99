"""TensorFlow NumPy (`tf.experimental.numpy`, imported as `tnp`): NumPy's function names on
pyengine tensors, differentiable and recording Keras graph nodes on symbolic inputs. They are
keras.ops' functions, which already follow NumPy's names and signatures, so each piece of math
exists once (keras/ops*.py). Layers and models written with `tnp.matmul`, `tnp.maximum`,
`tnp.mean` ... train as keras-io's tensorflow_numpy_models shows.

    import pyengine.experimental.numpy as tnp
    tnp.maximum(tnp.matmul(x, w) + b, 0.0)
"""
from ..keras import ops as _ops
from ..tensor import Tensor as ndarray  # noqa: F401  (tnp.ndarray is the tensor type)
from ..dtypes import (bool_, float32, float64, int8, int16, int32, int64,  # noqa: F401
                      uint8)

# NumPy's names among keras.ops (the neural-network ones, relu / softmax / conv ..., are not
# NumPy's and stay in keras.ops)
_NAMES = """abs absolute add all amax amin any append arange arccos arccosh arcsin arcsinh arctan
arctan2 arctanh argmax argmin argsort array average bincount broadcast_to clip concatenate copy cos
cosh count_nonzero cumprod cumsum diag diagonal diff digitize divide dot einsum empty equal exp
expand_dims expm1 eye flip floor full full_like greater greater_equal hstack identity isclose
isfinite isinf isnan less less_equal linspace log log10 log1p log2 logaddexp logical_and
logical_not logical_or logspace matmul max maximum mean median meshgrid min minimum mod moveaxis
multiply nan_to_num ndim negative nonzero ones ones_like outer power prod ravel reciprocal repeat
reshape roll round sign sin sinh size sort split sqrt square squeeze stack std subtract sum
swapaxes take take_along_axis tan tanh tensordot tile trace transpose tri tril triu true_divide
var vdot vstack where zeros zeros_like""".split()

for _name in _NAMES:
    globals()[_name] = getattr(_ops, _name)
asarray = _ops.convert_to_tensor

__all__ = sorted(_NAMES + ["asarray", "ndarray", "bool_", "float32", "float64", "int8", "int16",
                           "int32", "int64", "uint8"])
