"""TensorFlow's control flow and Python-call ops for `import pyengine as tf`, with TensorFlow 2's
eager semantics (pyengine always runs eagerly): tf.cond calls one branch, tf.while_loop loops
in Python, tf.map_fn applies fn to each slice and stacks, tf.print prints at once,
tf.py_function / tf.numpy_function call the Python function now. Tensor ops inside the
functions record the graph as usual, so gradients flow through cond, while_loop, map_fn and
py_function (numpy_function sees NumPy arrays and has no gradient, as TensorFlow's)."""
import sys

import numpy as np

from . import dtypes as _dt
from .data.structure import TensorSpec
from .nn import functional as F
from .tensor import Tensor
from .tf_names import _t, cast


def _map_structure(fn, s):
    if isinstance(s, dict):
        return type(s)((k, _map_structure(fn, v)) for k, v in s.items())
    if isinstance(s, tuple) and hasattr(s, "_fields"):  # namedtuple
        return type(s)(*(_map_structure(fn, v) for v in s))
    if isinstance(s, (list, tuple)):
        return type(s)(_map_structure(fn, v) for v in s)
    return fn(s)


def _flatten(s):
    if isinstance(s, dict):
        return [x for k in s for x in _flatten(s[k])]
    if isinstance(s, (list, tuple)):
        return [x for v in s for x in _flatten(v)]
    return [s]


def _same_structure(a, b):
    if isinstance(a, dict) or isinstance(b, dict):
        return isinstance(a, dict) and isinstance(b, dict) and list(a) == list(b) and all(
            _same_structure(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and \
            len(a) == len(b) and all(_same_structure(x, y) for x, y in zip(a, b))
    return True


def _tensor(v):
    return v if isinstance(v, Tensor) else _t(v)


def cond(pred, true_fn=None, false_fn=None, name=None, operands=None):
    """tf.cond: true_fn() if pred else false_fn() (pred a scalar bool); only the chosen branch
    runs. PyTorch's torch.cond(pred, true_fn, false_fn, operands) is served too: a tuple or
    list in the fourth place (or operands=) is passed to the branch as its arguments."""
    if isinstance(name, (tuple, list)):
        name, operands = None, name
    if not callable(true_fn) or not callable(false_fn):
        raise TypeError("[tf.cond] true_fn and false_fn must be callables")
    p = np.asarray(getattr(pred, "_data", pred))
    if p.size != 1:
        raise ValueError(f"[tf.cond] pred must be a scalar, got shape {p.shape}")
    args = () if operands is None else tuple(operands)
    return true_fn(*args) if bool(p.reshape(())) else false_fn(*args)


def while_loop(cond, body, loop_vars, shape_invariants=None, parallel_iterations=10,
               back_prop=True, swap_memory=False, maximum_iterations=None, name=None):
    """tf.while_loop: while cond(*loop_vars): loop_vars = body(*loop_vars), at most
    maximum_iterations times; body returns the structure of loop_vars (a one-element loop_vars
    may come back bare) and the result has it. shape_invariants are checked after every step
    (None dimensions free); back_prop=False stops the gradient. parallel_iterations and
    swap_memory only schedule TensorFlow's graph loop (eager TensorFlow does not use them
    either)."""
    if not callable(cond) or not callable(body):
        raise TypeError("[tf.while_loop] cond and body must be callables")
    single = not isinstance(loop_vars, (list, tuple))
    vars_ = (loop_vars,) if single else loop_vars
    if not len(vars_):
        raise ValueError("[tf.while_loop] loop_vars must be provided")
    limit = None if maximum_iterations is None else int(np.asarray(
        getattr(maximum_iterations, "_data", maximum_iterations)))
    i = 0
    while (limit is None or i < limit) and bool(np.asarray(getattr(
            c := cond(*vars_), "_data", c)).reshape(())):
        out = body(*vars_)
        if len(vars_) == 1 and not isinstance(out, (list, tuple)):
            out = type(vars_)([out]) if isinstance(vars_, list) else (out,)
        if not _same_structure(list(vars_), list(out)):
            raise ValueError(f"[tf.while_loop] body returned a structure different from "
                             f"loop_vars: {vars_!r} vs {out!r}")
        vars_ = out
        if shape_invariants is not None:
            _check_invariants(vars_, shape_invariants if not single else (shape_invariants,))
        i += 1
    vars_ = _map_structure(_tensor, vars_)
    if not back_prop:
        vars_ = _map_structure(lambda v: v.detach(), vars_)
    if single:
        return vars_[0]
    # loop_vars' own list / tuple / namedtuple, as TensorFlow's graph loop packs its outputs
    return type(loop_vars)(*vars_) if hasattr(loop_vars, "_fields") else type(loop_vars)(vars_)


def _check_invariants(vars_, invariants):
    for v, inv in zip(_flatten(list(vars_)), _flatten(list(invariants))):
        want = tuple(getattr(inv, "shape", inv) or ())
        have = tuple(np.shape(getattr(v, "_data", v)))
        if len(want) != len(have) or any(w is not None and w != h for w, h in zip(want, have)):
            raise ValueError(f"[tf.while_loop] a loop variable has shape {have}, not its "
                             f"shape invariant {want}")


def _signature_dtype(sig):
    if isinstance(sig, TensorSpec):
        return sig.dtype
    if sig is None or isinstance(sig, (str, _dt.DType)) or hasattr(sig, "np") or \
            isinstance(sig, type):
        return sig
    raise TypeError(f"[tf.map_fn] fn_output_signature must be a dtype, a tf.TensorSpec or a "
                    f"structure of them, got {sig!r}")


def _sliced_together(op, elems):
    """(elems' tensors, flattened; their common first dimension): map_fn and scan slice them
    together along it."""
    flat = [_t(e) for e in _flatten(elems)]
    if not flat or any(e.ndim == 0 for e in flat):
        raise ValueError(f"[{op}] elems must be tensors of at least one dimension")
    n = flat[0].shape[0]
    if any(e.shape[0] != n for e in flat):
        raise ValueError(f"[{op}] all elems must have the same first dimension, got "
                         f"{[e.shape[0] for e in flat]}")
    return flat, n


def map_fn(fn, elems, dtype=None, parallel_iterations=None, back_prop=True, swap_memory=False,
           infer_shape=True, name=None, fn_output_signature=None):
    """tf.map_fn: fn applied to each slice elems[i] along the first dimension (elems may be a
    structure of tensors, sliced together), the results stacked; fn_output_signature (or the
    deprecated dtype) gives the outputs' dtypes (a structure when fn returns one) and is
    required to map zero elements. back_prop=False stops the gradient. parallel_iterations
    and swap_memory only schedule TensorFlow's graph (eager TensorFlow runs one at a time);
    infer_shape=False would let TensorFlow's graph hold results of differing shapes, which
    stacking refuses here as in eager TensorFlow."""
    if not callable(fn):
        raise TypeError("[tf.map_fn] fn must be callable")
    if dtype is not None and fn_output_signature is not None:
        raise ValueError("[tf.map_fn] give dtype or fn_output_signature, not both")
    sig = fn_output_signature if fn_output_signature is not None else dtype
    flat, n = _sliced_together("tf.map_fn", elems)
    if n == 0:
        return _empty_map(sig)
    results = []
    for i in range(n):
        it = iter(flat)
        results.append(fn(_map_structure(lambda _: next(it)[i], elems)))
    first = results[0]
    stacked = [F.stack([_t(_flatten(r)[j]) for r in results], 0)
               for j in range(len(_flatten(first)))]
    if sig is not None:
        nested = isinstance(sig, (list, tuple, dict)) and _same_structure(sig, first)
        sigs = _flatten(sig) if nested else [sig] * len(stacked)
        stacked = [s if _signature_dtype(d) is None else cast(s, _signature_dtype(d))
                   for s, d in zip(stacked, sigs)]
    if not back_prop:
        stacked = [s.detach() for s in stacked]
    it = iter(stacked)
    return _map_structure(lambda _: next(it), first)


def scan(fn, elems, initializer=None, parallel_iterations=10, back_prop=True, swap_memory=False,
         infer_shape=True, reverse=False, name=None):
    """tf.scan: acc = fn(acc, elems[i]) over the first dimension of elems (a structure of
    tensors sliced together), every acc stacked: output[i] is the accumulator after elems[i],
    in elems' order also when reverse=True runs last to first. Without an initializer the first
    slice is the first accumulator (and output); with one, fn's results must have the
    initializer's structure. back_prop=False stops the gradient; parallel_iterations and
    swap_memory only schedule TensorFlow's graph."""
    if not callable(fn):
        raise TypeError("[tf.scan] fn must be callable")
    flat, n = _sliced_together("tf.scan", elems)

    def slice_at(i):
        it = iter(flat)
        return _map_structure(lambda _: next(it)[i], elems)
    order = list(range(n))[::-1] if reverse else list(range(n))
    if initializer is None:
        if n == 0:
            raise ValueError("[tf.scan] elems must not be empty when no initializer is given")
        acc, outs, order = slice_at(order[0]), {order[0]: slice_at(order[0])}, order[1:]
    else:
        acc, outs = _map_structure(_tensor, initializer), {}
    for i in order:
        acc = fn(acc, slice_at(i))
        if initializer is not None and not _same_structure(acc, initializer):
            raise ValueError("[tf.scan] fn must return the structure of the initializer")
        outs[i] = acc
    if not outs:
        raise ValueError("[tf.scan] scanning zero elements is not supported")
    results = [outs[i] for i in range(n)]
    stacked = [F.stack([_tensor(_flatten(r)[j]) for r in results], 0)
               for j in range(len(_flatten(results[0])))]
    if not back_prop:
        stacked = [t.detach() for t in stacked]
    it = iter(stacked)
    return _map_structure(lambda _: next(it), results[0])


def _empty_map(sig):
    specs = _flatten(sig)
    if sig is None or not all(isinstance(s, TensorSpec) and s.shape is not None and
                              None not in tuple(s.shape) for s in specs):
        raise ValueError("[tf.map_fn] mapping zero elements needs fn_output_signature "
                         "tf.TensorSpec(s) of fully known shape")
    from .creation import zeros
    return _map_structure(lambda s: zeros((0,) + tuple(s.shape), dtype=s.dtype), sig)


def _format_float(v):
    v = float(v)
    if not np.isfinite(v):
        return "nan" if np.isnan(v) else ("inf" if v > 0 else "-inf")
    if v != 0 and not 1e-4 <= abs(v) < 1e16:
        return np.format_float_scientific(v, trim="-", exp_digits=2)
    return np.format_float_positional(v, trim="-")


def _format_value(v, summarize):
    if isinstance(v, Tensor) or isinstance(v, np.ndarray):
        a = np.asarray(getattr(v, "_data", v))
        edge = 3 if summarize is None else int(summarize)
        big = edge >= 0 and any(s > 2 * edge for s in a.shape)
        fmt = {"float_kind": _format_float, "int_kind": str, "bool": lambda b: "1" if b else "0"}
        if a.dtype.kind in "SU":
            fmt = {"all": lambda s: f'"{s}"'}
        if a.ndim == 0:
            return (fmt.get("float_kind") if a.dtype.kind == "f" else str)(a[()]) \
                if a.dtype.kind != "b" else fmt["bool"](a[()])
        return np.array2string(a, separator=" ", formatter=fmt, threshold=0 if big else
                               sys.maxsize, edgeitems=max(edge, 1), max_line_width=sys.maxsize)
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k!r}: {_format_value(x, summarize)}" for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        inner = ", ".join(_format_value(x, summarize) for x in v)
        return f"[{inner}]" if isinstance(v, list) else f"({inner})"
    return str(v)


def tf_print(*inputs, output_stream=None, summarize=3, sep=" ", end="\n", name=None):
    """tf.print: prints the inputs now, tensors as TensorFlow formats them ([1 2 ... 9 10]:
    the first and last `summarize` entries of each dimension, -1 or a large value for all);
    output_stream sys.stderr (default) / sys.stdout / a file object, or 'file://path' to
    append to a file. Returns None."""
    stream = sys.stderr if output_stream is None else output_stream
    text = sep.join(_format_value(v, summarize) for v in inputs) + end
    if isinstance(stream, str):
        if not stream.startswith("file://"):
            raise ValueError(f"[tf.print] output_stream must be a stream or 'file://path', got "
                             f"{stream!r}")
        with open(stream[len("file://"):], "a") as f:
            f.write(text)
        return None
    if not hasattr(stream, "write"):
        raise ValueError(f"[tf.print] output_stream must have a write method, got {stream!r}")
    stream.write(text)
    return None


def _apply_tout(op, out, Tout, convert):
    if Tout is None or (isinstance(Tout, (list, tuple)) and not Tout):
        return None
    if isinstance(Tout, (list, tuple)):
        vals = list(out) if isinstance(out, (list, tuple)) else [out]
        if len(vals) != len(Tout):
            raise ValueError(f"[{op}] the function returned {len(vals)} values, Tout has "
                             f"{len(Tout)}")
        return [cast(convert(v), _signature_dtype(t)) for v, t in zip(vals, Tout)]
    return cast(convert(out), _signature_dtype(Tout))


def py_function(func, inp, Tout, name=None):
    """tf.py_function: func(*inp) called now on tensors; its results become tensors of the
    Tout dtype(s) (a list of dtypes gives a list, one dtype one tensor, None / [] None). Tensor
    ops inside func are recorded, so the gradient flows, as in TensorFlow."""
    args = inp if isinstance(inp, (list, tuple)) else [inp]
    out = func(*[_t(a) if not isinstance(a, Tensor) and a is not None else a for a in args])
    return _apply_tout("tf.py_function", out, Tout, _tensor)


def numpy_function(func, inp, Tout, stateful=True, name=None):
    """tf.numpy_function: func(*inp) called now on NumPy arrays; its results become tensors of
    the Tout dtype(s), without a gradient. `stateful` only tells TensorFlow's graph optimizer
    whether the call may be pruned; eager calls always run."""
    args = inp if isinstance(inp, (list, tuple)) else [inp]
    out = func(*[a.numpy() if isinstance(a, Tensor) else np.asarray(a) for a in args])
    return _apply_tout("tf.numpy_function", out, Tout, lambda v: Tensor._wrap(np.asarray(v)))
