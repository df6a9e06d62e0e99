"""torch.library's Python custom operators: `custom_op` wraps a Python function (NumPy, SciPy,
PIL ...) as an operator, `register_autograd` gives it a backward, `register_fake` its shape
function, and `opcheck` tests the registration.

pyengine runs eagerly, so a custom op is its function called with torch's checks around it:
- arguments named in `mutates_args` may be written (their versions are bumped, so a recorded op
  that read them raises at backward, as torch); writing any other tensor argument is an error
  that opcheck reports;
- with `register_autograd(backward, setup_context=)`, a call whose tensor inputs require grad
  records one graph node: `setup_context(ctx, inputs, output)` runs after the function and
  `backward(ctx, *grads)` returns one gradient (or None) per input;
- without it, a backward through the op raises, as torch (and opcheck reports the missing
  registration);
- the fake (meta) function is not needed to run; opcheck compares its shapes, dtypes and
  strides with the real outputs;
- tags=Tag.inplace / Tag.out (PyTorch 2.13's tagged in-place and out= ops): the signature and
  mutates_args are checked when the op is defined, and the returned tensors on every call.

>>> @pe.library.custom_op("mylib::twice", mutates_args=())
... def twice(x: pe.Tensor) -> pe.Tensor:
...     return pe.from_numpy(x.numpy() * 2)
"""
import enum
import inspect

import numpy as np

__all__ = ["custom_op", "CustomOpDef", "opcheck", "register_fake", "register_autograd", "Tag"]


class Tag(enum.Enum):
    """torch.Tag's operator tags that custom_op takes (PyTorch 2.13): `inplace` (the op writes
    its first positional Tensor, names it in mutates_args and returns it) and `out` (the op
    writes keyword-only Tensor arguments, all in mutates_args, and returns them in declaration
    order)."""
    inplace = "inplace"
    out = "out"

    def __repr__(self):
        return f"Tag.{self.name}"

_OPS = {}  # "namespace::name" -> CustomOpDef


class CustomOpDef:
    """A custom operator: call it like its function."""

    def __init__(self, qualname, fn, mutates_args, device_types):
        self._qualname, self._fn = qualname, fn
        self._mutates = mutates_args
        self._device_types = device_types
        self._fake = None
        self._tags = frozenset()
        self._backward = self._setup_context = None
        self._signature = inspect.signature(fn)
        self.__name__ = fn.__name__
        self.__doc__ = fn.__doc__

    def __repr__(self):
        return f"<CustomOpDef({self._qualname})>"

    # ---- registration -------------------------------------------------------------------
    def register_fake(self, fn):
        self._fake = fn
        return fn

    def register_kernel(self, device_types, fn=None):
        def register(f):
            types = (device_types,) if isinstance(device_types, str) else tuple(device_types)
            if any(t != "cpu" for t in types):
                raise NotImplementedError(f"[{self._qualname}] kernels for {types}: pyengine "
                                          "runs on the CPU only")
            self._fn = f
            return f
        return register if fn is None else register(fn)

    def register_autograd(self, backward, /, *, setup_context=None):
        if not callable(backward) or (setup_context is not None and not callable(setup_context)):
            raise TypeError(f"[{self._qualname}] register_autograd needs callables")
        if self._mutates:
            raise RuntimeError(f"[{self._qualname}] register_autograd is not supported for "
                               "operators that mutate their inputs (as in torch)")
        self._backward, self._setup_context = backward, setup_context

    # ---- calling --------------------------------------------------------------------------
    def _bound(self, args, kwargs):
        bound = self._signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return bound

    def _run(self, args, kwargs):
        from .autograd import no_grad
        with no_grad():
            return self._fn(*args, **kwargs)

    def __call__(self, *args, **kwargs):
        from .tensor import Tensor
        from . import autograd as _ag
        bound = self._bound(args, kwargs)
        tensors = [(n, v) for n, v in bound.arguments.items() if isinstance(v, Tensor)]
        grads_wanted = _ag.is_grad_enabled() and any(v.requires_grad for _, v in tensors)
        if grads_wanted and not self._mutates:
            return _apply_with_autograd(self, args, kwargs)
        out = self._run(args, kwargs)
        for name, v in tensors:
            if name in self._mutates:
                v._mark_written()
        if self._tags:
            _check_tagged_result(self, bound, out)
        return out


def _apply_with_autograd(op, args, kwargs):
    """One graph node for the call: forward = the function, backward = the registered one."""
    from .autograd_function import Function
    from .tensor import Tensor

    bound = op._bound(args, kwargs)
    names = list(bound.arguments)
    values = [bound.arguments[n] for n in names]

    def forward(ctx, *vals):
        out = op._run(vals, {})
        if op._setup_context is not None:
            op._setup_context(ctx, tuple(vals), out)
        return out

    def backward(ctx, *grads):
        if op._backward is None:
            raise RuntimeError(f"Autograd has not been implemented for operator "
                               f"{op._qualname}: give it a backward with register_autograd")
        got = op._backward(ctx, *grads)
        got = got if isinstance(got, tuple) else (got,)
        if len(got) != len(values):
            raise RuntimeError(f"[{op._qualname}] backward returned {len(got)} gradients for "
                               f"{len(values)} inputs")
        return tuple(g if isinstance(values[i], Tensor) else None for i, g in enumerate(got))

    # made in the op function's module, so autograd treats it as a user's Function (Tensors in
    # forward and backward, one graph node named after the op)
    _Op = type(op._qualname.split("::")[-1], (Function,),
               {"forward": staticmethod(forward), "backward": staticmethod(backward),
                "__module__": op._fn.__module__})
    return _Op.apply(*values)


def custom_op(name, fn=None, /, *, mutates_args, device_types=None, schema=None, tags=None):
    """torch.library.custom_op(name, mutates_args=..., device_types=None, tags=None): a
    decorator (or a call with fn) turning a Python function into a CustomOpDef. mutates_args:
    the names of the arguments the function writes ("unknown" is refused: pyengine must know
    them). tags: Tag.inplace / Tag.out (or a sequence of them), whose contracts are checked
    when the op is defined and on every call (see Tag)."""
    if not isinstance(name, str) or "::" not in name:
        raise ValueError(f"[custom_op] name must be 'namespace::op_name', got {name!r}")
    if schema is not None:
        raise NotImplementedError("[custom_op] schema= strings are not parsed; the function's "
                                  "signature is the schema")
    if mutates_args == "unknown":
        raise NotImplementedError("[custom_op] mutates_args='unknown' is not supported; name "
                                  "the mutated arguments")
    if isinstance(mutates_args, str):
        mutates_args = (mutates_args,)
    mutates = frozenset(mutates_args)
    if device_types is not None:
        types = (device_types,) if isinstance(device_types, str) else tuple(device_types)
        if any(t != "cpu" for t in types):
            raise NotImplementedError(f"[custom_op] device_types={types}: pyengine runs on the "
                                      "CPU only")

    tag_set = _tags(tags, name)

    def wrap(f):
        params = inspect.signature(f).parameters
        unknown = [m for m in mutates if m not in params]
        if unknown:
            raise ValueError(f"[custom_op] mutates_args names {unknown}, which {f.__name__} "
                             "has no parameter for")
        _check_tag_contract(name, tag_set, params, mutates)
        op = CustomOpDef(name, f, mutates, device_types)
        op._tags = tag_set
        _OPS[name] = op
        return op
    return wrap if fn is None else wrap(fn)


def _tags(tags, name):
    if tags is None:
        return frozenset()
    seq = (tags,) if isinstance(tags, Tag) else tuple(tags) if isinstance(tags, (list, tuple)) \
        else None
    if seq is None or not all(isinstance(t, Tag) for t in seq):
        raise TypeError(f"[custom_op] {name}: tags must be Tag members (Tag.inplace, Tag.out) or "
                        f"a sequence of them, got {tags!r}")
    if Tag.inplace in seq and Tag.out in seq:
        raise ValueError(f"[custom_op] {name}: an op cannot be both Tag.inplace and Tag.out")
    return frozenset(seq)


def _check_tag_contract(name, tags, params, mutates):
    kinds = list(params.values())
    if Tag.inplace in tags:
        first = kinds[0] if kinds else None
        positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        if first is None or first.kind not in positional or set(mutates) != {first.name}:
            raise ValueError(f"[custom_op] {name}: a Tag.inplace op mutates exactly its first "
                             f"positional argument, got mutates_args={sorted(mutates)}")
    if Tag.out in tags:
        outs = [p.name for p in kinds if p.kind is p.KEYWORD_ONLY and p.name in mutates]
        if not outs or set(outs) != set(mutates):
            raise ValueError(f"[custom_op] {name}: a Tag.out op mutates only keyword-only "
                             f"arguments, got mutates_args={sorted(mutates)}")


def _check_tagged_result(op, bound, out):
    """The value a tagged op returned is the tensor(s) its contract names (the same objects)."""
    if Tag.inplace in op._tags:
        first = next(iter(bound.arguments.values()))
        if out is not first:
            raise RuntimeError(f"[{op._qualname}] a Tag.inplace op must return its mutated "
                               "first argument itself")
    elif Tag.out in op._tags:
        names = [n for n, p in op._signature.parameters.items()
                 if p.kind is p.KEYWORD_ONLY and n in op._mutates]
        want = [bound.arguments[n] for n in names]
        got = list(out) if isinstance(out, (tuple, list)) else [out]
        if len(got) != len(want) or any(g is not w for g, w in zip(got, want)):
            raise RuntimeError(f"[{op._qualname}] a Tag.out op must return its out= arguments "
                               f"{names} themselves, in declaration order")


def register_fake(op, fn=None):
    op = _OPS[op] if isinstance(op, str) else op
    return op.register_fake if fn is None else op.register_fake(fn)


def register_autograd(op, backward, /, *, setup_context=None):
    op = _OPS[op] if isinstance(op, str) else op
    op.register_autograd(backward, setup_context=setup_context)


def _flat_tensors(out):
    from .tensor import Tensor
    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat_tensors(o)]
    return []


def opcheck(op, args, kwargs=None, *, test_utils=None, raise_exception=True, atol=None,
            rtol=None):
    """torch.library.opcheck: run `op` on copies of the example inputs and check that it only
    writes the arguments it declares, that a fake function (if registered) gives the real
    outputs' shapes, dtypes and strides, and that inputs requiring grad meet a registered autograd
    formula whose gradients have the inputs' shapes. Returns {test name: "SUCCESS" or the
    error}; raises the first failure when raise_exception."""
    from .tensor import Tensor
    if not isinstance(op, CustomOpDef):
        raise TypeError(f"[opcheck] expected a custom op, got {type(op).__name__}")
    kwargs = dict(kwargs or {})
    results = {}

    def copy(v):
        if isinstance(v, Tensor):
            c = Tensor._wrap(v._data.copy())
            if v.requires_grad:
                c.requires_grad_(True)
            return c
        if isinstance(v, (list, tuple)):
            return type(v)(copy(x) for x in v)
        return v

    def check(name, fn):
        try:
            fn()
            results[name] = "SUCCESS"
        except Exception as e:  # noqa: BLE001 (reported by name, as torch's opcheck does)
            results[name] = e
            if raise_exception:
                raise

    def schema():
        a = [copy(v) for v in args]
        before = op._bound(a, kwargs).arguments
        snapshot = {n: v._data.copy() for n, v in before.items() if isinstance(v, Tensor)}
        from .autograd import no_grad
        with no_grad():
            op(*a, **kwargs)
        for n, old in snapshot.items():
            if n not in op._mutates and not np.array_equal(before[n]._data, old, equal_nan=True):
                raise RuntimeError(f"[opcheck] {op._qualname} wrote its argument '{n}', which "
                                   "is not in mutates_args")

    def fake():
        if op._fake is None:
            return
        real = _flat_tensors(op._run([copy(v) for v in args], kwargs))
        faked = _flat_tensors(op._fake(*[copy(v) for v in args], **kwargs))
        if len(real) != len(faked):
            raise RuntimeError(f"[opcheck] {op._qualname}: the fake function returns "
                               f"{len(faked)} tensors, the op {len(real)}")
        for r, f in zip(real, faked):
            if tuple(r.shape) != tuple(f.shape) or r.dtype != f.dtype:
                raise RuntimeError(f"[opcheck] {op._qualname}: the fake function gives "
                                   f"{tuple(f.shape)} {f.dtype}, the op {tuple(r.shape)} "
                                   f"{r.dtype}")
            # strides too, where they matter (dims of size > 1), as torch's metadata check
            rs, fs = [[st for n, st in zip(t.shape, t.stride()) if n > 1] for t in (r, f)]
            if r.numel() and rs != fs:
                raise RuntimeError(f"[opcheck] {op._qualname}: the fake function's output has "
                                   f"strides {tuple(f.stride())}, the op's {tuple(r.stride())} "
                                   f"(shape {tuple(r.shape)})")

    def autograd_registration():
        a = [copy(v) for v in args]
        needs = [v for v in a if isinstance(v, Tensor) and v.requires_grad]
        if not needs:
            return
        if op._backward is None:
            raise RuntimeError(f"[opcheck] {op._qualname} takes inputs that require grad but "
                               "has no register_autograd formula")
        outs = [o for o in _flat_tensors(op(*a, **kwargs)) if o.requires_grad]
        if outs:
            from .autograd import backward as _backward
            total = sum((o.sum() for o in outs[1:]), outs[0].sum())
            _backward(total)
            for v in needs:
                if v.grad is not None and tuple(v.grad.shape) != tuple(v.shape):
                    raise RuntimeError(f"[opcheck] {op._qualname}: a gradient of shape "
                                       f"{tuple(v.grad.shape)} for an input of shape "
                                       f"{tuple(v.shape)}")

    check("test_schema", schema)
    check("test_autograd_registration", autograd_registration)
    check("test_faketensor", fake)
    return results
