"""tf.RaggedTensor, the part text pipelines use: a batch of rows of different lengths (what
`tf.strings.split` of a batch of strings gives), held as TensorFlow holds it: `flat_values`
(every row's values, one after another) and `row_splits` (row i is
flat_values[row_splits[i]:row_splits[i + 1]]). Ragged rank 1 (a batch of 1-D rows) only.
`to_tensor()` pads the rows into a dense tensor (a Tensor, or a str array for text),
keras-io's `tf.strings.split(batch, ",").to_tensor()`.

>>> r = pe.RaggedTensor.from_row_lengths(np.array([1.0, 2.0, 3.0]), [2, 0, 1])
>>> r.to_tensor().numpy().tolist(), r.to_list()
([[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]], [[1.0, 2.0], [], [3.0]])
"""
import numpy as np

from . import string_dtype as _sd


def _values(v, what):
    a = np.asarray(getattr(v, "_data", v))
    if isinstance(a, _sd.StringArray):
        a = a.view(np.ndarray)
    if a.ndim != 1:
        raise ValueError(f"[RaggedTensor.{what}] values must be 1-D (ragged rank 1), got "
                         f"shape {a.shape}")
    return a


class RaggedTensor:
    """Rows of different lengths: flat_values and row_splits (see the module docstring)."""

    def __init__(self, flat_values, row_splits, _checked=False):
        if not _checked:
            raise TypeError("[RaggedTensor] build one with RaggedTensor.from_row_splits / "
                            "from_row_lengths (or tf.strings.split of a batch)")
        self._flat, self._splits = flat_values, row_splits

    @classmethod
    def from_row_splits(cls, values, row_splits, name=None, validate=True):
        flat = _values(values, "from_row_splits")
        splits = np.asarray(getattr(row_splits, "_data", row_splits)).astype(np.int64)
        if validate and (splits.ndim != 1 or splits.size == 0 or splits[0] != 0
                         or (np.diff(splits) < 0).any() or splits[-1] != flat.size):
            raise ValueError(f"[RaggedTensor.from_row_splits] row_splits must be 1-D, start "
                             f"at 0, not decrease and end at len(values)={flat.size}; got "
                             f"{splits.tolist()}")
        return cls(flat, splits, _checked=True)

    @classmethod
    def from_row_lengths(cls, values, row_lengths, name=None, validate=True):
        lengths = np.asarray(getattr(row_lengths, "_data", row_lengths)).astype(np.int64)
        if validate and (lengths.ndim != 1 or (lengths < 0).any()):
            raise ValueError(f"[RaggedTensor.from_row_lengths] row_lengths must be 1-D and "
                             f"non-negative, got {lengths.tolist()}")
        return cls.from_row_splits(values, np.concatenate([[0], np.cumsum(lengths)]),
                                   validate=validate)

    @classmethod
    def from_rows(cls, rows, dtype=None):
        """From a list of 1-D arrays (pyengine's own constructor, used by tf.strings)."""
        rows = [np.asarray(r, dtype=dtype) for r in rows]
        flat = np.concatenate(rows) if rows else np.zeros((0,), dtype or np.float32)
        return cls.from_row_lengths(flat, [len(r) for r in rows])

    # ---- TensorFlow's accessors ----------------------------------------------------------
    @property
    def flat_values(self):
        return self._wrap(self._flat)

    values = flat_values  # ragged rank 1: the values are the flat values

    @property
    def row_splits(self):
        from .tensor import Tensor
        return Tensor._wrap(self._splits)

    def row_lengths(self):
        from .tensor import Tensor
        return Tensor._wrap(np.diff(self._splits))

    def nrows(self):
        return len(self._splits) - 1

    @property
    def shape(self):
        return (self.nrows(), None)

    ndim = 2
    ragged_rank = 1

    @property
    def dtype(self):
        if self._flat.dtype.kind in "SU":
            return _sd.string
        from .dtypes import as_dtype
        return as_dtype(self._flat.dtype)

    def with_flat_values(self, new_values):
        """The same rows over new flat values (of the same length)."""
        flat = _values(new_values, "with_flat_values")
        if flat.size != self._flat.size:
            raise ValueError(f"[RaggedTensor.with_flat_values] expected {self._flat.size} "
                             f"values, got {flat.size}")
        return RaggedTensor(flat, self._splits, _checked=True)

    def _rows(self):
        return [self._flat[a:b] for a, b in zip(self._splits[:-1], self._splits[1:])]

    def to_list(self):
        return [r.tolist() for r in self._rows()]

    def numpy(self):
        """An object array of the rows (TensorFlow's RaggedTensor.numpy())."""
        out = np.empty(self.nrows(), dtype=object)
        out[:] = self._rows()
        return out

    def to_tensor(self, default_value=None, name=None, shape=None):
        """The rows padded with default_value (0, or "" for text) to the longest row's length,
        or to shape (nrows or None, width or None): longer rows are cut, as TensorFlow."""
        lengths = np.diff(self._splits)
        n, width = self.nrows(), int(lengths.max()) if lengths.size else 0
        if shape is not None:
            dims = list(shape)
            if len(dims) != 2:
                raise ValueError(f"[RaggedTensor.to_tensor] shape must have 2 dimensions, got "
                                 f"{shape}")
            if dims[0] is not None and int(dims[0]) != n:
                raise ValueError(f"[RaggedTensor.to_tensor] shape[0]={dims[0]} but there are "
                                 f"{n} rows")
            width = width if dims[1] is None else int(dims[1])
        text = self._flat.dtype.kind in "SU"
        fill = ("" if text else 0) if default_value is None else default_value
        dtype = np.result_type(self._flat.dtype, np.asarray(fill).dtype) if text \
            else self._flat.dtype
        out = np.full((n, width), fill, dtype=dtype)
        for i, row in enumerate(self._rows()):
            out[i, :min(len(row), width)] = row[:width]
        return self._wrap(out)

    # ---- Python protocol -----------------------------------------------------------------
    def __len__(self):
        return self.nrows()

    def __iter__(self):
        return (self._wrap(r) for r in self._rows())

    def __getitem__(self, key):
        if isinstance(key, (int, np.integer)):
            return self._wrap(self._rows()[key])
        if isinstance(key, slice):
            return RaggedTensor.from_rows(self._rows()[key], dtype=self._flat.dtype)
        raise NotImplementedError(f"[RaggedTensor] indexing with {key!r} is not supported: "
                                  "index a row (int) or rows (slice), or call .to_tensor()")

    def __array__(self, dtype=None, copy=None):
        raise TypeError("[RaggedTensor] its rows have different lengths and make no dense "
                        "array: call .to_tensor() (padding) or .to_list()")

    def __repr__(self):
        return f"<pe.RaggedTensor {self.to_list()!r}>"

    @staticmethod
    def _wrap(a):
        if a.dtype.kind in "SU":
            return _sd.as_string_array(a)
        from .tensor import Tensor
        return Tensor._wrap(np.ascontiguousarray(a) if a.ndim else a)


def constant(pylist, dtype=None, ragged_rank=None, inner_shape=None, name=None,
             row_splits_dtype=None):
    """tf.ragged.constant of a list of rows of scalars (ragged rank 1): every row becomes a
    row of the RaggedTensor, even when all have the same length."""
    if ragged_rank not in (None, 1) or inner_shape not in (None, ()):
        raise NotImplementedError("[ragged.constant] only ragged_rank=1 (a list of rows of "
                                  "scalars) is supported")
    rows = [np.asarray(r, dtype=dtype) for r in pylist]
    if any(r.ndim != 1 for r in rows):
        raise NotImplementedError("[ragged.constant] expects a list of rows of scalars (ragged "
                                  "rank 1); deeper nesting is not supported")
    if dtype is None and rows:  # one dtype for all rows (text stays text)
        rows = [r.astype(np.result_type(*rows)) if r.size else r for r in rows]
    return RaggedTensor.from_rows(rows, dtype=None if rows else dtype)
