"""parameters_to_vector / vector_to_parameters (PyTorch's nn.utils): all parameters as one
flat vector and back, e.g. for evolution strategies or second-order methods."""
import numpy as np

from ...tensor import Tensor


def parameters_to_vector(parameters):
    """One 1-D tensor of every parameter's values, in order (differentiable: a cat of views)."""
    from ..functional import cat
    ps = list(parameters)
    if not ps:
        raise ValueError("[parameters_to_vector] no parameters given")
    return cat([p.reshape(-1) for p in ps], 0)


def vector_to_parameters(vec, parameters):
    """Copies consecutive slices of vec into the parameters (in place, outside autograd)."""
    if not isinstance(vec, Tensor) or vec.ndim != 1:
        raise TypeError(f"[vector_to_parameters] expected a 1-D Tensor, got "
                        f"{type(vec).__name__} of shape {getattr(vec, 'shape', None)}")
    ps = list(parameters)
    need = sum(int(np.prod(p.shape)) for p in ps)
    if vec.shape[0] != need:
        raise ValueError(f"[vector_to_parameters] the vector has {vec.shape[0]} values, the "
                         f"parameters {need}")
    at = 0
    for p in ps:
        n = int(np.prod(p.shape))
        p._data[...] = vec._data[at:at + n].reshape(p.shape)
        at += n
