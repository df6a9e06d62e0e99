"""torch.utils.swap_tensors: two Python tensor objects exchange everything they hold."""
from ..tensor import Tensor

_SLOTS = tuple(s for s in Tensor.__slots__ if s not in ("__weakref__", "__dict__"))


def _extra_slots(cls):
    """Slots a Tensor subclass adds (Parameter adds none): objects can trade classes only when
    their layouts agree."""
    return tuple(s for c in cls.__mro__ if c is not Tensor and issubclass(c, Tensor)
                 for s in c.__dict__.get("__slots__", ()))


def swap_tensors(t1, t2):
    """Swap the contents of `t1` and `t2` in place: data, dtype, shape, requires_grad, grad,
    autograd history, attributes set on them and their class (torch's rule: swapping a
    Parameter with a plain tensor makes the first object a plain tensor). Everyone holding t1
    (a module, an optimizer) sees what t2 held.

    >>> a, b = pe.arange(2), pe.arange(3)
    >>> pe.utils.swap_tensors(a, b); a.shape, b.shape
    ((3,), (2,))
    """
    for name, t in (("t1", t1), ("t2", t2)):
        if not isinstance(t, Tensor):
            raise TypeError(f"[swap_tensors] {name} must be a Tensor, got {type(t).__name__}")
    if t1 is t2:
        return
    c1, c2 = type(t1), type(t2)
    if _extra_slots(c1) != _extra_slots(c2):
        raise TypeError(f"[swap_tensors] {c1.__name__} and {c2.__name__} have different slots; "
                        "cannot swap them")
    state1 = {s: getattr(t1, s) for s in _SLOTS}
    state2 = {s: getattr(t2, s) for s in _SLOTS}
    d1, d2 = dict(t1.__dict__), dict(t2.__dict__)
    t1.__class__, t2.__class__ = c2, c1
    for t, state, d in ((t1, state2, d2), (t2, state1, d1)):
        for s, v in state.items():
            object.__setattr__(t, s, v)
        t.__dict__.clear()
        t.__dict__.update(d)
