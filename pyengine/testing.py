"""Gradient checking by central finite differences in float64."""
import numpy as np

from .tensor import Tensor


class GradcheckError(AssertionError):
    pass


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, seed=0):
    """Compare autograd gradients of ``fn(*inputs)`` with finite differences.

    `inputs` are Tensors (float64 recommended; those with requires_grad=True are checked) or other
    values passed through. A random projection ``sum(fn(*inputs) * v)`` makes any output shape a
    scalar. Returns True, or raises GradcheckError naming the input and the worst element.

    >>> x = pe.tensor([1.0, 2.0], dtype=pe.float64, requires_grad=True)
    >>> pe.testing.gradcheck(lambda t: (t * t).sum(), [x])
    True
    """
    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("[gradcheck] no input has requires_grad=True")
    for i in checked:
        if inputs[i]._data.dtype != np.float64:
            raise TypeError(f"[gradcheck] input {i} is {inputs[i].dtype}; use float64 for "
                            "finite differences")
    out = fn(*inputs)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    rng = np.random.default_rng(seed)
    vs = [rng.standard_normal(o.shape) for o in outs]

    def scalar(values):
        values = values if isinstance(values, (tuple, list)) else (values,)
        return sum(float(np.sum(o._data * v)) for o, v in zip(values, vs))

    total = None
    for o, v in zip(outs, vs):
        term = (o * Tensor._wrap(v)).sum()
        total = term if total is None else total + term
    from . import autograd as _autograd
    # autograd.grad, not .grad: an input may be a non-leaf (x.clone(), as torch's examples)
    got = _autograd.grad(total, [inputs[i] for i in checked], allow_unused=True) \
        if total.requires_grad else [None] * len(checked)
    for i, g in zip(checked, got):
        t = inputs[i]
        analytic = np.zeros(t.shape) if g is None else g._data
        numeric = np.zeros(t.shape)
        # Perturb through the input's own array (index by position, not a flattened view: that
        # would be a copy for non-contiguous inputs and leave the input unchanged).
        for k in np.ndindex(*t.shape):
            # Reduce each output at once: it may be a view of the input (slicing, reshape).
            orig = t._data[k]
            t._data[k] = orig + eps
            fp = scalar(fn(*inputs))
            t._data[k] = orig - eps
            fm = scalar(fn(*inputs))
            t._data[k] = orig
            numeric[k] = (fp - fm) / (2 * eps)
        err = np.abs(analytic - numeric)
        bad = err > atol + rtol * np.abs(numeric)
        if bad.any():
            k = np.unravel_index(np.argmax(err - rtol * np.abs(numeric)), t.shape)
            msg = (f"[gradcheck] gradient of input {i} (shape {t.shape}) differs at {k}: "
                   f"analytic {analytic[k]:.8g}, numeric {numeric[k]:.8g}")
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True


def gradgradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, seed=0,
                  grad_outputs=None):
    """Second derivatives of ``fn(*inputs)`` against finite differences of its first ones
    (PyTorch's gradgradcheck): the gradient of ``sum(fn(*inputs) * v)`` w.r.t. the inputs that
    require grad, taken with create_graph=True, is itself checked with `gradcheck`.

    >>> x = pe.tensor([1.0, 2.0], dtype=pe.float64, requires_grad=True)
    >>> pe.testing.gradgradcheck(lambda t: (t * t * t).sum(), [x])
    True
    """
    from . import autograd as _autograd
    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    checked = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    first = fn(*inputs)
    outs = first if isinstance(first, (tuple, list)) else (first,)
    rng = np.random.default_rng(seed + 1)
    if grad_outputs is None:
        vs = [Tensor._wrap(rng.standard_normal(o.shape)) for o in outs]
    else:
        vs = list(grad_outputs) if isinstance(grad_outputs, (list, tuple)) else [grad_outputs]
        if len(vs) != len(outs) or any(tuple(v.shape) != tuple(o.shape)
                                       for v, o in zip(vs, outs)):
            raise ValueError("[gradgradcheck] grad_outputs must match the outputs' shapes")

    def grads(*xs):
        out = fn(*xs)
        outs_ = out if isinstance(out, (tuple, list)) else (out,)
        total = None
        for o, v in zip(outs_, vs):
            term = (o * v).sum()
            total = term if total is None else total + term
        wanted = [t for t in xs if isinstance(t, Tensor) and t.requires_grad]
        got = _autograd.grad(total, wanted, create_graph=True, allow_unused=True)
        return tuple(g if g is not None else Tensor._wrap(np.zeros(t.shape))
                     for g, t in zip(got, wanted))
    if not checked:
        raise ValueError("[gradgradcheck] no input has requires_grad=True")
    return gradcheck(grads, inputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, seed=seed)


def _refuse(op, **flags):
    for name, (value, default) in flags.items():
        if value != default:
            raise NotImplementedError(f"[autograd.{op}] {name}={value!r} is not supported "
                                      f"(only {default!r})")


def autograd_gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
                       nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
                       check_batched_grad=False, check_batched_forward_grad=False,
                       check_forward_ad=False, check_backward_ad=True, fast_mode=False,
                       masked=None):
    """torch.autograd.gradcheck: `gradcheck` above with torch's signature; check_forward_ad
    compares the Jacobian's columns from pe.autograd.forward_ad (one unit tangent per input
    element) with finite differences. The checks always run in full (fast_mode only makes
    torch check less); nondet_tol is moot, pyengine's backward being deterministic;
    check_undefined_grad is moot, pyengine's backward never receives undefined (None) output
    gradients. The checks pyengine cannot make raise."""
    _refuse("gradcheck", check_grad_dtypes=(check_grad_dtypes, False),
            check_batched_grad=(check_batched_grad, False),
            check_batched_forward_grad=(check_batched_forward_grad, False), masked=(masked, None))
    if not (check_forward_ad or check_backward_ad):
        raise ValueError("[autograd.gradcheck] expected at least one of check_forward_ad or "
                         "check_backward_ad to be True")
    atol = max(atol, nondet_tol)
    ok = True
    if check_forward_ad:
        ok = _forward_ad_check(func, inputs, eps, atol, rtol, raise_exception)
    if ok and check_backward_ad:
        ok = gradcheck(func, inputs, eps=eps, atol=atol, rtol=rtol,
                       raise_exception=raise_exception)
    return ok


def _forward_ad_check(fn, inputs, eps, atol, rtol, raise_exception):
    from . import autograd_forward_ad as fwAD
    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("[gradcheck] no input has requires_grad=True")

    def outputs(args):
        out = fn(*args)
        return out if isinstance(out, (tuple, list)) else (out,)

    for i in checked:
        t = inputs[i]
        if t._data.dtype != np.float64:
            raise TypeError(f"[gradcheck] input {i} is {t.dtype}; use float64 for finite "
                            "differences")
        for k in np.ndindex(*t.shape):
            e = np.zeros(t.shape)
            e[k] = 1.0
            with fwAD.dual_level():
                args = list(inputs)
                args[i] = fwAD.make_dual(t, Tensor._wrap(e))
                tans = [fwAD.unpack_dual(o).tangent for o in outputs(args)]
            orig = t._data[k]
            t._data[k] = orig + eps
            fp = [o.detach()._data.copy() for o in outputs(inputs)]
            t._data[k] = orig - eps
            fm = [o.detach()._data.copy() for o in outputs(inputs)]
            t._data[k] = orig
            for j, (tan, a, b) in enumerate(zip(tans, fp, fm)):
                numeric = (a - b) / (2 * eps)
                analytic = np.zeros(numeric.shape) if tan is None else tan._data
                err = np.abs(analytic - numeric)
                if (err > atol + rtol * np.abs(numeric)).any():
                    msg = (f"[gradcheck] forward AD: d output {j} / d input {i}{list(k)} "
                           f"differs: max |analytic - numeric| = {err.max():.3g}")
                    if raise_exception:
                        raise GradcheckError(msg)
                    return False
    return True


def autograd_gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                           gen_non_contig_grad_outputs=False, raise_exception=True,
                           nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
                           check_batched_grad=False, check_fwd_over_rev=False,
                           check_rev_over_rev=True, fast_mode=False, masked=False):
    """torch.autograd.gradgradcheck with torch's signature (see autograd_gradcheck)."""
    _refuse("gradgradcheck", check_grad_dtypes=(check_grad_dtypes, False),
            check_batched_grad=(check_batched_grad, False),
            check_fwd_over_rev=(check_fwd_over_rev, False),
            check_rev_over_rev=(check_rev_over_rev, True), masked=(masked, False))
    return gradgradcheck(func, inputs, eps=eps, atol=max(atol, nondet_tol), rtol=rtol,
                         raise_exception=raise_exception, grad_outputs=grad_outputs)


# torch.testing.assert_close's default tolerances by dtype (rtol, atol)
_CLOSE_TOL = {"float16": (1e-3, 1e-5), "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7)}


def assert_close(actual, expected, *, rtol=None, atol=None, equal_nan=False, check_dtype=True,
                 check_device=True, msg=None, **kwargs):
    """torch.testing.assert_close: tensors (or numbers / sequences of them) equal in shape,
    dtype (check_dtype) and values within atol + rtol * |expected| (defaults by dtype, as torch:
    float32 1.3e-6 / 1e-5, float64 1e-7 / 1e-7, exact for integers). AssertionError names the
    mismatch."""
    if kwargs:
        raise TypeError(f"[assert_close] unsupported arguments {sorted(kwargs)}")
    if (rtol is None) != (atol is None):
        raise ValueError("[assert_close] give both rtol and atol, or neither")
    from .tensor import Tensor
    if isinstance(actual, (list, tuple)) and isinstance(expected, (list, tuple)):
        if len(actual) != len(expected):
            raise AssertionError(f"The length of the sequences mismatch: {len(actual)} != "
                                 f"{len(expected)}")
        for a, e in zip(actual, expected):
            assert_close(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan,
                         check_dtype=check_dtype, msg=msg)
        return
    a = actual._data if isinstance(actual, Tensor) else np.asarray(actual)
    e = expected._data if isinstance(expected, Tensor) else np.asarray(expected)
    if a.shape != e.shape:
        raise AssertionError(msg or f"The values for attribute 'shape' do not match: "
                             f"{a.shape} != {e.shape}.")
    if check_dtype and isinstance(actual, Tensor) and isinstance(expected, Tensor) \
            and a.dtype != e.dtype:
        raise AssertionError(msg or f"The values for attribute 'dtype' do not match: "
                             f"{actual.dtype} != {expected.dtype}.")
    if rtol is None:
        rtol, atol = _CLOSE_TOL.get(np.result_type(a, e).name, (0.0, 0.0))
    ok = np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan)
    if not ok.all():
        bad = int((~ok).sum())
        diff = np.abs(a.astype(np.float64) - e.astype(np.float64))
        raise AssertionError(msg or f"Tensor-likes are not close!\n\nMismatched elements: {bad} / "
                             f"{ok.size} ({100 * bad / max(ok.size, 1):.1f}%)\nGreatest absolute "
                             f"difference: {np.nanmax(diff)} (up to {atol} allowed)")
