"""pyengine: a small, fast deep-learning engine.

C++/OpenMP kernels (matmul, activations, conv, pooling, losses, optimizer updates) under a
PyTorch-style Tensor with autograd and a Keras-style Sequential API.
"""
try:
    from . import _C
except ImportError as _e:  # a source checkout imported without its compiled extension
    raise ImportError(
        f"pyengine's compiled extension pyengine._C is missing from {__path__[0]}. From a source "
        "checkout, install it (python -m pip install .) and import it from another directory "
        "(`python -m` and `python -c` put the working directory first on sys.path), or build it "
        "in place with ./tools/dev_build.sh") from _e
from . import cuda
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .backend import Device as device
from .creation import (arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like,
                       linspace, ones, ones_like, rand, rand_like, randint, randint_like, randn,
                       randn_like, tensor, zeros, zeros_like)
from .dtypes import (DType, bool_, double, float32, float64, int32, int64, long, uint8)
from .dtypes import float  # noqa: A004  (torch alias: pe.float is float32)
from .dtypes import bool_ as bool  # noqa: A004
from .nn.functional import (abs, argmax, argmin, cat, chunk, clamp, concatenate, cos, exp,  # noqa: F401,E501  (pe.exp, pe.cat ...: the one functional namespace)
                            flatten, log, log1p, log_softmax, logsumexp, matmul, max, maximum,
                            mean, min, minimum, permute, relu, reshape, sigmoid, sin, softmax,
                            split, sqrt, squeeze, stack, std, sum, tanh, transpose, unsqueeze,
                            var, where)
from .random import manual_seed, seed
from .tensor import Tensor
from . import nn, testing
from .io import load, save
from .gradient_tape import GradientTape
from .tf_names import (cast, concat, constant, convert_to_tensor, one_hot, reduce_max,  # noqa: F401
                       reduce_mean, reduce_min, reduce_sum, shape, square)

__version__ = "0.1.0"


def set_num_threads(n):
    """Threads used by pyengine's kernels (OpenMP); also settable with OMP_NUM_THREADS."""
    if not isinstance(n, int) or isinstance(n, type(True)) or n < 1:
        raise ValueError(f"[set_num_threads] expected a positive int, got {n!r}")
    _C.set_num_threads(n)


def get_num_threads():
    return _C.get_num_threads()


def __getattr__(name):
    # Heavier subpackages load on first use, keeping `import pyengine` fast.
    if name in ("optim", "keras", "data", "io"):
        import importlib
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'pyengine' has no attribute '{name}'")
