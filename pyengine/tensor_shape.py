"""tf.TensorShape: what TensorFlow's `x.get_shape()` returns, a tuple of dimensions (ints, None
for an unknown one) with TensorShape's methods: as_list(), rank / ndims, num_elements(),
is_fully_defined(), concatenate(). `x.shape` stays a plain tuple for speed; TensorShape compares
equal to the tuple of the same dimensions, as tuples do."""

__all__ = ["TensorShape"]


class TensorShape(tuple):
    def __new__(cls, dims=()):
        if dims is None:
            raise ValueError("[TensorShape] an unknown rank (dims=None) is not supported")
        out = []
        for d in dims:
            d = getattr(d, "value", d)  # a TF1 Dimension-like object
            if d is not None and (isinstance(d, bool) or not hasattr(d, "__index__")):
                raise TypeError(f"[TensorShape] dimensions must be ints or None, got "
                                f"{type(d).__name__}")
            out.append(None if d is None else d.__index__())
        return super().__new__(cls, out)

    def as_list(self):
        return list(self)

    @property
    def rank(self):
        return len(self)

    ndims = rank

    @property
    def dims(self):
        return list(self)

    def num_elements(self):
        """The number of elements, None when a dimension is unknown."""
        if not self.is_fully_defined():
            return None
        n = 1
        for d in self:
            n *= d
        return n

    def is_fully_defined(self):
        return all(d is not None for d in self)

    def concatenate(self, other):
        return TensorShape(tuple(self) + tuple(other))

    def __getitem__(self, item):
        r = super().__getitem__(item)
        return TensorShape(r) if isinstance(item, slice) else r

    def __repr__(self):
        return f"TensorShape({list(self)})"

    def __str__(self):
        return "(" + ", ".join("None" if d is None else str(d) for d in self) + \
            ("," if len(self) == 1 else "") + ")"
