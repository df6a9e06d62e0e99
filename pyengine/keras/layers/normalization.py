"""BatchNormalization and Embedding (Keras names, arguments and defaults)."""
import numpy as np

from .. import initializers as _init
from .base import Layer


class BatchNormalization(Layer):
    """y = gamma * (x - mean) / sqrt(var + epsilon) + beta over every axis but `axis`.
    Training uses the batch's statistics and updates the moving ones:
    moving = moving * momentum + batch * (1 - momentum); inference uses the moving ones."""

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones", **kwargs):
        super().__init__(**kwargs)
        if not 0 <= momentum <= 1:
            raise ValueError(f"[BatchNormalization] momentum must be in [0, 1]. Received: "
                             f"momentum={momentum}")
        self.axis, self.momentum, self.epsilon = axis, float(momentum), float(epsilon)
        self.center, self.scale = center, scale
        self.inits = [_init.get(i) for i in (gamma_initializer, beta_initializer,
                                             moving_mean_initializer, moving_variance_initializer)]

    def build(self, input_shape):
        n = int(input_shape[self.axis])
        self.gamma = self.add_weight((n,), self.inits[0], "gamma") if self.scale else None
        self.beta = self.add_weight((n,), self.inits[1], "beta") if self.center else None
        self.moving_mean = self.add_weight((n,), self.inits[2], "moving_mean", trainable=False)
        self.moving_variance = self.add_weight((n,), self.inits[3], "moving_variance",
                                               trainable=False)

    def call(self, x, training=False):
        axis = self.axis % x.ndim
        red = tuple(i for i in range(x.ndim) if i != axis)
        shape = [1] * x.ndim
        shape[axis] = x.shape[axis]
        if training and self.trainable:
            mean = x.mean(axis=red, keepdims=True)
            var = ((x - mean) ** 2).mean(axis=red, keepdims=True)
            m = self.momentum
            self.moving_mean.data[...] = m * self.moving_mean.data + (1 - m) * mean.data.reshape(-1)
            self.moving_variance.data[...] = (m * self.moving_variance.data +
                                              (1 - m) * var.data.reshape(-1))
        else:
            mean = self.moving_mean.detach().reshape(shape)
            var = self.moving_variance.detach().reshape(shape)
        y = (x - mean) / (var + self.epsilon).sqrt()
        if self.gamma is not None:
            y = y * self.gamma.reshape(shape)
        if self.beta is not None:
            y = y + self.beta.reshape(shape)
        return y


class Embedding(Layer):
    """Integer indices (batch, ...) -> vectors (batch, ..., output_dim)."""

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", mask_zero=False,
                 **kwargs):
        super().__init__(**kwargs)
        for k, v in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"[Embedding] {k} must be a positive integer. Received: {k}={v}")
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = _init.get(embeddings_initializer)

    def build(self, input_shape):
        self.embeddings = self.add_weight((self.input_dim, self.output_dim),
                                          self.embeddings_initializer, "embeddings")

    def call(self, x, training=False):
        idx = np.asarray(x.data)
        if idx.dtype.kind == "f" and not np.all(np.mod(idx, 1) == 0):
            raise ValueError(f"[{self.name}] expects integer indices")
        idx = idx.astype(np.int64)
        if idx.size and (idx.min() < 0 or idx.max() >= self.input_dim):
            raise ValueError(f"[{self.name}] indices must be in [0, {self.input_dim}), received "
                             f"values in [{idx.min()}, {idx.max()}]")
        return self.embeddings[idx]
