"""keras.layers.Discretization: buckets numbers by boundaries (Keras 3's layer).

    out = i  such that  boundaries[i - 1] <= x < boundaries[i]   (i in [0, len(boundaries)])

i.e. NumPy's searchsorted(boundaries, x, side='right'); the boundaries are given
(bin_boundaries) or learned by adapt(data) as the (k / num_bins) quantiles, k = 1 ..
num_bins - 1, of an approximate quantile summary with error `epsilon`, the summary Keras 3
builds: the sorted values sampled every n * epsilon elements (starting at that offset), each
sample weighted by the stride, and the quantiles read off the cumulative weights by linear
interpolation. With fewer summary samples than num_bins, the samples themselves (less the
last) are the boundaries, as in Keras. adapt over several batches summarises all the values
at once (Keras merges per-batch summaries, so its boundaries may differ slightly there).
output_mode 'int' gives int64 bucket ids; 'one_hot' / 'multi_hot' / 'count' encode them as
CategoryEncoding does (depth len(boundaries) + 1). Buckets are not differentiable."""
import numpy as np

from ...tensor import Tensor
from .category_encoding import ArrayInputLayer, check_mode, check_sparse, encode_ids

_MODES = ("int", "one_hot", "multi_hot", "count")


def quantile_boundaries(values, num_bins, epsilon):
    """Bucket boundaries (num_bins - 1 of them, fewer for tiny data) of float64 `values`."""
    v = np.sort(values.reshape(-1))
    stride = v.size * epsilon  # one summary sample per `stride` sorted values
    step = max(int(max(stride, 1.0)), 1)
    samples = v[int(stride)::step]
    if samples.size == 0:
        return samples
    if samples.size < num_bins:
        return samples[:-1]
    cum = np.arange(1, samples.size + 1, dtype=np.float64)  # equal weights: step each
    frac = cum / cum[-1]
    qs = np.arange(1, num_bins, dtype=np.float64) / num_bins
    return np.interp(qs, frac, samples)


class Discretization(ArrayInputLayer):
    """Numbers -> bucket ids (see the module docstring).

    >>> layer = keras.layers.Discretization(bin_boundaries=[0.0, 1.0, 2.0])
    >>> layer([[-1.5, 1.0, 3.4, 0.5]]).numpy()
    array([[0, 2, 3, 1]])
    """

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int",
                 sparse=False, **kwargs):
        super().__init__(**kwargs)
        what = "Discretization"
        self.output_mode = check_mode(output_mode, what, _MODES)
        check_sparse(sparse, what)
        if (bin_boundaries is None) == (num_bins is None):
            raise ValueError(f"[{what}] pass exactly one of bin_boundaries and num_bins. "
                             f"Received: bin_boundaries={bin_boundaries!r}, "
                             f"num_bins={num_bins!r}")
        if num_bins is not None and (isinstance(num_bins, bool) or not isinstance(
                num_bins, (int, np.integer)) or num_bins < 1):
            raise ValueError(f"[{what}] num_bins must be a positive int. Received: "
                             f"num_bins={num_bins!r}")
        if not 0.0 < float(epsilon) < 1.0:
            raise ValueError(f"[{what}] epsilon must be in (0, 1). Received: "
                             f"epsilon={epsilon!r}")
        self.num_bins, self.epsilon, self.sparse = num_bins, float(epsilon), False
        self.bin_boundaries = None
        if bin_boundaries is not None:
            self._set_boundaries(bin_boundaries)

    def _set_boundaries(self, b):
        b = np.asarray(b, np.float64).reshape(-1)
        if not np.all(np.isfinite(b)) or np.any(np.diff(b) < 0):
            raise ValueError(f"[Discretization {self.name}] bin_boundaries must be finite and "
                             f"sorted. Received: {b.tolist()}")
        self.bin_boundaries = b.tolist()
        self._bounds = b

    def adapt(self, data, batch_size=None, steps=None):
        """Learns num_bins - 1 boundaries from `data` (an array / Tensor or an iterable of
        batches)."""
        if self.num_bins is None:
            raise ValueError(f"[Discretization {self.name}] adapt() needs num_bins (the layer "
                             "was given bin_boundaries)")
        if isinstance(data, (np.ndarray, Tensor, list, tuple)) or np.isscalar(data):
            parts = [np.asarray(data._data if isinstance(data, Tensor) else data, np.float64)]
        else:
            parts = [np.asarray(b[0] if isinstance(b, tuple) else b, np.float64).reshape(-1)
                     for b in data]
        values = np.concatenate([p.reshape(-1) for p in parts]) if parts else np.zeros(0)
        values = values[~np.isnan(values)]
        if values.size == 0:
            raise ValueError(f"[Discretization {self.name}] adapt() received no values")
        self._set_boundaries(quantile_boundaries(values, self.num_bins, self.epsilon))

    def call(self, inputs):
        what = f"Discretization {self.name}"
        if self.bin_boundaries is None:
            raise ValueError(f"[{what}] has no bin boundaries: call adapt(data) first or pass "
                             "bin_boundaries=")
        x = np.asarray(inputs._data if isinstance(inputs, Tensor) else inputs)
        if x.dtype.kind not in "biuf":
            raise TypeError(f"[{what}] expects numbers, received dtype {x.dtype}")
        ids = np.searchsorted(self._bounds, x.astype(np.float64), side="right")
        if self.output_mode == "int":
            return Tensor._wrap(ids.astype(np.int64))
        return Tensor._wrap(encode_ids(ids.astype(np.int64), self.output_mode,
                                       len(self._bounds) + 1, what))

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        depth = len(self._bounds) + 1
        shape = tuple(input_shape) or (1,)
        if self.output_mode == "one_hot" and shape[-1] != 1:
            return shape + (depth,)
        return shape[:-1] + (depth,)
