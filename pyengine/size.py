"""torch.Size: a tuple of ints that prints as pyengine.Size([2, 3]). Tensor.size() returns one,
as torch (the tutorials print x.size()); `.shape` stays a plain tuple for speed (equal to a
Size of the same ints, as tuples are)."""

__all__ = ["Size"]


class Size(tuple):
    def __new__(cls, sizes=()):
        items = tuple(sizes)
        for n in items:
            if isinstance(n, bool) or not hasattr(n, "__index__"):
                raise TypeError(f"[Size] sizes must be ints, got {type(n).__name__}")
        return super().__new__(cls, (n.__index__() for n in items))

    def __repr__(self):
        return f"pyengine.Size({list(self)})"

    __str__ = __repr__

    def numel(self):
        out = 1
        for n in self:
            out *= n
        return out

    def __getitem__(self, item):
        r = super().__getitem__(item)
        return Size(r) if isinstance(item, slice) else r

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))
