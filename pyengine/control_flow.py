"""torch's control-flow operators, run eagerly: `torch.cond` and the higher-order ops of
`torch._higher_order_ops` (cond, while_loop, scan, associative_scan, map). torch offers them to
express data-dependent control flow inside compiled / exported graphs; pyengine runs Python
directly, so each is the loop or branch it stands for, built from ordinary (differentiable)
ops: gradients flow through the taken branch and every step, as in torch."""
from .tensor import Tensor
from .tf_control_flow import cond  # noqa: F401 (pe.cond serves torch.cond and tf.cond)

__all__ = ["cond", "while_loop", "scan", "associative_scan", "map"]


def _as_bool(pred, op):
    if isinstance(pred, Tensor):
        if pred.numel() != 1:
            raise RuntimeError(f"[{op}] the predicate must be a boolean or a one-element tensor, "
                               f"got shape {tuple(pred.shape)}")
        return bool(pred.item())
    if isinstance(pred, (bool, int)):
        return bool(pred)
    raise TypeError(f"[{op}] the predicate must be a bool or a tensor, got {type(pred).__name__}")


def _operands(operands, op):
    if isinstance(operands, (tuple, list)):
        return tuple(operands)
    raise TypeError(f"[{op}] operands must be a tuple or list, got {type(operands).__name__}")


def while_loop(cond_fn, body_fn, carried_inputs, additional_inputs=()):
    """Apply body_fn to the carried values while cond_fn holds; the final values (a tuple)."""
    carried = _operands(carried_inputs, "while_loop")
    extra = _operands(additional_inputs, "while_loop")
    while _as_bool(cond_fn(*carried, *extra), "while_loop"):
        out = body_fn(*carried, *extra)
        out = tuple(out) if isinstance(out, (tuple, list)) else (out,)
        if len(out) != len(carried):
            raise RuntimeError(f"[while_loop] body_fn returned {len(out)} values for "
                               f"{len(carried)} carried inputs")
        carried = out
    return carried


def _leaves(tree):
    if isinstance(tree, (tuple, list)):
        return [x for t in tree for x in _leaves(t)]
    if isinstance(tree, dict):
        return [x for k in tree for x in _leaves(tree[k])]
    return [tree]


def _rebuild(tree, it):
    if isinstance(tree, (tuple, list)):
        return type(tree)(_rebuild(t, it) for t in tree)
    if isinstance(tree, dict):
        return {k: _rebuild(tree[k], it) for k in tree}
    return next(it)


def _slices(xs, dim, op):
    leaves = _leaves(xs)
    if not leaves or not all(isinstance(t, Tensor) for t in leaves):
        raise TypeError(f"[{op}] xs must be a tensor or a structure of tensors")
    n = leaves[0].shape[dim]
    if any(t.shape[dim] != n for t in leaves):
        raise ValueError(f"[{op}] every tensor of xs needs the same size along dim {dim}")
    return [_rebuild(xs, iter([t.select(dim, i) for t in leaves])) for i in range(n)], n


def _stack(items, dim):
    from .nn.functional import stack
    first = items[0]
    cols = list(zip(*[_leaves(it) for it in items]))
    return _rebuild(first, iter([stack(list(c), dim) for c in cols]))


def scan(combine_fn, init, xs, dim=0, reverse=False, additional_inputs=()):
    """carry = init; for each slice x of xs along dim: carry, y = combine_fn(carry, x).
    Returns (final carry, the ys stacked along dim); reverse walks the slices backwards."""
    steps, n = _slices(xs, dim, "scan")
    if n == 0:
        raise ValueError("[scan] xs is empty along dim")
    order = range(n - 1, -1, -1) if reverse else range(n)
    carry, ys = init, [None] * n
    for i in order:
        carry, ys[i] = combine_fn(carry, steps[i], *additional_inputs)
    return carry, _stack(ys, dim)


def associative_scan(combine_fn, xs, dim, reverse=False, combine_mode="pointwise"):
    """Inclusive prefix combination along dim: out[i] = combine_fn(out[i - 1], xs[i])
    (combine_fn associative, so the order torch's parallel scan uses gives the same result).
    combine_mode 'pointwise' needs CUDA tensors in torch and is refused here as there."""
    if combine_mode not in ("pointwise", "generic"):
        raise ValueError(f"[associative_scan] combine_mode must be 'pointwise' or 'generic', "
                         f"got {combine_mode!r}")
    if combine_mode == "pointwise":
        raise ValueError("[associative_scan] combine_mode='pointwise' needs CUDA tensors (as in "
                         "torch); use combine_mode='generic' on the CPU")
    steps, n = _slices(xs, dim, "associative_scan")
    order = list(range(n - 1, -1, -1)) if reverse else list(range(n))
    out, acc = [None] * n, None
    for i in order:
        acc = steps[i] if acc is None else combine_fn(acc, steps[i])
        out[i] = acc
    return _stack(out, dim)


def map(f, xs, *args):  # noqa: A001 (torch's name)
    """f applied to each slice of xs along dim 0 (with the extra args), results stacked."""
    steps, _ = _slices(xs, 0, "map")
    return _stack([f(x, *args) for x in steps], 0)
