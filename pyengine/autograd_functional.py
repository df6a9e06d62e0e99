"""torch.autograd.functional: jacobian, vjp and jvp over pyengine's reverse-mode autograd (the
"Fundamentals of autograd" tutorial calls jacobian(exp_adder, inputs) and vjp). The inputs are
detached copies that require grad; the Jacobian is built one output element at a time with
pe.autograd.grad, so it fits small problems, which is what these functions are used for.

hessian, hvp and vhp take the first derivatives with create_graph=True and differentiate them
again (autograd_higher.py: the ops it lists). create_graph=True for these functions' own results
and strategy='forward-mode' raise NotImplementedError. vectorize only chooses how torch batches the
same computation: both values give the same result here."""
import numpy as np

from . import autograd as _ag

__all__ = ["jacobian", "vjp", "jvp", "hessian", "hvp", "vhp"]


def _check(op, create_graph, strategy="reverse-mode"):
    if create_graph:
        raise NotImplementedError(f"[autograd.functional.{op}] create_graph=True (a result "
                                  "that can itself be differentiated) is not supported; take "
                                  "pe.autograd.grad(..., create_graph=True) directly")
    if strategy != "reverse-mode":
        raise NotImplementedError(f"[autograd.functional.{op}] strategy={strategy!r}: only "
                                  "'reverse-mode' is available")


def _leaves(inputs, op):
    Tensor = _ag.Tensor
    is_tuple = isinstance(inputs, (tuple, list))
    items = tuple(inputs) if is_tuple else (inputs,)
    for x in items:
        if not isinstance(x, Tensor):
            raise TypeError(f"[autograd.functional.{op}] inputs must be Tensors, got "
                            f"{type(x).__name__}")
        if x._data.dtype.kind != "f":
            raise TypeError(f"[autograd.functional.{op}] inputs must be floating point, got "
                            f"{x.dtype}")
    return is_tuple, tuple(x.detach().clone().requires_grad_(True) for x in items)


def _grads(output, xs, seed, strict, op):
    """d(sum(output * seed)) / d(each x) as arrays (seed None: a one-element output), zeros (or
    an error under strict) where unreached."""
    Tensor = _ag.Tensor
    if output is not None and output.requires_grad:
        gs = _ag.grad(output, xs, grad_outputs=None if seed is None else Tensor._wrap(seed),
                      retain_graph=True, allow_unused=True)
    else:
        gs = (None,) * len(xs)
    out = []
    for x, g in zip(xs, gs):
        if g is None:
            if strict:
                raise RuntimeError(f"[autograd.functional.{op}] the output does not depend on "
                                   "an input (strict=True)")
            g = Tensor._wrap(np.zeros(x.shape, x._data.dtype))
        out.append(g._data)
    return out


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """d func(inputs) / d inputs: for each output, shape output.shape + input.shape (a tuple over
    inputs when inputs is a tuple; a tuple over outputs when func returns one)."""
    _check("jacobian", create_graph, strategy)
    if vectorize not in (True, False):
        raise TypeError(f"[autograd.functional.jacobian] vectorize must be a bool, got "
                        f"{vectorize!r}")
    Tensor = _ag.Tensor
    is_tuple, xs = _leaves(inputs, "jacobian")
    out = func(*xs)
    outs_tuple = isinstance(out, (tuple, list))
    results = []
    for o in (tuple(out) if outs_tuple else (out,)):
        rows = [[] for _ in xs]
        for i in range(o._data.size):
            seed = np.zeros(o.shape, o._data.dtype)
            seed.flat[i] = 1
            for r, g in zip(rows, _grads(o, xs, seed, strict, "jacobian")):
                r.append(g)
        per_input = tuple(
            Tensor._wrap(np.stack(r).reshape(tuple(o.shape) + tuple(x.shape))
                         if r else np.zeros(tuple(o.shape) + tuple(x.shape), x._data.dtype))
            for r, x in zip(rows, xs))
        results.append(per_input if is_tuple else per_input[0])
    return tuple(results) if outs_tuple else results[0]


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T J): v may be omitted for a one-element output."""
    _check("vjp", create_graph)
    Tensor = _ag.Tensor
    is_tuple, xs = _leaves(inputs, "vjp")
    out = func(*xs)
    outs = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    vs = tuple(v) if isinstance(v, (tuple, list)) else (v,)
    if len(vs) != len(outs):
        raise ValueError(f"[autograd.functional.vjp] {len(outs)} outputs but {len(vs)} v's")
    total = [np.zeros(x.shape, x._data.dtype) for x in xs]
    for o, vi in zip(outs, vs):
        if vi is None:
            if o._data.size != 1:
                raise RuntimeError("[autograd.functional.vjp] v can be omitted only for an "
                                   f"output with one element, got shape {tuple(o.shape)}")
            seed = np.ones(o.shape, o._data.dtype)
        else:
            seed = np.asarray(vi._data if isinstance(vi, Tensor) else vi, o._data.dtype)
            if seed.shape != tuple(o.shape):
                raise RuntimeError(f"[autograd.functional.vjp] v has shape {seed.shape}, the "
                                   f"output {tuple(o.shape)}")
        for acc, g in zip(total, _grads(o, xs, seed, strict, "vjp")):
            acc += g
    detached = tuple(o.detach() for o in outs)
    grads = tuple(Tensor._wrap(g) for g in total)
    return (detached if isinstance(out, (tuple, list)) else detached[0],
            grads if is_tuple else grads[0])


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J v), from the reverse-mode Jacobian; v may be omitted for one-element
    inputs."""
    _check("jvp", create_graph)
    Tensor = _ag.Tensor
    is_tuple = isinstance(inputs, (tuple, list))
    ins = tuple(inputs) if is_tuple else (inputs,)
    vs = tuple(v) if isinstance(v, (tuple, list)) else (v,)
    if len(vs) != len(ins):
        raise ValueError(f"[autograd.functional.jvp] {len(ins)} inputs but {len(vs)} v's")
    jac = jacobian(func, tuple(ins), strict=strict)
    out = func(*[x.detach() for x in ins])
    outs = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    jacs = jac if isinstance(out, (tuple, list)) else (jac,)
    res = []
    for o, per_input in zip(outs, jacs):
        acc = np.zeros(o.shape, o._data.dtype)
        for x, vi, jx in zip(ins, vs, per_input):
            if vi is None:
                if x._data.size != 1:
                    raise RuntimeError("[autograd.functional.jvp] v can be omitted only for "
                                       "inputs with one element")
                vv = np.ones(x.shape, x._data.dtype)
            else:
                vv = np.asarray(vi._data if isinstance(vi, Tensor) else vi, x._data.dtype)
            acc += jx._data.reshape(o._data.size, -1) @ vv.reshape(-1) if o._data.size else 0
        res.append(Tensor._wrap(acc.reshape(o.shape)))
    detached = tuple(o.detach() for o in outs)
    if isinstance(out, (tuple, list)):
        return detached, tuple(res)
    return detached[0], res[0]


def _scalar_function_grads(func, xs, op):
    """(func(*xs) detached, its first derivatives w.r.t. xs carrying a graph)."""
    Tensor = _ag.Tensor
    out = func(*xs)
    if not isinstance(out, Tensor) or out._data.size != 1:
        raise RuntimeError(f"[autograd.functional.{op}] func must return a single-element "
                           f"Tensor")
    if not out.requires_grad:
        return out.detach(), [None] * len(xs)
    gs = _ag.grad(out, xs, create_graph=True, allow_unused=True)
    return out.detach(), list(gs)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar func: input.shape + input.shape (for a tuple of inputs, a tuple
    of tuples H[i][j] of shape inputs[i].shape + inputs[j].shape), one row per element of the
    first derivatives, each taken through their graph (autograd_higher.py)."""
    _check("hessian", create_graph, outer_jacobian_strategy)
    if vectorize not in (True, False):
        raise TypeError(f"[autograd.functional.hessian] vectorize must be a bool, got "
                        f"{vectorize!r}")
    Tensor = _ag.Tensor
    is_tuple, xs = _leaves(inputs, "hessian")
    _, gs = _scalar_function_grads(func, xs, "hessian")
    blocks = []
    for xi, gi in zip(xs, gs):
        rows = [[] for _ in xs]
        for k in range(xi._data.size):
            elem = None if gi is None else gi.reshape(-1)[k]
            for r, h in zip(rows, _grads(elem, xs, None, strict, "hessian")):
                r.append(h)
        blocks.append(tuple(Tensor._wrap(np.stack(r).reshape(tuple(xi.shape) + tuple(xj.shape))
                                         if r else np.zeros(tuple(xi.shape) + tuple(xj.shape),
                                                            xi._data.dtype))
                            for r, xj in zip(rows, xs)))
    return tuple(blocks) if is_tuple else blocks[0][0]


def _hessian_vector(func, inputs, v, strict, op):
    Tensor = _ag.Tensor
    is_tuple, xs = _leaves(inputs, op)
    vs = tuple(v) if isinstance(v, (tuple, list)) else (v,)
    if len(vs) != len(xs):
        raise ValueError(f"[autograd.functional.{op}] {len(xs)} inputs but {len(vs)} v's")
    vts = []
    for x, vi in zip(xs, vs):
        if vi is None:
            if x._data.size != 1:
                raise RuntimeError(f"[autograd.functional.{op}] v can be omitted only for "
                                   "inputs with one element")
            vi = np.ones(x.shape, x._data.dtype)
        a = np.asarray(vi._data if isinstance(vi, Tensor) else vi, x._data.dtype)
        if a.shape != tuple(x.shape):
            raise RuntimeError(f"[autograd.functional.{op}] v has shape {a.shape}, the input "
                               f"{tuple(x.shape)}")
        vts.append(Tensor._wrap(a))
    out, gs = _scalar_function_grads(func, xs, op)
    dot = None
    for g, vt in zip(gs, vts):
        if g is not None:
            term = (g * vt).sum()
            dot = term if dot is None else dot + term
    res = tuple(Tensor._wrap(h) for h in _grads(dot, xs, None, strict, op))
    return out, (res if is_tuple else res[0])


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H v) for a scalar func: the derivative of (grad func) . v."""
    _check("hvp", create_graph)
    return _hessian_vector(func, inputs, v, strict, "hvp")


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T H): equal to H v, the Hessian of a twice-differentiable function
    being symmetric."""
    _check("vhp", create_graph)
    return _hessian_vector(func, inputs, v, strict, "vhp")
