"""keras.layers.HashedCrossing: crosses 2+ categorical columns (ints or strings) into num_bins
bins with the "hashing trick", Keras 3's layer (FeatureSpace's crosses use it).

Each row's values v_1 .. v_k (one per input, in the order given) are hashed as TensorFlow's
tf.sparse.cross_hashed (sparse_cross_op.cc, the op Keras' layer wraps) does it:

    h = 0xDECAFCAFFE                                 (tf.sparse.cross_hashed's default key)
    h = FingerprintCat64(h, f(v_i))  for i = 1 .. k
    bin = h mod num_bins                             (unsigned 64-bit arithmetic)

f(v) is FarmHash Fingerprint64 of the UTF-8 bytes for a string (string_hashes.farmhash64, the
same code keras.layers.Hashing uses) and the value itself, as an unsigned 64-bit int, for an
integer. FingerprintCat64 is TensorFlow's fingerprint combiner (platform/fingerprint.h).
Checked against the one example Keras documents (tests/test_keras_hashed_crossing.py:
('A', 101), ('B', 101), ('A', 101), ('B', 102), ('A', 102) -> 1, 4, 1, 1, 3 with 5 bins);
TensorFlow itself cannot run here, so other bins are not checked against it. The hash is pure
integer arithmetic (no per-process seed), so bins are the same in every run and process.

Inputs have shape (), (batch,) or (batch, 1), all the same; output_mode 'int' gives int64 bins
of that shape, 'one_hot' float32 vectors of num_bins (the (batch, 1) axis replaced, as Keras).
Float inputs are accepted when every value is a whole number (a functional model feeds float32
tensors), hashed as the integer. sparse=True is rejected (pyengine has no sparse tensors)."""
import numpy as np

from ...tensor import Tensor
from .base import Layer, as_output
from .category_encoding import check_mode, check_sparse, encode_ids
from .string_hashes import farmhash64

_MASK = (1 << 64) - 1
_MUL = 0xc6a4a7935bd1e995
_DEFAULT_KEY = 0xDECAFCAFFE


def _shift_mix(v):
    return v ^ (v >> 47)


def fingerprint_cat64(fp1, fp2):
    """TensorFlow's FingerprintCat64: combines two 64-bit fingerprints (not commutative)."""
    r = fp1 ^ _MUL
    r ^= (_shift_mix((fp2 * _MUL) & _MASK) * _MUL) & _MASK
    r = (r * _MUL) & _MASK
    r = (_shift_mix(r) * _MUL) & _MASK
    return _shift_mix(r)


def _column_keys(a, what):
    """The 64-bit feature hash of every element of one input column (flat list)."""
    if a.dtype.kind in "US" or a.dtype == object:
        out = []
        for v in a.reshape(-1).tolist():
            if isinstance(v, str):
                out.append(farmhash64(v.encode("utf-8")))
            elif isinstance(v, bytes):
                out.append(farmhash64(v))
            elif isinstance(v, (int, np.integer)) and not isinstance(v, bool):
                out.append(int(v) & _MASK)
            else:
                raise ValueError(f"[{what}] inputs must have an integer or string dtype; "
                                 f"received the value {v!r}")
        return out
    if a.dtype.kind == "f":
        if not np.all(np.isfinite(a)) or np.any(np.mod(a, 1) != 0):
            raise ValueError(f"[{what}] inputs must have an integer or string dtype; received "
                             f"non-integer values of dtype {a.dtype}")
        a = a.astype(np.int64)
    elif a.dtype.kind not in "iu":
        raise ValueError(f"[{what}] inputs must have an integer or string dtype; received "
                         f"dtype {a.dtype}")
    return [v & _MASK for v in a.reshape(-1).tolist()]


def _array(x):
    if isinstance(x, Tensor):
        return x._data
    if isinstance(x, np.ndarray):
        return x.view(np.ndarray)  # a StringArray view reads as plain str data
    return np.asarray(x)


class HashedCrossing(Layer):
    """Crosses categorical columns into num_bins hash bins (see the module docstring).

    >>> layer = keras.layers.HashedCrossing(num_bins=5)
    >>> layer((np.array(["A", "B", "A", "B", "A"]), np.array([101, 101, 101, 102, 102])))
    tensor([1, 4, 1, 1, 3])
    """

    def __init__(self, num_bins, output_mode="int", sparse=False, **kwargs):
        super().__init__(**kwargs)
        what = "HashedCrossing"
        if isinstance(num_bins, bool) or not isinstance(num_bins, (int, np.integer)) \
                or num_bins < 1:
            raise ValueError(f"[{what}] num_bins must be a positive int. Received: "
                             f"num_bins={num_bins!r}")
        self.output_mode = check_mode(output_mode, what, ("int", "one_hot"))
        check_sparse(sparse, what)
        self.num_bins, self.sparse = int(num_bins), False

    def _check(self, inputs):
        what = f"HashedCrossing {self.name}"
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"[{what}] should be called on a list or tuple of inputs. "
                             f"Received: {type(inputs).__name__}")
        if len(inputs) < 2:
            raise ValueError(f"[{what}] should be called on at least two inputs. Received "
                             f"{len(inputs)}")
        arrays = [_array(x) for x in inputs]
        shape = arrays[0].shape
        if len(shape) > 2 or (len(shape) == 2 and shape[-1] != 1):
            raise ValueError(f"[{what}] all inputs should have shape (), (batch_size,) or "
                             f"(batch_size, 1). Received shape {shape}")
        if any(a.shape != shape for a in arrays[1:]):
            raise ValueError(f"[{what}] all inputs should have equal shapes. Received "
                             f"{[a.shape for a in arrays]}")
        return arrays

    def cross_values(self, inputs):
        """int64 bins of the rows of `inputs` (a list / tuple of 2+ equal-shaped columns)."""
        arrays = self._check(inputs)
        what = f"HashedCrossing {self.name}"
        columns = [_column_keys(a, what) for a in arrays]
        cache, out = {}, np.empty(arrays[0].size, np.int64)
        for i, row in enumerate(zip(*columns)):
            b = cache.get(row)
            if b is None:
                h = _DEFAULT_KEY
                for key in row:
                    h = fingerprint_cat64(h, key)
                b = cache[row] = h % self.num_bins
            out[i] = b
        return out.reshape(arrays[0].shape)

    def _encode(self, bins):
        if self.output_mode == "int":
            return Tensor._wrap(np.array(bins, np.int64))  # (ascontiguousarray makes 0-d 1-d)
        # a scalar row gives (num_bins,); (batch,) and (batch, 1) give (batch, num_bins)
        return Tensor._wrap(encode_ids(bins, "one_hot", self.num_bins,
                                       f"HashedCrossing {self.name}"))

    def __call__(self, inputs, *args, **kwargs):
        from ..symbolic import is_symbolic
        if is_symbolic(inputs):
            return super().__call__(inputs, *args, **kwargs)
        if args or set(kwargs) - {"training"}:
            raise TypeError(f"[HashedCrossing {self.name}] takes one input: a list / tuple of "
                            "columns")
        return as_output(self._encode(self.cross_values(inputs)))

    def call(self, inputs):
        return self._encode(self.cross_values(inputs))

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape[0])
        if self.output_mode == "int":
            return shape
        if shape and shape[-1] == 1:
            return shape[:-1] + (self.num_bins,)
        return shape + (self.num_bins,)
