"""InstanceNorm1d / InstanceNorm2d over F.instance_norm (batch_norm on the (1, N * C, *) reshape).
track_running_stats=True is rejected: running statistics are not implemented."""
import numpy as np

from .. import functional as F
from ..module import Module, Parameter
from .linear import _dtype


class _InstanceNorm(Module):
    _spatial = 1

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False,
                 track_running_stats=False, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        if not isinstance(num_features, (int, np.integer)) or num_features <= 0:
            raise ValueError(f"[{name}] num_features must be a positive int, received "
                             f"num_features={num_features!r}")
        if track_running_stats:
            raise NotImplementedError(f"[{name}] track_running_stats=True is not supported "
                                      f"(instance statistics only); use the default False")
        self.num_features, self.eps, self.momentum = int(num_features), eps, momentum
        self.affine, self.track_running_stats = bool(affine), False
        dt = _dtype(dtype, device)
        if affine:
            self.weight = Parameter(np.ones(num_features, dt))
            self.bias = Parameter(np.zeros(num_features, dt))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x):
        k = self._spatial
        if x.ndim not in (k + 1, k + 2):
            raise ValueError(f"[{type(self).__name__}] expected a {k + 1}-D (unbatched) or "
                             f"{k + 2}-D input, got shape {tuple(x.shape)}")
        unbatched = x.ndim == k + 1
        if unbatched:
            x = x.reshape(1, *x.shape)
        if self.affine and x.shape[1] != self.num_features:
            raise ValueError(f"[{type(self).__name__}] expected {self.num_features} channels "
                             f"(dim 1), got input {tuple(x.shape)}")
        y = F.instance_norm(x, weight=self.weight, bias=self.bias, eps=self.eps)
        return y.reshape(*y.shape[1:]) if unbatched else y

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class InstanceNorm1d(_InstanceNorm):
    _spatial = 1


class InstanceNorm2d(_InstanceNorm):
    _spatial = 2
