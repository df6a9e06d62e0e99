"""TF 2 Keras' RandomFourierFeatures (`keras.layers.experimental.RandomFourierFeatures`): a
fixed random map whose inner products approximate a shift-invariant kernel, so that a linear
model on top of it behaves as a kernel machine (a hinge loss on top: a quasi-SVM)."""
import math

import numpy as np

from .. import initializers as _init
from .base import Layer

_KERNELS = ("gaussian", "laplacian")


class _Cauchy(_init.Initializer):
    """Standard Cauchy draws, tan(pi (U - 1/2)): the spectral density of the Laplacian kernel."""

    def __init__(self, seed=None):
        self.seed = seed

    def sample(self, shape):
        return np.tan(np.pi * (_init._rng(self.seed).uniform(0.0, 1.0, shape) - 0.5))


class RandomFourierFeatures(Layer):
    """y = sqrt(2 / output_dim) * cos(x @ (W / scale) + b), with W (input_dim, output_dim) drawn
    once from N(0, 1) ('gaussian': approximates exp(-|x - y|^2 / (2 scale^2))) or a standard
    Cauchy ('laplacian': exp(-|x - y|_1 / scale)), b ~ U(0, 2 pi). W and b never train;
    `scale` is a weight of shape (1,) (kept >= 0), trained only with `trainable=True`.
    Default scale: sqrt(input_dim / 2) for 'gaussian', 1 for 'laplacian' (as TF 2 Keras).

    >>> layer = keras.layers.experimental.RandomFourierFeatures(output_dim=64)
    >>> layer(pe.randn(2, 5)).shape
    (2, 64)
    """

    def __init__(self, output_dim, kernel_initializer="gaussian", scale=None, trainable=False,
                 name=None, **kwargs):
        super().__init__(trainable=trainable, name=name, **kwargs)
        if isinstance(output_dim, bool) or not isinstance(output_dim, (int, np.integer)) \
                or output_dim <= 0:
            raise ValueError(f"[RandomFourierFeatures] output_dim must be a positive integer. "
                             f"Received: output_dim={output_dim!r}")
        if isinstance(kernel_initializer, str) and kernel_initializer not in _KERNELS:
            raise ValueError(f"[RandomFourierFeatures] kernel_initializer must be 'gaussian', "
                             f"'laplacian' or an initializer object. Received: "
                             f"kernel_initializer={kernel_initializer!r}")
        if not isinstance(kernel_initializer, str):
            _init.get(kernel_initializer)  # a TypeError now, not at build
        if scale is not None and not (isinstance(scale, (int, float, np.number))
                                      and not isinstance(scale, bool) and scale > 0):
            raise ValueError(f"[RandomFourierFeatures] scale must be a positive number or None. "
                             f"Received: scale={scale!r}")
        self.output_dim = int(output_dim)
        self.kernel_initializer = kernel_initializer
        self.scale = None if scale is None else float(scale)

    def build(self, input_shape):
        if len(input_shape) != 2 or input_shape[-1] is None:
            raise ValueError(f"[{self.name}] expects input of shape (batch, features) with a "
                             f"known feature count. Received: input_shape={input_shape}")
        input_dim = int(input_shape[-1])
        init = self.kernel_initializer
        if init == "gaussian":
            init = _init.RandomNormal(0.0, 1.0)
        elif init == "laplacian":
            init = _Cauchy()
        self.unscaled_kernel = self.add_weight((input_dim, self.output_dim), init,
                                               name="unscaled_kernel", trainable=False)
        self.bias = self.add_weight((self.output_dim,), _init.RandomUniform(0.0, 2 * np.pi),
                                    name="bias", trainable=False)
        scale = self.scale
        if scale is None:
            scale = math.sqrt(input_dim / 2.0) if self.kernel_initializer == "gaussian" else 1.0
        self.kernel_scale = self.add_weight((1,), _init.Constant(scale), name="kernel_scale",
                                            trainable=True, constraint="non_neg")

    def call(self, x):
        z = x @ (self.unscaled_kernel / self.kernel_scale) + self.bias
        return z.cos() * math.sqrt(2.0 / self.output_dim)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.output_dim)
