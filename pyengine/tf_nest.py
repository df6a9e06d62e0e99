"""tf.nest: nested structures (tuples, lists, namedtuples, dicts of them) as TensorFlow walks
them. Dicts are visited in sorted key order, as tf.nest does (keras.tree keeps insertion
order, as Keras does)."""


def is_nested(structure):
    return isinstance(structure, (list, tuple, dict))


def _children(x):
    if isinstance(x, dict):
        return [x[k] for k in sorted(x)]
    return list(x)


def _rebuild(x, children):
    if isinstance(x, dict):
        keys = sorted(x)
        return type(x)((k, children[keys.index(k)]) for k in x)
    if isinstance(x, tuple) and hasattr(x, "_fields"):  # namedtuple
        return type(x)(*children)
    return type(x)(children)


def flatten(structure, expand_composites=False):
    """The leaves of `structure` in order; a leaf on its own gives [leaf]."""
    if not is_nested(structure):
        return [structure]
    return [leaf for c in _children(structure) for leaf in flatten(c)]


def assert_same_structure(nest1, nest2, check_types=True, expand_composites=False):
    """Raises ValueError (TypeError for different container types) unless both have the same
    nesting."""
    if is_nested(nest1) != is_nested(nest2):
        raise ValueError(f"[nest.assert_same_structure] {nest1!r} and {nest2!r} do not have "
                         "the same nested structure")
    if not is_nested(nest1):
        return
    if check_types and type(nest1) is not type(nest2):
        raise TypeError(f"[nest.assert_same_structure] container types differ: "
                        f"{type(nest1).__name__} and {type(nest2).__name__}")
    if isinstance(nest1, dict) and sorted(nest1) != sorted(nest2) or \
            len(_children(nest1)) != len(_children(nest2)):
        raise ValueError(f"[nest.assert_same_structure] {nest1!r} and {nest2!r} do not have "
                         "the same nested structure")
    for a, b in zip(_children(nest1), _children(nest2)):
        assert_same_structure(a, b, check_types)


def map_structure(func, *structure, **kwargs):
    """func applied to the leaves of one or more structures of the same nesting."""
    check_types = kwargs.pop("check_types", True)
    kwargs.pop("expand_composites", None)
    if kwargs:
        raise TypeError(f"[nest.map_structure] unrecognized arguments: {sorted(kwargs)}")
    if not structure:
        raise ValueError("[nest.map_structure] needs at least one structure")
    for other in structure[1:]:
        assert_same_structure(structure[0], other, check_types)
    leaves = [flatten(s) for s in structure]
    return pack_sequence_as(structure[0], [func(*xs) for xs in zip(*leaves)])


def pack_sequence_as(structure, flat_sequence, expand_composites=False):
    """`structure`'s nesting filled with flat_sequence's items in flatten order."""
    flat_sequence = list(flat_sequence)
    if len(flat_sequence) != len(flatten(structure)):
        raise ValueError(f"[nest.pack_sequence_as] the structure has "
                         f"{len(flatten(structure))} leaves, received {len(flat_sequence)} "
                         "values")
    it = iter(flat_sequence)

    def fill(x):
        if not is_nested(x):
            return next(it)
        return _rebuild(x, [fill(c) for c in _children(x)])
    return fill(structure)
