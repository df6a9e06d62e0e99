"""Activation layers with parameters: PReLU (a learned slope) and ELU, Keras' names, arguments
and weight layout (PReLU's alpha has the input's shape less the batch axis, size 1 along
shared_axes). LeakyReLU and ReLU live in core.py."""
import numpy as np

from ...nn import functional as F
from .. import constraints as _con
from .. import initializers as _init
from .. import regularizers as _reg
from .base import Layer


class ELU(Layer):
    """x if x > 0 else alpha * (exp(x) - 1)."""

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = float(alpha)

    def call(self, x):
        return F.elu(x, self.alpha)


class PReLU(Layer):
    """max(0, x) + alpha * min(0, x) with alpha learned per element (less the shared axes)."""

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.alpha_constraint = _con.get(alpha_constraint)
        self.alpha_initializer = _init.get(alpha_initializer)
        self.alpha_regularizer = _reg.get(alpha_regularizer)
        if shared_axes is None:
            self.shared_axes = ()
        else:
            axes = (shared_axes,) if isinstance(shared_axes, (int, np.integer)) else \
                tuple(shared_axes)
            if any(not isinstance(a, (int, np.integer)) or a < 1 for a in axes):
                raise ValueError(f"[PReLU] shared_axes are axes of the input counted from 1 "
                                 f"(the batch axis is 0). Received: shared_axes={shared_axes!r}")
            self.shared_axes = tuple(int(a) for a in axes)

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for a in self.shared_axes:
            if a > len(shape):
                raise ValueError(f"[{self.name}] shared axis {a} is out of range for input shape "
                                 f"{tuple(input_shape)}")
            shape[a - 1] = 1
        if any(s is None for s in shape):
            raise ValueError(f"[{self.name}] input dimensions {tuple(input_shape)} must be known "
                             f"except on shared_axes")
        self.alpha = self.add_weight(tuple(shape), self.alpha_initializer, name="alpha",
                                     regularizer=self.alpha_regularizer,
                                     constraint=self.alpha_constraint)

    def call(self, x):
        return F.relu(x) - self.alpha * F.relu(-x)
