"""torch.func: function transforms over pyengine's autograd.

- functional_call(module, params_and_buffers, args): run a module with other tensors in place of
  its parameters / buffers (restored afterwards, also on error).
- grad / grad_and_value: the gradient of a scalar function w.r.t. argument(s) `argnums`, which
  may be pytrees (dicts, lists, tuples of tensors: a model's parameter dict).
- vmap(func, in_dims, out_dims, randomness): func mapped over a dimension of its inputs. It is
  computed by calling func once per index of the mapped dimension and stacking the results
  (exact, composable with grad and with itself; not a vectorised kernel, so it is no faster
  than the loop: it gives the loop's numbers with vmap's interface). randomness="error" (the
  default, as torch) makes a random op inside func raise; "different" draws anew per index;
  "same" replays the same draws for every index. The calls stand for torch's one batched call:
  a backward without retain_graph inside func frees a graph built outside vmap once, when vmap
  returns, not at the first index (autograd.held_frees).
- stack_module_state(models): the models' parameters and buffers stacked on a new leading axis
  (for vmap over an ensemble with functional_call).
- vjp / jvp: vector-Jacobian and Jacobian-vector products (jvp by reverse mode twice: there is
  no forward-mode AD, so it needs the ops' second derivatives, pyengine/autograd_higher.py).
- make_functional_with_buffers: functorch's older module API, over functional_call.
- jacrev (a vjp per output element), jacfwd (a jvp per input element: the same Jacobian, by
  columns) and hessian (jacfwd(jacrev)); all compose with each other, grad and vmap.
"""
import contextlib

from . import autograd as _ag
from .tensor import Tensor

__all__ = ["functional_call", "grad", "grad_and_value", "vjp", "jvp", "vmap", "stack_module_state",
           "jacrev", "jacfwd", "hessian", "make_functional_with_buffers"]


# ---- pytrees ------------------------------------------------------------------------------
def _flatten(tree):
    """(leaves, rebuild) for dicts, lists and tuples (namedtuples too) of leaves."""
    if isinstance(tree, dict):
        keys = list(tree)
        parts = [_flatten(tree[k]) for k in keys]
        return ([leaf for p in parts for leaf in p[0]],
                _rebuilder(parts, lambda vals: type(tree)(zip(keys, vals))
                           if type(tree) is not dict else dict(zip(keys, vals))))
    if isinstance(tree, (list, tuple)):
        parts = [_flatten(v) for v in tree]
        if isinstance(tree, tuple) and hasattr(tree, "_fields"):
            make = lambda vals: type(tree)(*vals)  # noqa: E731
        else:
            make = lambda vals: type(tree)(vals)  # noqa: E731
        return [leaf for p in parts for leaf in p[0]], _rebuilder(parts, make)
    return [tree], lambda leaves: leaves[0]


def _rebuilder(parts, make):
    sizes = [len(p[0]) for p in parts]

    def rebuild(leaves):
        out, k = [], 0
        for (_, sub), n in zip(parts, sizes):
            out.append(sub(leaves[k:k + n]))
            k += n
        return make(out)
    return rebuild


def _broadcast_spec(op, spec, tree, what):
    """Leaves of `spec` matched to those of `tree` (an int / None spec covers a whole subtree)."""
    if spec is None or isinstance(spec, int):
        return [spec] * len(_flatten(tree)[0])
    if isinstance(spec, dict) and isinstance(tree, dict):
        if set(spec) != set(tree):
            raise ValueError(f"[{op}] {what} {spec!r} does not match the structure of the "
                             f"input (keys {sorted(tree)})")
        return [d for k in tree for d in _broadcast_spec(op, spec[k], tree[k], what)]
    if isinstance(spec, (list, tuple)) and isinstance(tree, (list, tuple)) \
            and len(spec) == len(tree):
        return [d for s, t in zip(spec, tree) for d in _broadcast_spec(op, s, t, what)]
    raise ValueError(f"[{op}] {what} {spec!r} does not match the structure of the input "
                     f"({type(tree).__name__})")


# ---- functional_call -------------------------------------------------------------------------
def _owner(module, name, op):
    *path, attr = name.split(".")
    mod = module
    for p in path:
        sub = mod._modules.get(p) if hasattr(mod, "_modules") else None
        if sub is None:
            raise AttributeError(f"[{op}] {type(module).__name__} has no submodule "
                                 f"'{'.'.join(path)}' (for the key '{name}')")
        mod = sub
    return mod, attr


@contextlib.contextmanager
def _reparametrize(module, tensors, tie_weights, strict, op):
    names = {}  # id(original tensor) -> every name it is registered under (tied weights)
    for kind in ("_parameters", "_buffers"):
        for prefix, mod in module.named_modules(remove_duplicate=False):
            for n, t in getattr(mod, kind).items():
                if t is not None:
                    names.setdefault(id(t), set()).add(f"{prefix}.{n}" if prefix else n)
    all_names = {n for group in names.values() for n in group}
    if strict:
        missing = sorted(all_names - set(tensors))
        unexpected = sorted(set(tensors) - all_names)
        if missing or unexpected:
            raise RuntimeError(f"[{op}] strict=True: missing keys {missing}, unexpected keys "
                               f"{unexpected}")
    todo = dict(tensors)
    if tie_weights:
        for group in names.values():
            given = [n for n in group if n in tensors]
            if given and len(group) > 1:
                first = tensors[given[0]]
                if any(tensors[n] is not first for n in given[1:]):
                    raise ValueError(f"[{op}] tied weights {sorted(group)} were given different "
                                     "tensors (pass one of the names, or tie_weights=False)")
                for n in group:
                    todo.setdefault(n, first)
    saved = []
    try:
        for name, value in todo.items():
            if not isinstance(value, Tensor):
                raise TypeError(f"[{op}] the value for '{name}' must be a Tensor, got "
                                f"{type(value).__name__}")
            mod, attr = _owner(module, name, op)
            for kind in ("_parameters", "_buffers"):
                store = mod.__dict__[kind]
                if attr in store:
                    saved.append((store, attr, store[attr]))
                    store[attr] = value
                    break
            else:
                prop = getattr(type(mod), attr, None)
                if isinstance(prop, property):
                    # a parametrized tensor (nn.utils.parametrize gives each parametrized
                    # module a class of its own): the given value replaces the whole
                    # parametrization for the call, as torch
                    saved.append((_ClassAttrs(type(mod)), attr, prop))
                    setattr(type(mod), attr, property(lambda self, v=value: v))
                    continue
                # neither parameter nor buffer: a plain attribute for the call (as torch)
                saved.append((mod.__dict__, attr, mod.__dict__.get(attr, _MISSING)))
                mod.__dict__[attr] = value
        yield
    finally:
        for store, attr, old in reversed(saved):
            if old is _MISSING:
                store.pop(attr, None)
            else:
                store[attr] = old


class _ClassAttrs:
    """A class's attributes as a store (setitem restores a property)."""

    def __init__(self, cls):
        self.cls = cls

    def __setitem__(self, attr, value):
        setattr(self.cls, attr, value)

    def pop(self, attr, default=None):
        return self.cls.__dict__.get(attr, default)


_MISSING = object()


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights=True, strict=False):
    """module(*args, **kwargs) computed with the given tensors in place of its parameters /
    buffers (keys as in named_parameters / named_buffers; a tuple of dicts is merged)."""
    from .nn.module import Module
    op = "functional_call"
    if not isinstance(module, Module):
        raise TypeError(f"[{op}] expected a pe.nn.Module, got {type(module).__name__}")
    dicts = parameter_and_buffer_dicts
    if isinstance(dicts, dict):
        merged = dict(dicts)
    elif isinstance(dicts, (tuple, list)) and all(isinstance(d, dict) for d in dicts):
        merged = {}
        for d in dicts:
            clash = set(merged) & set(d)
            if clash:
                raise ValueError(f"[{op}] {sorted(clash)} appeared in more than one of the "
                                 "dictionaries")
            merged.update(d)
    else:
        raise TypeError(f"[{op}] expected a dict or a tuple of dicts of tensors, got "
                        f"{type(dicts).__name__}")
    args = () if args is None else args if isinstance(args, tuple) else (args,)
    with _reparametrize(module, merged, tie_weights, strict, op):
        return module(*args, **(kwargs or {}))


# ---- grad -------------------------------------------------------------------------------------
def _grad_inputs(op, args, argnums):
    if isinstance(argnums, int):
        nums, single = (argnums,), True
    elif isinstance(argnums, tuple) and argnums and all(isinstance(a, int) for a in argnums):
        nums, single = argnums, False
    else:
        raise TypeError(f"[{op}] argnums must be an int or a non-empty tuple of ints, got "
                        f"{argnums!r}")
    nums = tuple(a + len(args) if a < 0 else a for a in nums)
    for a in nums:
        if not 0 <= a < len(args):
            raise ValueError(f"[{op}] argnums {argnums} out of range for {len(args)} "
                             "positional argument(s)")
    return nums, single


def _prepare(op, leaf):
    if not isinstance(leaf, Tensor):
        raise TypeError(f"[{op}] the differentiated argument must hold only Tensors, got "
                        f"{type(leaf).__name__}")
    if not leaf.is_floating_point():
        raise TypeError(f"[{op}] can only differentiate w.r.t. floating-point tensors, got "
                        f"{leaf.dtype}")
    if leaf.requires_grad:  # part of an outer graph (grad of grad): a node inside it
        return leaf.view_as(leaf), True
    return leaf.detach().requires_grad_(True), False


def _prepare_args(op, args, nums):
    """args with the leaves of args[nums] replaced by tensors to differentiate w.r.t.:
    (new args, [leaves per argnum], [rebuild per argnum], nested)."""
    args = list(args)
    flat, rebuilds, nested = [], [], False
    for a in nums:
        leaves, rebuild = _flatten(args[a])
        prepared = [_prepare(op, leaf) for leaf in leaves]
        nested |= any(p[1] for p in prepared)
        new = [p[0] for p in prepared]
        args[a] = rebuild(new)
        flat.append(new)
        rebuilds.append(rebuild)
    return args, flat, rebuilds, nested


def _split_aux(op, out, has_aux):
    if not has_aux:
        return out, None
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RuntimeError(f"[{op}] has_aux=True: func must return a pair (output, aux)")
    return out


def _grads(outs, cotangents, inputs, nested):
    """d(sum <out, cot>)/d(input) for each input (zeros where unused), differentiable when
    nested (inside another transform)."""
    from .creation import zeros_like
    live = [(o, c) for o, c in zip(outs, cotangents) if o.requires_grad]
    if live:
        gs = _ag.grad([o for o, _ in live], inputs, grad_outputs=[c for _, c in live],
                      retain_graph=True, create_graph=nested, allow_unused=True)
    else:
        gs = [None] * len(inputs)
    return [zeros_like(t) if g is None else (g if nested else g.detach())
            for g, t in zip(gs, inputs)]


def _regroup(gs, flat, rebuilds, single):
    grads, k = [], 0
    for group, rebuild in zip(flat, rebuilds):
        grads.append(rebuild(gs[k:k + len(group)]))
        k += len(group)
    return grads[0] if single else tuple(grads)


def grad_and_value(func, argnums=0, has_aux=False):
    """A function returning (gradient, value) of func (value = (output, aux) with has_aux)."""
    op = "grad_and_value"

    def wrapper(*args, **kwargs):
        nums, single = _grad_inputs(op, args, argnums)
        with _ag.enable_grad():
            args, flat, rebuilds, nested = _prepare_args(op, args, nums)
            out, aux = _split_aux(op, func(*args, **kwargs), has_aux)
            if not isinstance(out, Tensor) or out.numel() != 1:
                raise RuntimeError(f"[{op}] func must return a one-element Tensor, got "
                                   f"{type(out).__name__} of shape "
                                   f"{tuple(getattr(out, 'shape', ()))}")
            every = [t for group in flat for t in group]
            gs = _grads([out.reshape(())], [None], every, nested)
        g = _regroup(gs, flat, rebuilds, single)
        value = out if nested else out.detach()
        return g, ((value, aux) if has_aux else value)
    return wrapper


def grad(func, argnums=0, has_aux=False):
    """The gradient of scalar func w.r.t. argument(s) argnums (pytrees keep their structure);
    with has_aux, (gradient, aux)."""
    gv = grad_and_value(func, argnums, has_aux)

    def wrapper(*args, **kwargs):
        g, value = gv(*args, **kwargs)
        return (g, value[1]) if has_aux else g
    return wrapper


def vjp(func, *primals, has_aux=False):
    """(func(*primals), vjp_fn[, aux]): vjp_fn(cotangents) gives the vector-Jacobian products
    w.r.t. every primal (a tuple of their pytrees); it can be called many times (vmap(vjp_fn)
    builds a Jacobian row by row)."""
    op = "vjp"
    if not primals:
        raise ValueError(f"[{op}] needs at least one primal")
    with _ag.enable_grad():
        out, aux, out_leaves, _, flat, rebuilds, nested = _call_prepared(
            op, func, primals, tuple(range(len(primals))), has_aux)
    every = [t for group in flat for t in group]

    def vjp_fn(*cotangents):
        cot = cotangents[0] if len(cotangents) == 1 else cotangents
        cot_leaves, _ = _flatten(cot)
        _check_like(op, "the cotangents (as the output)", cot_leaves, out_leaves)
        with _ag.enable_grad():
            gs = _grads(out_leaves, cot_leaves, every, nested or any(
                c.requires_grad for c in cot_leaves))
        return tuple(_regroup(gs, flat, rebuilds, False))

    value = out if nested else _detach_tree(out)
    return (value, vjp_fn, aux) if has_aux else (value, vjp_fn)


def _call_prepared(op, func, args, nums, has_aux, kwargs=None):
    """func called on args whose args[nums] leaves are prepared for differentiation (run with
    grad enabled): (out, aux, out leaves, rebuild out, leaves per argnum, rebuilds, nested)."""
    args, flat, rebuilds, nested = _prepare_args(op, args, nums)
    out, aux = _split_aux(op, func(*args, **(kwargs or {})), has_aux)
    out_leaves, rebuild_out = _flatten(out)
    if not all(isinstance(o, Tensor) for o in out_leaves):
        raise RuntimeError(f"[{op}] func must return Tensors (or pytrees of them)")
    return out, aux, out_leaves, rebuild_out, flat, rebuilds, nested


def _check_like(op, what, leaves, like):
    if len(leaves) != len(like) or any(not isinstance(c, Tensor) or tuple(c.shape) !=
                                       tuple(o.shape) for c, o in zip(leaves, like)):
        raise ValueError(f"[{op}] {what} must have the structure and shapes "
                         f"{[tuple(o.shape) for o in like]}")


def _detach_tree(tree):
    leaves, rebuild = _flatten(tree)
    return rebuild([t.detach() if isinstance(t, Tensor) else t for t in leaves])


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """(func(*primals), J @ tangents): the Jacobian-vector product, computed by reverse mode
    twice (the vjp u -> J^T u is linear in u, and its vjp in u at the tangents is J t), so it
    needs the ops' second derivatives (pyengine/autograd_higher.py)."""
    op = "jvp"
    if strict:
        raise NotImplementedError(f"[{op}] strict=True is not supported")
    if not isinstance(primals, tuple) or not isinstance(tangents, tuple) or \
            len(primals) != len(tangents):
        raise ValueError(f"[{op}] primals and tangents must be tuples of the same length")
    t_leaves = _flatten(tangents)[0]
    _check_like(op, "tangents (as the primals)", t_leaves, _flatten(primals)[0])
    from .creation import zeros_like
    with _ag.enable_grad():
        out, aux, out_leaves, rebuild_out, flat, rebuilds, nested = _call_prepared(
            op, func, primals, tuple(range(len(primals))), has_aux)
        every = [t for group in flat for t in group]
        us = [zeros_like(o.detach()).requires_grad_(True) for o in out_leaves]
        live = [k for k, o in enumerate(out_leaves) if o.requires_grad]
        if live:
            vj = _ag.grad([out_leaves[k] for k in live], every,
                          grad_outputs=[us[k] for k in live], create_graph=True,
                          allow_unused=True)
            pairs = [(v, t) for v, t in zip(vj, t_leaves) if v is not None and v.requires_grad]
        else:
            pairs = []
        if pairs:
            jt = _ag.grad([v for v, _ in pairs], us, grad_outputs=[t for _, t in pairs],
                          create_graph=nested, allow_unused=True)
        else:
            jt = [None] * len(us)
    jt = [zeros_like(o) if g is None else (g if nested else g.detach())
          for g, o in zip(jt, out_leaves)]
    value = out if nested else _detach_tree(out)
    res = (value, rebuild_out(jt))
    return res + (aux,) if has_aux else res


# ---- vmap ---------------------------------------------------------------------------------------
def _take(t, dim, i):
    index = [slice(None)] * t.ndim
    index[dim] = i
    return t[tuple(index)]


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """func mapped over dimension in_dims of its positional inputs (None: not mapped); the
    results are stacked along out_dims. See the module docstring."""
    op = "vmap"
    if randomness not in ("error", "different", "same"):
        raise ValueError(f"[{op}] randomness must be 'error', 'different' or 'same', got "
                         f"{randomness!r}")
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size < 1):
        raise ValueError(f"[{op}] chunk_size must be None or a positive int, got {chunk_size!r}")
    # chunk_size only bounds how many indices torch batches at once; pyengine's vmap computes
    # one index at a time, so every chunk_size gives the same (identical) results.

    def wrapper(*args, **kwargs):
        if not args:
            raise ValueError(f"[{op}] the function must be called with positional inputs to "
                             "map over")
        if isinstance(in_dims, (int, type(None))):
            specs = [in_dims] * len(args)
        elif isinstance(in_dims, tuple):
            if len(in_dims) != len(args):
                raise ValueError(f"[{op}] in_dims has {len(in_dims)} entries but the function "
                                 f"got {len(args)} positional inputs")
            specs = list(in_dims)
        else:
            raise ValueError(f"[{op}] in_dims must be an int, None or a tuple, got {in_dims!r}")
        flat = []  # (leaf, dim) over all args
        rebuilds = []
        for a, s in zip(args, specs):
            leaves, rebuild = _flatten(a)
            dims = _broadcast_spec(op, s, a, "in_dims")
            flat.append(list(zip(leaves, dims)))
            rebuilds.append(rebuild)
        size = None
        for group in flat:
            for k, (leaf, d) in enumerate(group):
                if d is None:
                    continue
                if not isinstance(leaf, Tensor):
                    raise ValueError(f"[{op}] in_dims={d} for a {type(leaf).__name__}: only "
                                     "Tensors can be mapped (use None for other inputs)")
                if not -leaf.ndim <= d < leaf.ndim:
                    raise ValueError(f"[{op}] in_dim {d} out of range for an input of shape "
                                     f"{tuple(leaf.shape)}")
                d = d % leaf.ndim
                group[k] = (leaf, d)
                if size is None:
                    size = leaf.shape[d]
                elif leaf.shape[d] != size:
                    raise ValueError(f"[{op}] expected all mapped inputs to have the same size "
                                     f"in the mapped dimension, got {size} and {leaf.shape[d]}")
        if size is None:
            raise ValueError(f"[{op}] at least one input must be mapped (in_dims are all None)")
        if size == 0:
            raise ValueError(f"[{op}] the mapped dimension has size 0")
        from . import random as _random
        start = _random.get_rng_state() if randomness == "same" else None
        results = []
        # the calls stand for torch's one batched call: a graph from outside that func's
        # backward frees stays whole for every index, and is freed at the end (held_frees)
        with _ag.held_frees() as frees:
            for i in range(size):
                if i:
                    frees.next_call()
                if start is not None:
                    _random.set_rng_state(start)
                call_args = [rebuild([_take(leaf, d, i) if d is not None else leaf
                                      for leaf, d in group])
                             for group, rebuild in zip(flat, rebuilds)]
                if randomness == "error":
                    _random._vmap_guard.error += 1
                try:
                    results.append(func(*call_args, **kwargs))
                finally:
                    if randomness == "error":
                        _random._vmap_guard.error -= 1
        return _stack_results(op, results, out_dims)
    return wrapper


def _stack_results(op, results, out_dims):
    from .nn.functional import stack
    flats = [_flatten(r) for r in results]
    leaves0, rebuild = flats[0]
    if any(len(f[0]) != len(leaves0) for f in flats):
        raise ValueError(f"[{op}] the function returned differently structured outputs for "
                         "different indices")
    dims = _broadcast_spec(op, out_dims, results[0], "out_dims")
    out = []
    for k, d in enumerate(dims):
        column = [f[0][k] for f in flats]
        if not all(isinstance(c, Tensor) for c in column):
            raise ValueError(f"[{op}] the function must return Tensors (or pytrees of them), "
                             f"got {type(column[0]).__name__}")
        if d is None:
            out.append(column[0])
            continue
        nd = column[0].ndim + 1
        if not -nd <= d < nd:
            raise ValueError(f"[{op}] out_dim {d} out of range for outputs of rank "
                             f"{column[0].ndim}")
        out.append(stack(column, dim=d % nd))
    return rebuild(out)


# ---- ensembles ----------------------------------------------------------------------------------
def stack_module_state(models):
    """({name: stacked parameter}, {name: stacked buffer}) of same-architecture models;
    stacked parameters are new leaves that require grad when the models' do."""
    from .nn.functional import stack
    models = list(models)
    if not models:
        raise RuntimeError("[stack_module_state] expected at least one model, got 0")
    if len({m.training for m in models}) != 1:
        raise RuntimeError("[stack_module_state] expected all models to have the same "
                           "training / eval mode")
    names = [list(dict(m.named_parameters())) for m in models]
    bnames = [list(dict(m.named_buffers())) for m in models]
    if any(n != names[0] for n in names) or any(b != bnames[0] for b in bnames):
        raise RuntimeError("[stack_module_state] the models do not have the same parameter / "
                           "buffer names (same architecture expected)")

    def leaf(tensors, name):
        req = {bool(t.requires_grad) for t in tensors}
        if len(req) != 1:
            raise RuntimeError(f"[stack_module_state] expected {name} of every model to have "
                               "the same requires_grad")
        shapes = {tuple(t.shape) for t in tensors}
        if len(shapes) != 1:
            raise RuntimeError(f"[stack_module_state] {name} has different shapes {sorted(shapes)}")
        out = stack([t.detach() for t in tensors])
        return out.requires_grad_(True) if req.pop() else out

    params = {n: leaf([dict(m.named_parameters())[n] for m in models], n) for n in names[0]}
    buffers = {n: leaf([dict(m.named_buffers())[n] for m in models], n) for n in bnames[0]}
    return params, buffers


# ---- functorch's older module API ------------------------------------------------------------
def make_functional_with_buffers(model, disable_autograd_tracking=False):
    """functorch.make_functional_with_buffers: (func, params, buffers) with
    func(params, buffers, *args) = model(*args) computed with those tensors (functional_call);
    params and buffers are tuples in named_parameters / named_buffers order."""
    from .nn.module import Module
    if not isinstance(model, Module):
        raise TypeError(f"[make_functional_with_buffers] expected a pe.nn.Module, got "
                        f"{type(model).__name__}")
    pnames = [n for n, _ in model.named_parameters()]
    bnames = [n for n, _ in model.named_buffers()]
    params = tuple(p.detach() if disable_autograd_tracking else p
                   for _, p in model.named_parameters())
    buffers = tuple(b for _, b in model.named_buffers())

    def func(params, buffers, *args, **kwargs):
        if len(params) != len(pnames) or len(buffers) != len(bnames):
            raise ValueError(f"[make_functional_with_buffers] expected {len(pnames)} params "
                             f"and {len(bnames)} buffers, got {len(params)} and {len(buffers)}")
        return functional_call(model, ({**dict(zip(pnames, params)), **dict(zip(bnames, buffers))}),
                               args, kwargs)
    return func, params, buffers


# ---- Jacobians ----------------------------------------------------------------------------------
def _one_hot(like, k):
    from .creation import zeros
    e = zeros(like.numel(), dtype=like.dtype)
    e[k] = 1.0
    return e.reshape(tuple(like.shape))


def _jacobian(op, func, argnums, has_aux, by_rows):
    def wrapper(*args, **kwargs):
        from .nn.functional import stack
        nums, single = _grad_inputs(op, args, argnums)
        with _ag.enable_grad():
            out, aux, out_leaves, rebuild_out, flat, rebuilds, nested = _call_prepared(
                op, func, args, nums, has_aux, kwargs)
            every = [t for group in flat for t in group]
            per_out = []
            for o in out_leaves:
                if by_rows:  # reverse mode: one vjp per output element
                    rows = [_grads([o], [_one_hot(o, k)], every, nested)
                            for k in range(o.numel())]
                    jac = [stack([r[i] for r in rows]).reshape(tuple(o.shape) + tuple(t.shape))
                           if rows else _empty_jac(o, t) for i, t in enumerate(every)]
                else:  # "forward" columns: one jvp per input element
                    jac = []
                    for t in every:
                        cols = [_jvp_column(o, every, t, k, nested) for k in range(t.numel())]
                        jac.append(stack(cols, dim=-1).reshape(tuple(o.shape) + tuple(t.shape))
                                   if cols else _empty_jac(o, t))
                per_out.append(_regroup(jac, flat, rebuilds, single))
        result = rebuild_out(per_out)
        return (result, aux) if has_aux else result
    return wrapper


def _empty_jac(o, t):
    from .creation import zeros
    return zeros(*(tuple(o.shape) + tuple(t.shape)), dtype=o.dtype)


def _jvp_column(o, inputs, t, k, nested):
    """d o / d t[k] as o's shape: the vjp u -> J^T u differentiated in u along e_k."""
    from .creation import zeros_like
    if not o.requires_grad:
        return zeros_like(o.detach())
    u = zeros_like(o.detach()).requires_grad_(True)
    (v,) = _ag.grad([o], [t], grad_outputs=[u], create_graph=True, allow_unused=True)
    if v is None or not v.requires_grad:
        return zeros_like(o.detach())
    (col,) = _ag.grad([v], [u], grad_outputs=[_one_hot(t, k)], create_graph=nested,
                      allow_unused=True)
    if col is None:
        return zeros_like(o.detach())
    return col if nested else col.detach()


def jacrev(func, argnums=0, has_aux=False, *, chunk_size=None):
    """The Jacobian of func w.r.t. argument(s) argnums by reverse mode, one vjp per output
    element: shape output.shape + input.shape (pytrees: per output leaf, per input leaf).
    Composable (jacrev(jacrev(f)), vmap(jacrev(f))). chunk_size (how many rows torch batches)
    does not change the result."""
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size < 1):
        raise ValueError(f"[jacrev] chunk_size must be None or a positive int, got {chunk_size!r}")
    return _jacobian("jacrev", func, argnums, has_aux, by_rows=True)


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """The Jacobian of func w.r.t. argument(s) argnums column by column, one Jacobian-vector
    product (see jvp: reverse mode twice, there is no forward-mode AD here) per input element:
    cheaper than jacrev when there are fewer inputs than outputs. Same result as jacrev."""
    if randomness not in ("error", "different", "same"):
        raise ValueError(f"[jacfwd] randomness must be 'error', 'different' or 'same', got "
                         f"{randomness!r}")
    if randomness != "error":
        raise NotImplementedError(f"[jacfwd] randomness={randomness!r}: only 'error' (no "
                                  "random ops inside) is supported")
    inner = _jacobian("jacfwd", func, argnums, has_aux, by_rows=False)

    def wrapper(*args, **kwargs):
        from . import random as _random
        _random._vmap_guard.error += 1
        try:
            return inner(*args, **kwargs)
        finally:
            _random._vmap_guard.error -= 1
    return wrapper


def hessian(func, argnums=0):
    """The Hessian of func w.r.t. argument(s) argnums: jacfwd(jacrev(func)), as torch; for a
    vector-valued func the shape is output.shape + input.shape + input.shape."""
    return jacfwd(jacrev(func, argnums), argnums)
