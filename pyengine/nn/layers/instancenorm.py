"""InstanceNorm1d / 2d / 3d over F.instance_norm (batch_norm on the (1, N * C, *) reshape).

Parameters and buffers are BatchNorm's (the same constructor: weight / bias when affine,
running_mean / running_var / num_batches_tracked when track_running_stats), so a PyTorch
state_dict loads unchanged. PyTorch's rules: training, or track_running_stats=False, normalises
with each instance's statistics and (when tracked) moves the running statistics by `momentum`
toward the batch mean of the instance statistics; evaluation with track_running_stats=True
normalises with the running statistics. momentum=None leaves them unchanged (PyTorch passes a
momentum of 0 there: instance norm keeps no cumulative average) and num_batches_tracked stays 0,
as in PyTorch."""
from .. import functional as F
from .normalization import _BatchNorm


class _InstanceNorm(_BatchNorm):
    _spatial = 1

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False,
                 track_running_stats=False, device=None, dtype=None):
        if momentum is not None and not 0.0 <= float(momentum) <= 1.0:
            raise ValueError(f"[{type(self).__name__}] momentum must be in [0, 1] or None, "
                             f"received momentum={momentum!r}")
        super().__init__(num_features, eps, momentum, affine, bool(track_running_stats),
                         device, dtype)

    def forward(self, x):
        k, name = self._spatial, type(self).__name__
        if x.ndim not in (k + 1, k + 2):
            raise ValueError(f"[{name}] expected a {k + 1}-D (unbatched) or {k + 2}-D input, "
                             f"got shape {tuple(x.shape)}")
        unbatched = x.ndim == k + 1
        if unbatched:
            x = x.reshape(1, *x.shape)
        if (self.affine or self.track_running_stats) and x.shape[1] != self.num_features:
            raise ValueError(f"[{name}] expected {self.num_features} channels (dim 1), got "
                             f"input {tuple(x.shape)}")
        use_input_stats = self.training or not self.track_running_stats
        y = F.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            use_input_stats, 0.0 if self.momentum is None else self.momentum,
                            self.eps)
        return y.reshape(*y.shape[1:]) if unbatched else y


class InstanceNorm1d(_InstanceNorm):
    _spatial = 1


class InstanceNorm2d(_InstanceNorm):
    _spatial = 2


class InstanceNorm3d(_InstanceNorm):
    _spatial = 3
