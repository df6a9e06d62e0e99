"""A layer's constructor arguments as its saved config holds them (Layer.get_config):
functions by reference and layers by their config, which code_layers.decode turns back into a
function and a new layer when the model is loaded."""
import types


def saved_argument(value, owner):
    """An argument in the form code_layers.decode turns back into it when the model is loaded:
    a function (`activation=custom_fn`, registered or module-level) as its reference, a layer
    (`nested_model=layer`, keras-io's MyDense) as its config, rebuilt as a new layer."""
    if isinstance(value, types.FunctionType):
        from .code_layers import function_ref
        try:
            return function_ref(value, owner)
        except TypeError:  # a lambda: kept as the object, as before (model.save reports it)
            return value
    from .base import Layer
    if isinstance(value, Layer):
        from ..saving import layer_config
        try:
            return {"__layer__": layer_config(value)}
        except (TypeError, ValueError, NotImplementedError):  # one that cannot be saved: the
            return value  # object stays (the in-memory config works, model.save reports it)
    return value
