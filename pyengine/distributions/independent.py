"""Independent(base, reinterpreted_batch_ndims): the last `reinterpreted_batch_ndims` batch axes
of `base` become event axes, so log_prob and entropy sum over them (e.g. a diagonal Gaussian
over a vector from a batch of Normals)."""
from . import constraints
from .distribution import Distribution


def _sum_last(x, n):
    for _ in range(n):
        x = x.sum(-1)
    return x


class Independent(Distribution):
    arg_constraints = {}

    def __init__(self, base_distribution, reinterpreted_batch_ndims, validate_args=None):
        if not isinstance(base_distribution, Distribution):
            raise TypeError(f"[Independent] base_distribution must be a Distribution, got "
                            f"{type(base_distribution).__name__}")
        n = reinterpreted_batch_ndims
        if not isinstance(n, int) or n < 0 or n > len(base_distribution.batch_shape):
            raise ValueError(f"[Independent] reinterpreted_batch_ndims must be an int in [0, "
                             f"{len(base_distribution.batch_shape)}] (the base's batch axes "
                             f"{base_distribution.batch_shape}), got {n!r}")
        self.base_dist = base_distribution
        self.reinterpreted_batch_ndims = n
        shape = base_distribution.batch_shape + base_distribution.event_shape
        event_dim = n + len(base_distribution.event_shape)
        super().__init__(shape[:len(shape) - event_dim], shape[len(shape) - event_dim:],
                         validate_args)

    def __repr__(self):
        return f"Independent({self.base_dist!r}, {self.reinterpreted_batch_ndims})"

    def expand(self, batch_shape, _instance=None):
        from .utils import as_shape
        batch_shape = as_shape(batch_shape, "Independent.expand")
        n = self.reinterpreted_batch_ndims
        base_batch = self.base_dist.batch_shape
        base = self.base_dist.expand(batch_shape + base_batch[len(base_batch) - n:])
        return Independent(base, n, validate_args=False)

    @property
    def has_rsample(self):
        return self.base_dist.has_rsample

    @property
    def has_enumerate_support(self):
        return False if self.reinterpreted_batch_ndims else self.base_dist.has_enumerate_support

    @property
    def support(self):
        base = self.base_dist.support
        return None if base is None else constraints.independent(base,
                                                                self.reinterpreted_batch_ndims)

    @property
    def mean(self):
        return self.base_dist.mean

    @property
    def mode(self):
        return self.base_dist.mode

    @property
    def variance(self):
        return self.base_dist.variance

    def sample(self, sample_shape=()):
        return self.base_dist.sample(sample_shape)

    def rsample(self, sample_shape=()):
        return self.base_dist.rsample(sample_shape)

    def log_prob(self, value):
        return _sum_last(self.base_dist.log_prob(value), self.reinterpreted_batch_ndims)

    def entropy(self):
        return _sum_last(self.base_dist.entropy(), self.reinterpreted_batch_ndims)
