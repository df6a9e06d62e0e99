"""The activation slot of the built-in layers (Dense, Conv*, RNN ...): a descriptor, so an
activation assigned after construction is resolved as the constructor's argument is."""
import inspect

from .. import activations as _act  # used at assignment time (activations may still be loading)


class ActivationSlot:
    """A layer's activation slot (`activation = ActivationSlot()` in the class body): whatever is
    assigned, at construction or later, goes through get(), so `layer.activation = None`
    after build means linear, as in Keras (keras-io grad_cam drops the classifier's softmax
    with `model.layers[-1].activation = None`)."""

    def __set_name__(self, owner, name):
        self.key = "_" + name + "_fn"

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        try:
            return obj.__dict__[self.key]
        except KeyError:
            raise AttributeError(f"[{type(obj).__name__}] no activation set yet") from None

    def __set__(self, obj, value):
        obj.__dict__[self.key] = _act.get(value)


def current_record(layer, args, kwargs):
    """The constructor record (args, kwargs) of `layer` with each activation slot replaced
    after construction set to the current activation, so get_config / model.save keep
    `layer.activation = None`. Positional arguments from the first replaced slot on become
    keywords."""
    cls = type(layer)
    changed = [n for n in ("activation", "recurrent_activation")
               if isinstance(getattr(cls, n, None), ActivationSlot)]
    if not changed:
        return args, kwargs
    try:
        sig = inspect.signature(cls.__init__)
        bound = sig.bind_partial(None, *args, **kwargs)
    except (TypeError, ValueError):
        return args, kwargs
    params = list(sig.parameters.values())[1:]
    names = [p.name for p in params]

    def given(n):
        p = sig.parameters[n]
        return bound.arguments.get(n, None if p.default is p.empty else p.default)

    changed = [n for n in changed if n in names
               and _act.get(given(n)) is not getattr(layer, n)]
    if not changed:
        return args, kwargs
    cut = min([names.index(n) for n in changed if names.index(n) < len(args)] + [len(args)])
    if any(p.kind is not p.POSITIONAL_OR_KEYWORD for p in params[cut:len(args)]):
        return args, kwargs  # *args in the signature: leave the record as given
    kwargs = dict(kwargs, **dict(zip(names[cut:], args[cut:])))
    kwargs.update({n: getattr(layer, n) for n in changed})
    return tuple(args[:cut]), kwargs
