"""torch.autograd.forward_ad (dual tensors) over pyengine's reverse-mode engine.

pyengine has no forward-mode kernels. A dual tensor made by make_dual(primal, tangent) inside a
`dual_level` is a leaf sharing the primal's storage that is registered with its tangent; any
tensor computed from dual tensors records the usual reverse-mode graph, and unpack_dual(y)
computes y's tangent J_y . t exactly by reverse mode twice (the vjp u -> J^T u is linear in u;
its vjp in u along the tangents is J t), so the numbers are forward AD's, the cost is two
backward passes per unpack, and every op on the way needs its second derivative
(pyengine/autograd_higher.py). A custom autograd.Function that defines `jvp` is called the
forward-mode way on dual inputs: its jvp gives the output's tangent, and the output becomes a
new dual leaf. Leaving the level forgets every tangent (unpack_dual then gives None), as torch.

Differences from torch: a dual tensor is a fresh leaf, so reverse-mode gradients do not flow
from it back to the primal; unpack_dual(...).primal is detached."""
import contextlib
from collections import namedtuple

from . import autograd as _ag

__all__ = ["dual_level", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual",
           "UnpackedDualTensor"]

UnpackedDualTensor = namedtuple("UnpackedDualTensor", ["primal", "tangent"])

_levels = []  # a list per open level of (dual leaf, tangent)


def enter_dual_level():
    _levels.append([])
    return len(_levels) - 1


def exit_dual_level(*, level=None):
    if not _levels:
        raise RuntimeError("[forward_ad] exit_dual_level: no dual level is open")
    if level is not None and level != len(_levels) - 1:
        raise RuntimeError(f"[forward_ad] exit_dual_level: level {level} is not the innermost "
                           f"one ({len(_levels) - 1})")
    _levels.pop()


@contextlib.contextmanager
def dual_level():
    """`with fwAD.dual_level():` the scope in which dual tensors keep their tangents."""
    level = enter_dual_level()
    try:
        yield level
    finally:
        exit_dual_level(level=level)


def _roots():
    return _levels[-1] if _levels else []


def make_dual(tensor, tangent, *, level=None):
    """A dual tensor: `tensor`'s values with `tangent` as its direction."""
    Tensor = _ag.Tensor
    if not _levels:
        raise RuntimeError("[forward_ad] make_dual: no dual level is open; use "
                           "`with fwAD.dual_level():`")
    if level is not None and level != len(_levels) - 1:
        raise NotImplementedError("[forward_ad] make_dual: only the innermost level is supported")
    if not isinstance(tensor, Tensor) or not isinstance(tangent, Tensor):
        raise TypeError("[forward_ad] make_dual expects two Tensors")
    if tuple(tangent.shape) != tuple(tensor.shape):
        raise ValueError(f"[forward_ad] make_dual: tangent shape {tuple(tangent.shape)} differs "
                         f"from the primal's {tuple(tensor.shape)}")
    if not tensor.is_floating_point():
        raise TypeError(f"[forward_ad] make_dual: the primal must be floating-point, got "
                        f"{tensor.dtype}")
    if tangent.dtype != tensor.dtype:
        tangent = tangent.to(dtype=tensor.dtype)
    dual = tensor.detach().requires_grad_(True)
    _levels[-1].append((dual, tangent))
    return dual


def tangent_of(tensor):
    """The tangent of `tensor` in the open level (None when it depends on no dual tensor)."""
    Tensor = _ag.Tensor
    roots = _roots()
    if not roots or not isinstance(tensor, Tensor):
        return None
    for dual, tangent in roots:
        if dual is tensor:
            return tangent
    if not tensor.requires_grad:
        return None
    from .creation import zeros_like
    with _ag.enable_grad():
        u = zeros_like(tensor.detach()).requires_grad_(True)
        vs = _ag.grad([tensor], [d for d, _ in roots], grad_outputs=[u], retain_graph=True,
                      create_graph=True, allow_unused=True)
        pairs = [(v, t) for v, (_, t) in zip(vs, roots) if v is not None]
        if not pairs:
            return None
        live = [(v, t) for v, t in pairs if v.requires_grad]
        if not live:
            return zeros_like(tensor.detach())
        (jt,) = _ag.grad([v for v, _ in live], [u], grad_outputs=[t for _, t in live],
                         allow_unused=True)
    return zeros_like(tensor.detach()) if jt is None else jt.detach()


def unpack_dual(tensor, *, level=None):
    """(primal, tangent) of a tensor; tangent None outside a level or without dual inputs."""
    Tensor = _ag.Tensor
    if not isinstance(tensor, Tensor):
        return UnpackedDualTensor(tensor, None)
    return UnpackedDualTensor(tensor.detach(), tangent_of(tensor))


def is_active():
    return bool(_roots())
