"""Nested structures (a value, or tuples / lists / dicts of them) as Keras layers take and return
them: map a function over the leaves, list the leaves, rebuild a structure from leaves."""


def is_nested(x):
    return isinstance(x, (list, tuple, dict))


def map_structure(fn, x):
    """fn applied to every leaf of x, keeping x's containers (namedtuples included)."""
    if isinstance(x, dict):
        return type(x)((k, map_structure(fn, v)) for k, v in x.items())
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return type(x)(*(map_structure(fn, v) for v in x))
    if isinstance(x, (list, tuple)):
        return type(x)(map_structure(fn, v) for v in x)
    return fn(x)


def flatten(x):
    """The leaves of x in order (dicts in insertion order)."""
    if isinstance(x, dict):
        return [leaf for v in x.values() for leaf in flatten(v)]
    if isinstance(x, (list, tuple)):
        return [leaf for v in x for leaf in flatten(v)]
    return [x]


def pack_sequence_as(structure, leaves):
    """The inverse of flatten: `structure`'s containers filled with `leaves` in order."""
    it = iter(leaves)
    out = map_structure(lambda _: next(it), structure)
    return out
