"""Numeric preprocessing layers: Normalization (feature-wise standardisation learned by
`adapt(data)` or given as mean / variance) and Identity."""
import numpy as np

from ...tensor import Tensor
from .adapt_data import adapt_data
from .base import Layer

_EPSILON = 1e-7  # Keras' backend epsilon: the smallest standard deviation divided by


class Normalization(Layer):
    """y = (x - mean) / max(sqrt(variance), 1e-7) per feature along `axis` (invert=True:
    x * std + mean). mean / variance come from `adapt(data)` (over every axis but `axis`, the
    biased variance, as Keras), then they are non-trainable weights saved with the model; or from
    the constructor, then they are constants kept in the config (no weights), as Keras 3."""

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        self.axis = None if axis is None else \
            (tuple(int(a) for a in axis) if isinstance(axis, (list, tuple)) else (int(axis),))
        if (mean is None) != (variance is None):
            raise ValueError("[Normalization] pass both mean and variance, or neither")
        self.invert = bool(invert)
        self._given = None if mean is None else (np.asarray(mean, np.float64),
                                                 np.asarray(variance, np.float64))

    def _kept(self, ndim):
        return () if self.axis is None else tuple(sorted(a % ndim for a in self.axis))

    def build(self, input_shape):
        nd = len(input_shape)
        kept = self._kept(nd)
        if any(input_shape[a] is None for a in kept):
            raise ValueError(f"[{self.name}] the axes {self.axis} must have known sizes. "
                             f"Received: input_shape={input_shape}")
        self._stat_shape = tuple(input_shape[a] if a in kept else 1 for a in range(nd))
        shape = tuple(input_shape[a] for a in kept)
        if self._given is not None:
            # given statistics are constants, not weights, as Keras 3's: they live in the
            # config, and a model's count_params() / weights do not include them
            self.mean, self.variance = (
                Tensor._wrap(np.ascontiguousarray(np.broadcast_to(a, shape), np.float32))
                for a in self._given)
            return
        self.mean = self.add_weight(shape, "zeros", name="mean", trainable=False)
        self.variance = self.add_weight(shape, "ones", name="variance", trainable=False)

    def adapt(self, data, batch_size=None, steps=None):
        """Sets mean and variance from `data` (an array / Tensor, or an iterable of batches);
        `steps` limits it to that many batches (of `batch_size` samples, 32 by default, for an
        array), see keras/layers/adapt_data.py."""
        data = adapt_data(data, batch_size, steps, type(self).__name__,
                          arrays=(np.ndarray, Tensor, list))
        if isinstance(data, (np.ndarray, Tensor, list)) or np.isscalar(data):
            batches = [np.asarray(data, np.float64)]
        else:
            batches = [np.asarray(b[0] if isinstance(b, tuple) else b, np.float64)
                       for b in data]
        x = np.concatenate([b.reshape((-1,) + b.shape[1:]) for b in batches])
        if x.ndim == 1:
            x = x[:, None]
        if not self.built:
            self._build_for(Tensor._wrap(x[:1].astype(np.float32)))
        kept = self._kept(x.ndim)
        reduce = tuple(a for a in range(x.ndim) if a not in kept)
        self.mean._data[...] = x.mean(reduce).astype(np.float32)
        self.variance._data[...] = x.var(reduce).astype(np.float32)

    def call(self, x):
        if x.ndim == 1:
            x = x.unsqueeze(-1)
        mean = self.mean.reshape(self._stat_shape)
        std = self.variance.reshape(self._stat_shape).sqrt().clamp(min=_EPSILON)
        return x * std + mean if self.invert else (x - mean) / std


class Identity(Layer):
    supports_masking = True

    def call(self, x):
        return x
