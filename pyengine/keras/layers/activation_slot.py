"""The activation slot of the built-in layers (Dense, Conv*, RNN ...): a descriptor, so an
activation assigned after construction is resolved as the constructor's argument is."""
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
