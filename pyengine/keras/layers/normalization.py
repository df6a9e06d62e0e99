"""BatchNormalization, LayerNormalization and Embedding (Keras names, arguments and defaults)
over the shared ops F.batch_norm, F.layer_norm and F.embedding."""
import numpy as np

from ...tensor import Tensor
from ...nn import functional as F
from .. import constraints as _con
from .. import initializers as _init
from .. import regularizers as _reg
from .base import Layer, size_arg as _size_arg


class BatchNormalization(Layer):
    """y = gamma * (x - mean) / sqrt(var + epsilon) + beta over every axis but `axis`.
    Training uses the batch's statistics and updates the moving ones:
    moving = moving * momentum + batch * (1 - momentum) (F.batch_norm's momentum is 1 - this),
    the batch variance biased as Keras' ops.moments gives it (nn.BatchNorm keeps PyTorch's
    unbiased one: the same op, unbiased_running_var=False here); inference
    uses the moving ones. Channels-last input (axis=-1) normalises in place of its layout
    (F.batch_norm(channel_axis=-1)), no transpose."""
    supports_masking = True  # as Keras 3: the input's mask passes through

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= momentum <= 1:
            raise ValueError(f"[BatchNormalization] momentum must be in [0, 1]. Received: "
                             f"momentum={momentum}")
        if not isinstance(axis, (int, np.integer)):
            raise ValueError(f"[BatchNormalization] axis must be an int. Received: axis={axis}")
        self.axis, self.momentum, self.epsilon = int(axis), float(momentum), float(epsilon)
        self.center, self.scale = center, scale
        self.inits = [_init.get(i) for i in (gamma_initializer, beta_initializer,
                                             moving_mean_initializer, moving_variance_initializer)]
        self.regs = (_reg.get(gamma_regularizer), _reg.get(beta_regularizer))
        self.constraints = (_con.get(gamma_constraint), _con.get(beta_constraint))

    def build(self, input_shape):
        n = input_shape[self.axis]
        if n is None:
            raise ValueError(f"[{self.name}] the normalized axis must have a known size. "
                             f"Received: input_shape={input_shape}")
        self.gamma = self.add_weight((n,), self.inits[0], name="gamma", regularizer=self.regs[0],
                                     constraint=self.constraints[0]) if self.scale else None
        self.beta = self.add_weight((n,), self.inits[1], name="beta", regularizer=self.regs[1],
                                    constraint=self.constraints[1]) if self.center else None
        self.moving_mean = self.add_weight((n,), self.inits[2], name="moving_mean",
                                           trainable=False)
        self.moving_variance = self.add_weight((n,), self.inits[3], name="moving_variance",
                                               trainable=False)

    def call(self, x, training=False):
        axis = self.axis % x.ndim
        if x.shape[axis] != self.moving_mean.shape[0]:
            raise ValueError(f"[{self.name}] expected {self.moving_mean.shape[0]} channels on axis "
                             f"{self.axis}, received input of shape {tuple(x.shape)}")
        return F.batch_norm(x, self.moving_mean, self.moving_variance, self.gamma, self.beta,
                            training=bool(training) and self.trainable,
                            momentum=1.0 - self.momentum, eps=self.epsilon, channel_axis=axis,
                            unbiased_running_var=False)


class LayerNormalization(Layer):
    """y = gamma * (x - mean) / sqrt(var + epsilon) + beta over `axis` (default the last; the
    biased variance), per sample: F.layer_norm, nn.LayerNorm's op. The normalized axes must be
    the trailing ones (F.layer_norm's layout); gamma / beta have their shape."""
    supports_masking = True

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, rms_scaling=False,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        if rms_scaling:
            raise ValueError("[LayerNormalization] rms_scaling=True is not supported")
        self.axis = [int(a) for a in axis] if isinstance(axis, (list, tuple)) else [int(axis)]
        self.epsilon, self.center, self.scale = float(epsilon), bool(center), bool(scale)
        self.inits = [_init.get(gamma_initializer), _init.get(beta_initializer)]
        self.regs = (_reg.get(gamma_regularizer), _reg.get(beta_regularizer))
        self.constraints = (_con.get(gamma_constraint), _con.get(beta_constraint))

    def build(self, input_shape):
        nd = len(input_shape)
        axes = sorted(a % nd for a in self.axis)
        if axes != list(range(nd - len(axes), nd)) or 0 in axes:
            raise ValueError(f"[{self.name}] axis={self.axis} must name the trailing axes of "
                             f"the input (shape {tuple(input_shape)})")
        self.norm_shape = tuple(input_shape[a] for a in axes)
        if any(d is None for d in self.norm_shape):
            raise ValueError(f"[{self.name}] the normalized axes must have known sizes. "
                             f"Received: input_shape={input_shape}")
        self.gamma = self.add_weight(self.norm_shape, self.inits[0], name="gamma",
                                     regularizer=self.regs[0], constraint=self.constraints[0]) \
            if self.scale else None
        self.beta = self.add_weight(self.norm_shape, self.inits[1], name="beta",
                                    regularizer=self.regs[1], constraint=self.constraints[1]) \
            if self.center else None

    def call(self, x):
        return F.layer_norm(x, self.norm_shape, self.gamma, self.beta, eps=self.epsilon)


class Embedding(Layer):
    """Integer indices (batch, ...) -> vectors (batch, ..., output_dim), F.embedding."""

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", mask_zero=False,
                 input_length=None, embeddings_regularizer=None, embeddings_constraint=None,
                 **kwargs):
        super().__init__(**kwargs)
        input_dim, output_dim = _size_arg(input_dim), _size_arg(output_dim)
        for k, v in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"[Embedding] {k} must be a positive integer. Received: {k}={v}")
        self.mask_zero = bool(mask_zero)  # index 0 is padding: (batch, steps) mask downstream
        if input_length is not None:  # Keras 2: the (fixed) number of steps, the input shape
            self.input_length = int(input_length)
            if self._input_shape_arg is None:
                self._input_shape_arg = (self.input_length,)
        else:
            self.input_length = None
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = _init.get(embeddings_initializer)
        self.embeddings_regularizer = _reg.get(embeddings_regularizer)  # penalty in model.losses
        self.embeddings_constraint = _con.get(embeddings_constraint)

    def build(self, input_shape):
        self.embeddings = self.add_weight((self.input_dim, self.output_dim),
                                          self.embeddings_initializer, name="embeddings",
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint)

    def call(self, x):
        idx = np.asarray(x._data)
        if idx.dtype.kind == "f" and not np.all(np.mod(idx, 1) == 0):
            raise ValueError(f"[{self.name}] expects integer indices")
        idx = idx.astype(np.int64)
        if self.input_length is not None and (idx.ndim < 2 or idx.shape[1] != self.input_length):
            raise ValueError(f"[{self.name}] input_length={self.input_length}, received input "
                             f"of shape {idx.shape}")
        if idx.size and (idx.min() < 0 or idx.max() >= self.input_dim):
            raise ValueError(f"[{self.name}] indices must be in [0, {self.input_dim}), received "
                             f"values in [{idx.min()}, {idx.max()}]")
        out = F.embedding(idx, self.embeddings)
        if self.mask_zero:
            from .masking import set_mask
            set_mask(out, idx != 0)
        return out
