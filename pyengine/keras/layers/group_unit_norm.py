"""Keras GroupNormalization and UnitNormalization, composed of F.layer_norm (the same op as
LayerNormalization) and Tensor reductions."""
import numpy as np

from ...nn import functional as F
from .. import constraints as _con
from .. import initializers as _init
from .. import regularizers as _reg
from .base import Layer


class GroupNormalization(Layer):
    """Normalizes channels-last input (B, ..., C) per sample over groups of C // groups channels
    (mean and biased variance over the spatial axes and the group's channels), then
    y = gamma * x_hat + beta per channel. groups=-1 is InstanceNormalization (one channel per
    group), groups=1 LayerNormalization over all non-batch axes.

    Computed as F.layer_norm of the (B, groups, steps, C // groups) view, so the math is
    LayerNormalization's op. Only axis=-1 (channels last) is supported.

    >>> keras.layers.GroupNormalization(groups=2)(pe.randn(2, 5, 4)).shape
    (2, 5, 4)
    """

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        if axis != -1:
            raise ValueError(f"[GroupNormalization] only axis=-1 (channels last) is supported. "
                             f"Received: axis={axis}")
        if not isinstance(groups, (int, np.integer)) or groups == 0 or groups < -1:
            raise ValueError(f"[GroupNormalization] groups must be a positive integer or -1. "
                             f"Received: groups={groups!r}")
        self.groups, self.axis, self.epsilon = int(groups), axis, float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.inits = [_init.get(gamma_initializer), _init.get(beta_initializer)]
        self.regs = [_reg.get(gamma_regularizer), _reg.get(beta_regularizer)]
        self.constraints = [_con.get(gamma_constraint), _con.get(beta_constraint)]

    def build(self, input_shape):
        c = input_shape[-1]
        if c is None or len(input_shape) < 2:
            raise ValueError(f"[{self.name}] needs input of rank >= 2 with a known last axis. "
                             f"Received: input_shape={input_shape}")
        c = int(c)
        groups = c if self.groups == -1 else self.groups
        if groups > c or c % groups:
            raise ValueError(f"[{self.name}] the number of channels ({c}) must be a multiple of "
                             f"(and at least) groups ({groups}). Received: input_shape="
                             f"{input_shape}")
        self._groups, self._channels = groups, c
        self.gamma = self.add_weight((c,), self.inits[0], name="gamma",
                                     regularizer=self.regs[0],
                                     constraint=self.constraints[0]) if self.scale else None
        self.beta = self.add_weight((c,), self.inits[1], name="beta", regularizer=self.regs[1],
                                    constraint=self.constraints[1]) if self.center else None

    def call(self, x):
        if x.shape[-1] != self._channels:
            raise ValueError(f"[{self.name}] expected {self._channels} channels, received input "
                             f"of shape {tuple(x.shape)}")
        B, G = x.shape[0], self._groups
        per = self._channels // G
        g = x.reshape(B, -1, G, per).permute(0, 2, 1, 3)  # (B, G, steps, C // G)
        y = F.layer_norm(g, tuple(g.shape[2:]), None, None, eps=self.epsilon)
        y = y.permute(0, 2, 1, 3).reshape(x.shape)
        if self.gamma is not None:
            y = y * self.gamma
        if self.beta is not None:
            y = y + self.beta
        return y


class UnitNormalization(Layer):
    """x / sqrt(max(sum(x^2, axis), 1e-12)): each sample scaled to unit L2 norm along `axis`.

    >>> keras.layers.UnitNormalization()(pe.tensor([[3.0, 4.0]]))
    tensor([[0.6, 0.8]])
    """
    supports_masking = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = tuple(int(a) for a in axis) if isinstance(axis, (list, tuple)) else int(axis)

    def call(self, x):
        ss = (x * x).sum(axis=self.axis, keepdims=True)
        return x * ss.clamp(min=1e-12).rsqrt()
