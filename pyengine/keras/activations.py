"""Activations by Keras name: strings or callables on Tensors."""
from ..nn import functional as F
from .utils import resolve


# Keras' activations ARE pe.nn.functional's (same names, x first, softmax's axis= accepted);
# only these two differ from them: the identity, and leaky_relu's Keras default slope 0.2.
relu, sigmoid, tanh, elu, gelu, softplus = F.relu, F.sigmoid, F.tanh, F.elu, F.gelu, F.softplus
softmax, log_softmax = F.softmax, F.log_softmax
# x * sigmoid(x): Keras 3's silu, also reachable as 'swish' (EfficientNet's activation); the
# table lists silu first so a saved config names it 'silu', as Keras 3 serialises both
silu = swish = F.silu


def _tensor(x):
    from ..creation import tensor
    from ..tensor import Tensor
    return x if isinstance(x, Tensor) else tensor(x)


# Keras 3's selu (scale 1.0507..., alpha 1.6733..., as F.selu), relu6, softsign, mish, exponential
def selu(x):
    return F.selu(_tensor(x))


def relu6(x):
    return F.relu6(_tensor(x))


def softsign(x):
    return F.softsign(_tensor(x))


def mish(x):
    return F.mish(_tensor(x))


def exponential(x):
    return F.exp(_tensor(x))


def hard_sigmoid(x):
    """Keras 3's hard_sigmoid: relu6(x + 3) / 6 (0 below -3, 1 above 3)."""
    return F.hardsigmoid(_tensor(x))


def hard_silu(x):
    """Keras 3's hard_silu, also 'hard_swish' (MobileNetV3's activation): x * hard_sigmoid(x)."""
    return F.hardswish(_tensor(x))


def linear(x):
    return x


def leaky_relu(x, negative_slope=0.2):
    return F.leaky_relu(x, negative_slope)


_TABLE = {f.__name__: f for f in (linear, relu, sigmoid, tanh, softmax, elu, gelu, softplus,
                                  leaky_relu, log_softmax, silu, selu, relu6, softsign, mish,
                                  exponential, hard_sigmoid, hard_silu)}
_TABLE["swish"] = silu
_TABLE["hard_swish"] = hard_silu  # after hard_silu: a saved config names it 'hard_silu', as Keras


def get(identifier):
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        resolve("activation", identifier, {k: (lambda: None) for k in _TABLE})  # checks the name
        return _TABLE[identifier.lower()]
    fn = resolve("activation", identifier, {})
    inner = getattr(fn, "__wrapped__", None)  # keras.activations.relu: the table's F.relu
    if any(inner is v for v in _TABLE.values()):
        return inner
    # tf.nn.relu / gelu / swish ... (`activation=tf.nn.swish`, keras-io MobileViT): the same
    # functions as Keras' at their defaults, so the layer keeps a name and can be saved, as
    # TF-Keras serialises them by name
    return _tf_nn_table().get(fn, fn)


def _tf_nn_table():
    from .. import tf_names as t
    pairs = {t.nn_relu: "relu", t.nn_sigmoid: "sigmoid", t.nn_tanh: "tanh", t.nn_elu: "elu",
             t.nn_gelu: "gelu", t.nn_softplus: "softplus", t.nn_silu: "silu",
             t.nn_log_softmax: "log_softmax", t.nn_leaky_relu: "leaky_relu",
             t.nn_softmax: "softmax"}
    return {f: _TABLE[name] for f, name in pairs.items()}  # the table's (unwrapped) functions


def name_of(fn):
    """The Keras name of a built-in activation, or None for user callables."""
    return next((k for k, v in _TABLE.items() if v is fn), None)


def serialize(activation):
    """Keras' serialize: the name of a built-in activation (a function, its name, or a
    tf.nn alias), what a custom layer's get_config stores and `get` reads back.

    >>> serialize(keras.activations.relu)
    'relu'
    """
    name = name_of(get(activation)) if activation is None or callable(activation) or \
        isinstance(activation, str) else None
    if name is None:
        raise ValueError(f"[activations.serialize] {activation!r} is not a built-in activation; "
                         f"store a name ('relu', 'softmax' ...) or save your function's own "
                         f"config. Built-in names: {', '.join(sorted(_TABLE))}")
    return name


def deserialize(name, custom_objects=None):
    """The activation `name` stands for: one of custom_objects, else a built-in name."""
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    return get(name)


# the public names also record a graph node on symbolic tensors (keras.activations.sigmoid(kt))
from ..tf_names import symbolic_aware as _symbolic_aware  # noqa: E402

(relu, sigmoid, tanh, softmax, elu, gelu, softplus, leaky_relu, log_softmax,  # noqa: E305
 silu, selu, relu6, softsign, mish, exponential, hard_sigmoid, hard_silu) = map(
    _symbolic_aware, (relu, sigmoid, tanh, softmax, elu, gelu, softplus, leaky_relu,
                      log_softmax, silu, selu, relu6, softsign, mish, exponential,
                      hard_sigmoid, hard_silu))
swish = silu
hard_swish = hard_silu
