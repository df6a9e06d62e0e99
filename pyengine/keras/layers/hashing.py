"""keras.layers.Hashing: strings or integers -> bins in [0, num_bins), TensorFlow's bins.

    bin(x) = H(x) mod num_bins                      (mask_value=None)
    bin(x) = 0 if x == mask_value else H(x) mod (num_bins - 1) + 1

H is FarmHash Fingerprint64 of the UTF-8 bytes (salt=None, TensorFlow's to_hash_bucket_fast)
or SipHash-2-4 keyed by the salt (salt=s: the key (s, s); salt=[a, b]: (a, b), TensorFlow's
to_hash_bucket_strong), both in string_hashes.py; integers are hashed as their decimal
strings, as Keras does (as_string first). Output modes 'one_hot' / 'multi_hot' / 'count'
encode the bins as CategoryEncoding does (depth num_bins).

Called on data (arrays, lists, NumPy strings, Tensors of whole numbers) it hashes the values
as given (int64 kept exact). Called on a keras.Input it records a graph node like any layer;
the model then feeds it float32 tensors, so integer ids there must be whole numbers below 2**24
to stay exact. String inputs cannot flow through a model (pyengine tensors hold numbers): hash
them before the model, as Keras recommends for every backend but TensorFlow."""
import numpy as np

from ...tensor import Tensor
from .base import Layer, as_output
from .category_encoding import check_mode, check_sparse, encode_ids
from .string_hashes import farmhash64, siphash64

_MODES = ("int", "one_hot", "multi_hot", "count")


def _keys(a, what):
    """The bytes each element of `a` is hashed as (strings: UTF-8; integers: decimal)."""
    if a.dtype.kind in "US" or a.dtype == object:
        out = []
        for v in a.reshape(-1).tolist():
            if isinstance(v, str):
                out.append(v.encode("utf-8"))
            elif isinstance(v, bytes):
                out.append(v)
            elif isinstance(v, (int, np.integer)) and not isinstance(v, bool):
                out.append(str(int(v)).encode())
            else:
                raise TypeError(f"[{what}] expects strings or integers, received {v!r}")
        return out
    if a.dtype.kind == "f":
        if not np.all(np.isfinite(a)) or np.any(np.mod(a, 1) != 0):
            raise TypeError(f"[{what}] expects strings or integers; received non-integer "
                            f"values of dtype {a.dtype}")
        a = a.astype(np.int64)
    elif a.dtype.kind not in "iu":
        raise TypeError(f"[{what}] expects strings or integers, received dtype {a.dtype}")
    return [str(v).encode() for v in a.reshape(-1).tolist()]


class Hashing(Layer):
    """Hashes strings / integers into num_bins bins (see the module docstring).

    >>> keras.layers.Hashing(num_bins=3)([["A"], ["B"], ["C"]]).numpy()
    array([[1],
           [0],
           [1]])
    """

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False,
                 **kwargs):
        super().__init__(**kwargs)
        what = "Hashing"
        if isinstance(num_bins, bool) or not isinstance(num_bins, (int, np.integer)) \
                or num_bins < 1 or (mask_value is not None and num_bins < 2):
            raise ValueError(f"[{what}] num_bins must be a positive int (at least 2 with a "
                             f"mask_value). Received: num_bins={num_bins!r}")
        self.output_mode = check_mode(output_mode, what, _MODES)
        check_sparse(sparse, what)
        if salt is None:
            self._key = None
        elif isinstance(salt, (int, np.integer)) and not isinstance(salt, bool) and salt >= 0:
            self._key = (int(salt), int(salt))
        elif isinstance(salt, (list, tuple)) and len(salt) == 2 and all(
                isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 0
                for s in salt):
            self._key = (int(salt[0]), int(salt[1]))
        else:
            raise ValueError(f"[{what}] salt must be None, a non-negative int or a list of two. "
                             f"Received: salt={salt!r}")
        if self._key is not None and max(self._key) >= 2 ** 64:
            raise ValueError(f"[{what}] salt values must fit in 64 bits. Received: salt={salt!r}")
        self.num_bins, self.mask_value, self.salt = int(num_bins), mask_value, salt
        self.sparse = False
        self._mask_key = None if mask_value is None else \
            _keys(np.asarray([mask_value], dtype=object), what)[0]

    def _hash(self, key):
        if self._key is None:
            return farmhash64(key)
        return siphash64(self._key[0], self._key[1], key)

    def hash_values(self, data):
        """int64 bins of `data` (array-like of strings / integers), the input's shape."""
        what = f"Hashing {self.name}"
        a = np.asarray(data._data if isinstance(data, Tensor) else data)
        keys = _keys(a, what)
        cache, out = {}, np.empty(len(keys), np.int64)
        masked = self._mask_key is not None
        bins = self.num_bins - 1 if masked else self.num_bins
        for i, k in enumerate(keys):
            if masked and k == self._mask_key:
                out[i] = 0
                continue
            b = cache.get(k)
            if b is None:
                b = cache[k] = self._hash(k) % bins + masked
            out[i] = b
        return out.reshape(a.shape)

    def _encode(self, bins):
        if self.output_mode == "int":
            return Tensor._wrap(np.ascontiguousarray(bins))
        return Tensor._wrap(encode_ids(bins, self.output_mode, self.num_bins,
                                       f"Hashing {self.name}"))

    def __call__(self, inputs, *args, **kwargs):
        from ..symbolic import is_symbolic
        if is_symbolic(inputs):
            return super().__call__(inputs, *args, **kwargs)
        if args or set(kwargs) - {"training"}:
            raise TypeError(f"[Hashing {self.name}] takes one input")
        return as_output(self._encode(self.hash_values(inputs)))

    def call(self, inputs):
        return self._encode(self.hash_values(inputs))

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        shape = tuple(input_shape) or (1,)
        if self.output_mode == "one_hot" and shape[-1] != 1:
            return shape + (self.num_bins,)
        return shape[:-1] + (self.num_bins,)
