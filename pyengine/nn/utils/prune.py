"""torch.nn.utils.prune: pruning a module's tensor by a mask, PyTorch's reparametrisation.

Pruning parameter `name` of a module moves it to `name + "_orig"` (still a Parameter, still
trained), adds the buffer `name + "_mask"` (0 where pruned), and stores `mask * orig` as the plain
attribute `name`, recomputed by a forward pre-hook (the pruning method itself) before every call.
Pruning the same tensor again wraps the methods in a PruningContainer, whose new method acts only
on the entries (unstructured) or channels (structured) still alive. `remove` makes it permanent.

    >>> lin = pe.nn.Linear(4, 3)
    >>> _ = l1_unstructured(lin, "weight", amount=0.5)
    >>> int((lin.weight == 0).sum())
    6
"""
import numbers
from abc import ABC, abstractmethod
from collections.abc import Iterable

from ...autograd import no_grad
from ...tensor import Tensor


class BasePruningMethod(ABC):
    """Base of the pruning methods: subclasses set PRUNING_TYPE ("unstructured", "structured"
    or "global") and define compute_mask(t, default_mask)."""
    _tensor_name = None

    def __call__(self, module, inputs):
        """The forward pre-hook: recompute the pruned tensor from `_orig` and `_mask`."""
        setattr(module, self._tensor_name, self.apply_mask(module))

    @abstractmethod
    def compute_mask(self, t, default_mask):
        """The mask (same shape as t) of the entries to keep, combined with default_mask."""

    def apply_mask(self, module):
        if self._tensor_name is None:
            raise ValueError(f"[prune] {type(self).__name__} has no tensor to prune yet (apply "
                             "it to a module first)")
        orig = getattr(module, self._tensor_name + "_orig")
        mask = getattr(module, self._tensor_name + "_mask")
        return mask.to(dtype=orig.dtype) * orig

    @classmethod
    def apply(cls, module, name, *args, importance_scores=None, **kwargs):
        """Prune `module.<name>` with cls(*args, **kwargs), reparametrising it on first use."""
        from ..module import Module, Parameter
        if not isinstance(module, Module):
            raise TypeError(f"[prune] expected a pe.nn.Module, got {type(module).__name__}")
        method = _composite_method(cls, module, name, args, kwargs)
        orig = getattr(module, name, None)
        if not isinstance(orig, Tensor):
            raise AttributeError(f"[prune] {type(module).__name__} has no tensor '{name}' to prune")
        if importance_scores is not None:
            if not isinstance(importance_scores, Tensor) or importance_scores.shape != orig.shape:
                raise ValueError(f"[prune] importance_scores must be a Tensor of the shape of "
                                 f"'{name}' {tuple(orig.shape)}, got "
                                 f"{tuple(getattr(importance_scores, 'shape', ()))}")
        scores = importance_scores if importance_scores is not None else orig
        first = not isinstance(method, PruningContainer)
        if first:
            if not isinstance(orig, Parameter):
                raise TypeError(f"[prune] '{name}' of {type(module).__name__} is not a Parameter")
            module.register_parameter(name + "_orig", orig)
            del module._parameters[name]
            default_mask = _ones_like(orig)
        else:
            default_mask = getattr(module, name + "_mask").detach().clone()
        try:
            with no_grad():
                mask = method.compute_mask(scores, default_mask=default_mask)
            if not isinstance(mask, Tensor) or mask.shape != orig.shape:
                raise ValueError(f"[prune] {type(method).__name__}.compute_mask returned "
                                 f"{type(mask).__name__} of shape "
                                 f"{tuple(getattr(mask, 'shape', ()))}, expected a Tensor of "
                                 f"shape {tuple(orig.shape)}")
            module.register_buffer(name + "_mask", mask.detach())
            setattr(module, name, method.apply_mask(module))
            module.register_forward_pre_hook(method)
        except Exception:
            if first:  # roll back: `name` is a plain parameter again
                module._buffers.pop(name + "_mask", None)
                module.__dict__.pop(name, None)
                orig = module._parameters.pop(name + "_orig")
                module.register_parameter(name, orig)
            raise
        return method

    def prune(self, t, default_mask=None, importance_scores=None):
        """The pruned version of tensor t (not attached to any module)."""
        if importance_scores is not None and importance_scores.shape != t.shape:
            raise ValueError("[prune] importance_scores must have the shape of t")
        scores = importance_scores if importance_scores is not None else t
        with no_grad():
            mask = self.compute_mask(scores, default_mask if default_mask is not None
                                     else _ones_like(t))
        return t * mask.to(dtype=t.dtype)

    def remove(self, module):
        """Make the pruning permanent: `name` becomes a Parameter holding mask * orig."""
        if self._tensor_name is None:
            raise ValueError(f"[prune] {type(self).__name__} was not applied to a module")
        name = self._tensor_name
        with no_grad():
            weight = self.apply_mask(module)
        module.__dict__.pop(name, None)
        orig = module._parameters[name + "_orig"]
        with no_grad():
            orig.copy_(weight)
        del module._parameters[name + "_orig"]
        del module._buffers[name + "_mask"]
        module._non_persistent_buffers.discard(name + "_mask")
        setattr(module, name, orig)


def _ones_like(t):
    from ... import ones
    return ones(*t.shape, dtype=t.dtype)


def _composite_method(cls, module, name, args, kwargs):
    """The method to hook: cls(*args) alone, or appended to the container of earlier prunings."""
    old = [(k, h) for k, h in module._forward_pre_hooks.items()
           if isinstance(h, BasePruningMethod) and h._tensor_name == name]
    if len(old) > 1:
        raise RuntimeError(f"[prune] '{name}' of {type(module).__name__} has {len(old)} pruning "
                           "hooks; expected at most one")
    method = cls(*args, **kwargs)
    method._tensor_name = name
    if old:
        k, old_method = old[0]
        del module._forward_pre_hooks[k]
        if isinstance(old_method, PruningContainer):
            old_method.add_pruning_method(method)
            method = old_method
        else:
            container = PruningContainer(old_method)
            container.add_pruning_method(method)
            method = container
    return method


class PruningContainer(BasePruningMethod):
    """The sequence of pruning methods applied to one tensor; a new method prunes only what the
    earlier masks kept."""

    def __init__(self, *args):
        self._pruning_methods = ()
        if len(args) == 1 and not isinstance(args[0], Iterable):
            self._tensor_name = args[0]._tensor_name
            self.add_pruning_method(args[0])
        else:
            methods = args[0] if len(args) == 1 else args
            for method in methods:
                self.add_pruning_method(method)

    def add_pruning_method(self, method):
        if not isinstance(method, BasePruningMethod):
            raise TypeError(f"[PruningContainer] {type(method).__name__} is not a "
                            "BasePruningMethod subclass")
        if self._tensor_name is None:
            self._tensor_name = method._tensor_name
        elif method._tensor_name != self._tensor_name:
            raise ValueError(f"[PruningContainer] can only add methods pruning "
                             f"'{self._tensor_name}', got one for '{method._tensor_name}'")
        self._pruning_methods += (method,)

    def __len__(self):
        return len(self._pruning_methods)

    def __iter__(self):
        return iter(self._pruning_methods)

    def __getitem__(self, idx):
        return self._pruning_methods[idx]

    def compute_mask(self, t, default_mask):
        """Apply the last method to the slice of t that default_mask keeps alive."""
        if not self._pruning_methods:
            raise ValueError("[PruningContainer] no pruning method to apply")
        method = self._pruning_methods[-1]
        new_mask = default_mask.to(dtype=t.dtype).clone()
        kind = getattr(method, "PRUNING_TYPE", None)
        if kind == "unstructured":
            slc = default_mask == 1
        elif kind == "structured":
            if not hasattr(method, "dim"):
                raise AttributeError("[PruningContainer] a structured pruning method must have "
                                     "the attribute `dim`")
            dim = method.dim + t.ndim if method.dim < 0 else method.dim
            if not 0 <= dim < t.ndim:
                raise IndexError(f"[PruningContainer] pruning dim {method.dim} out of range for "
                                 f"a {t.ndim}-D tensor")
            others = [d for d in range(t.ndim) if d != dim]
            keep = default_mask.sum(dim=others) != 0 if others else default_mask != 0
            slc = tuple(keep if d == dim else slice(None) for d in range(t.ndim))
        elif kind == "global":
            slc = tuple(slice(None) for _ in range(t.ndim))
        else:
            raise ValueError(f"[PruningContainer] unrecognised PRUNING_TYPE {kind!r} of "
                             f"{type(method).__name__} (unstructured, structured or global)")
        partial = method.compute_mask(t[slc], default_mask=default_mask[slc])
        new_mask[slc] = partial.to(dtype=new_mask.dtype)
        return new_mask


def _validate_amount_init(amount):
    if isinstance(amount, bool) or not isinstance(amount, numbers.Real):
        raise TypeError(f"[prune] invalid type for amount: {type(amount).__name__}; must be an "
                        "int (number of entries) or a float in [0, 1] (fraction)")
    if (isinstance(amount, numbers.Integral) and amount < 0) or \
            (not isinstance(amount, numbers.Integral) and not 0.0 <= float(amount) <= 1.0):
        raise ValueError(f"[prune] amount={amount} should be a float in [0, 1] or a "
                         "non-negative int")


def _nparams_toprune(amount, size):
    if isinstance(amount, numbers.Integral):
        if amount > size:
            raise ValueError(f"[prune] amount={amount} should be smaller than the number of "
                             f"parameters to prune={size}")
        return int(amount)
    return int(round(amount * size))


def _validate_structured(t, dim):
    if t.ndim <= 1:
        raise ValueError(f"[prune] structured pruning can only be applied to tensors of 2 or "
                         f"more dimensions; got a {t.ndim}-D tensor")
    if not -t.ndim <= dim < t.ndim:
        raise IndexError(f"[prune] invalid dim {dim} for a {t.ndim}-D tensor")
    return dim % t.ndim


class Identity(BasePruningMethod):
    """Prune nothing (a mask of ones): gives a tensor the pruning reparametrisation."""
    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        return default_mask

    @classmethod
    def apply(cls, module, name):
        return super().apply(module, name)


class _Unstructured(BasePruningMethod):
    """Prune `amount` entries (a count, or a fraction of the tensor) picked by _pick."""
    PRUNING_TYPE = "unstructured"

    def __init__(self, amount):
        _validate_amount_init(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        k = _nparams_toprune(self.amount, t.numel())
        mask = default_mask.clone()
        if k:
            mask.view(-1)[self._pick(t.detach().reshape(-1), k)] = 0
        return mask


class RandomUnstructured(_Unstructured):
    """Prune `amount` entries chosen at random."""

    def _pick(self, flat, k):
        from ... import rand_like
        return rand_like(flat.float()).topk(k).indices

    @classmethod
    def apply(cls, module, name, amount):
        return super().apply(module, name, amount=amount)


class L1Unstructured(_Unstructured):
    """Prune the `amount` entries of smallest absolute value."""

    def _pick(self, flat, k):
        return flat.abs().topk(k, largest=False).indices

    @classmethod
    def apply(cls, module, name, amount, importance_scores=None):
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


class _Structured(BasePruningMethod):
    """Prune `amount` whole channels along `dim`; _keep picks the channels that stay."""
    PRUNING_TYPE = "structured"

    def compute_mask(self, t, default_mask):
        from ... import zeros_like
        dim = _validate_structured(t, self.dim)
        size = t.shape[dim]
        k = _nparams_toprune(self.amount, size)
        if k == 0:
            return default_mask
        keep = self._keep(t.detach(), dim, size - k)
        mask = zeros_like(default_mask)
        mask[tuple(keep if d == dim else slice(None) for d in range(t.ndim))] = 1
        return mask * default_mask.to(dtype=mask.dtype)


class RandomStructured(_Structured):
    """Prune `amount` channels along `dim`, chosen at random."""

    def __init__(self, amount, dim=-1):
        _validate_amount_init(amount)
        self.amount, self.dim = amount, dim

    def _keep(self, t, dim, n_keep):
        from ... import rand
        return rand(t.shape[dim]).topk(n_keep).indices

    @classmethod
    def apply(cls, module, name, amount, dim=-1):
        return super().apply(module, name, amount=amount, dim=dim)


def _channel_norm(t, n, dim):
    """The n-norm of each slice of t along dim (over every other axis)."""
    from ... import norm
    others = [d for d in range(t.ndim) if d != dim]
    if n == "nuc":
        raise NotImplementedError("[prune.ln_structured] n='nuc' is not supported; use a "
                                  "number, inf or 'fro'")
    return norm(t, p=2 if n == "fro" else n, dim=others)


class LnStructured(_Structured):
    """Prune the `amount` channels along `dim` of smallest L`n` norm."""

    def __init__(self, amount, n, dim=-1):
        _validate_amount_init(amount)
        self.amount, self.n, self.dim = amount, n, dim

    def _keep(self, t, dim, n_keep):
        return _channel_norm(t, self.n, dim).topk(n_keep, largest=True).indices

    @classmethod
    def apply(cls, module, name, amount, n, dim, importance_scores=None):
        return super().apply(module, name, amount=amount, n=n, dim=dim,
                             importance_scores=importance_scores)


class CustomFromMask(BasePruningMethod):
    """Prune where a given mask is 0."""
    PRUNING_TYPE = "global"

    def __init__(self, mask):
        if not isinstance(mask, Tensor):
            raise TypeError(f"[prune.custom_from_mask] mask must be a Tensor, got "
                            f"{type(mask).__name__}")
        self.mask = mask

    def compute_mask(self, t, default_mask):
        if default_mask.shape != self.mask.shape:
            raise ValueError(f"[prune.custom_from_mask] mask shape {tuple(self.mask.shape)} "
                             f"differs from the tensor's {tuple(default_mask.shape)}")
        return default_mask * self.mask.to(dtype=default_mask.dtype)

    @classmethod
    def apply(cls, module, name, mask):
        return super().apply(module, name, mask=mask)


def identity(module, name):
    Identity.apply(module, name)
    return module


def random_unstructured(module, name, amount):
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module, name, amount, importance_scores=None):
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module, name, amount, dim):
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module, name, amount, n, dim, importance_scores=None):
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def custom_from_mask(module, name, mask):
    CustomFromMask.apply(module, name, mask)
    return module


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs):
    """Prune the (module, name) pairs together, as one flattened tensor: e.g. the 20% smallest
    weights of the whole model, whatever layer they sit in."""
    from ... import cat
    if not isinstance(parameters, Iterable):
        raise TypeError("[prune.global_unstructured] parameters must be an iterable of "
                        "(module, name) pairs")
    parameters = list(parameters)
    if not parameters:
        raise ValueError("[prune.global_unstructured] no parameters given")
    importance_scores = {} if importance_scores is None else importance_scores
    if not isinstance(importance_scores, dict):
        raise TypeError("[prune.global_unstructured] importance_scores must be a dict "
                        "{(module, name): Tensor}")
    with no_grad():
        scores = cat([importance_scores.get((m, n), getattr(m, n)).detach().reshape(-1)
                      for m, n in parameters])
        default_mask = cat([getattr(m, n + "_mask", None).reshape(-1)
                            if getattr(m, n + "_mask", None) is not None
                            else _ones_like(getattr(m, n)).reshape(-1) for m, n in parameters])
    method = pruning_method(**kwargs)
    if getattr(method, "PRUNING_TYPE", None) != "unstructured":
        raise TypeError(f"[prune.global_unstructured] only unstructured methods apply "
                        f"globally; {pruning_method.__name__} is "
                        f"{getattr(method, 'PRUNING_TYPE', None)!r}")
    method._tensor_name = "temp"
    container = PruningContainer(method)
    with no_grad():
        final = container.compute_mask(scores, default_mask.to(dtype=scores.dtype))
    pointer = 0
    for m, n in parameters:
        p = getattr(m, n)
        custom_from_mask(m, n, mask=final[pointer:pointer + p.numel()].reshape(p.shape))
        pointer += p.numel()


def remove(module, name):
    """Make the pruning of `module.<name>` permanent (name becomes a Parameter again)."""
    for k, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"[prune.remove] parameter '{name}' of module {type(module).__name__} has "
                     "to be pruned before pruning can be removed")


def is_pruned(module):
    """True when the module or one of its descendants carries a pruning hook."""
    return any(isinstance(h, BasePruningMethod) for _, m in module.named_modules()
               for h in m._forward_pre_hooks.values())
