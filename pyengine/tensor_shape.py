"""tf.TensorShape: a shape whose dimensions may be unknown (None), e.g. a custom RNN cell's
`state_size = [tf.TensorShape([10]), tf.TensorShape([20, 30])]`. It behaves as a sequence of
ints / None (len, iteration, indexing, equality with lists and tuples)."""


class TensorShape:
    """TensorShape([2, None]); TensorShape(None) has unknown rank."""

    def __init__(self, dims):
        if isinstance(dims, TensorShape):
            dims = dims._dims
        if dims is None:
            self._dims = None
            return
        try:
            items = list(dims)
        except TypeError:  # a single dimension, as TensorFlow reads TensorShape(3)
            items = [dims]
        self._dims = tuple(_dim(d) for d in items)

    @property
    def rank(self):
        return None if self._dims is None else len(self._dims)

    ndims = rank

    @property
    def dims(self):
        return None if self._dims is None else list(self._dims)

    def as_list(self):
        if self._dims is None:
            raise ValueError("[TensorShape] as_list() is not defined on an unknown rank shape")
        return list(self._dims)

    def num_elements(self):
        """The number of elements, or None when a dimension is unknown."""
        if not self.is_fully_defined():
            return None
        n = 1
        for d in self._dims:
            n *= d
        return n

    def is_fully_defined(self):
        return self._dims is not None and all(d is not None for d in self._dims)

    def concatenate(self, other):
        other = TensorShape(other)
        if self._dims is None or other._dims is None:
            return TensorShape(None)
        return TensorShape(self._dims + other._dims)

    __add__ = concatenate

    def __len__(self):
        if self._dims is None:
            raise ValueError("[TensorShape] len() of an unknown rank shape")
        return len(self._dims)

    def __iter__(self):
        if self._dims is None:
            raise ValueError("[TensorShape] cannot iterate over an unknown rank shape")
        return iter(self._dims)

    def __getitem__(self, key):
        if isinstance(key, slice):
            return TensorShape(self.as_list()[key])
        return self.as_list()[key]

    def __eq__(self, other):
        try:
            other = TensorShape(other)
        except (TypeError, ValueError):
            return NotImplemented
        return self._dims == other._dims

    def __hash__(self):
        return hash(self._dims)

    def __repr__(self):
        return "TensorShape(None)" if self._dims is None else f"TensorShape({list(self._dims)})"

    def __str__(self):
        if self._dims is None:
            return "<unknown>"
        return "(" + ", ".join("None" if d is None else str(d) for d in self._dims) + \
            ("," if len(self._dims) == 1 else "") + ")"


def _dim(d):
    if d is None:
        return None
    if isinstance(d, bool) or not float(d).is_integer() or int(d) < 0:
        raise TypeError(f"[TensorShape] dimensions must be non-negative integers or None. "
                        f"Received: {d!r}")
    return int(d)
