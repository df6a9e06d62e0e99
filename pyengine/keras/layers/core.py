"""Core layers: Dense, Activation, Softmax, ReLU, Dropout, Flatten, Reshape, Lambda (Keras names
and arguments), each a thin adapter over pe.nn.functional."""
import numpy as np

from ...nn import functional as F
from ...ops.dropout import dropout as _dropout
from .. import activations as _act
from .activation_slot import ActivationSlot
from .. import constraints as _con
from .. import initializers as _init
from .. import regularizers as _reg
from .augmentation import BaseRandomLayer
from . import data_format as _df
from .base import Layer, size_arg

_FUSED = ("relu", "sigmoid", "tanh")  # activations F.linear applies in its GEMM epilogue


class Dense(Layer):
    """y = activation(x @ kernel + bias), kernel (in, units) in Keras layout."""
    supports_masking = True  # as Keras 3: the input's mask passes through
    _fused_for, _fused = None, None  # the activation last seen by call, and its fused name
    activation = ActivationSlot()  # `layer.activation = None` after build: linear

    def __init__(self, units=None, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        # Keras 1 spellings, still common in tutorials: output_dim=..., init=...
        units = kwargs.pop("output_dim", units)
        kernel_initializer = kwargs.pop("init", kernel_initializer)
        super().__init__(**kwargs)
        units = size_arg(units)  # TF 2 Keras takes int(units): Dense(tf.math.reduce_prod(shape))
        if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"[Dense] units must be a positive integer. Received: units={units}")
        self.units = int(units)
        self.activation = _act.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = _init.get(kernel_initializer)
        self.bias_initializer = _init.get(bias_initializer)
        self.kernel_regularizer = _reg.get(kernel_regularizer)
        self.bias_regularizer = _reg.get(bias_regularizer)
        self.kernel_constraint = _con.get(kernel_constraint)
        self.bias_constraint = _con.get(bias_constraint)

    def build(self, input_shape):
        if input_shape[-1] is None:
            raise ValueError(f"[{self.name}] the last dimension of the input must be known. "
                             f"Received: input_shape={input_shape}")
        self.input_dim = int(input_shape[-1])
        self.kernel = self.add_weight((self.input_dim, self.units), self.kernel_initializer,
                                      name="kernel", regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = (self.add_weight((self.units,), self.bias_initializer, name="bias",
                                     regularizer=self.bias_regularizer,
                                     constraint=self.bias_constraint) if self.use_bias else None)

    def call(self, x):
        if x.shape[-1] != self.input_dim:
            raise ValueError(f"[{self.name}] expected input with last dimension {self.input_dim}, "
                             f"received input of shape {tuple(x.shape)}")
        # nn.Linear's op; kernel.T is a view of Keras' (in, units) kernel, no copy (and the
        # kernel's gradient comes back in the kernel's own layout). relu, sigmoid and tanh run
        # in the GEMM's epilogue, as nn.Linear's (same bits as applying them after).
        act = self.activation
        if act is not self._fused_for:  # looked up again if the activation was replaced
            name = _act.name_of(act)
            self._fused_for, self._fused = act, name if name in _FUSED else None
        if self._fused:
            return F.linear(x, self.kernel.T, self.bias, activation=self._fused)
        return act(F.linear(x, self.kernel.T, self.bias))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)


class Activation(Layer):
    supports_masking = True  # as Keras 3: the input's mask passes through
    activation = ActivationSlot()  # `layer.activation = None` after build: linear
    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = _act.get(activation)

    def call(self, x):
        return self.activation(x)


class Softmax(Layer):
    supports_masking = True  # as Keras 3: the input's mask passes through
    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, x):
        return F.softmax(x, axis=self.axis)


class ReLU(Layer):
    """Keras' ReLU: max_value where x >= max_value, x where threshold <= x < max_value,
    negative_slope * (x - threshold) below the threshold (ReLU(6.) is MobileNet's ReLU6)."""
    supports_masking = True  # as Keras 3: the input's mask passes through

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        for name, v in (("max_value", max_value), ("negative_slope", negative_slope),
                        ("threshold", threshold)):
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))
                                  or v < 0):
                raise ValueError(f"[ReLU] {name} cannot be a negative value. Received: "
                                 f"{name}={v!r}")
        self.max_value = None if max_value is None else float(max_value)
        self.negative_slope, self.threshold = float(negative_slope), float(threshold)

    def call(self, x):
        if self.threshold:
            y = F.where(x >= self.threshold, x, (x - self.threshold) * self.negative_slope)
        elif self.negative_slope:
            y = F.leaky_relu(x, self.negative_slope)
        elif self.max_value is not None:
            return x.clamp(0.0, self.max_value)  # ReLU6: one op
        else:
            return F.relu(x)
        return y if self.max_value is None else y.clamp(None, self.max_value)


class LeakyReLU(Layer):
    """x if x > 0 else negative_slope * x (F.leaky_relu); Keras 2's `alpha` accepted."""
    supports_masking = True  # as Keras 3: the input's mask passes through

    def __init__(self, negative_slope=0.3, **kwargs):
        negative_slope = kwargs.pop("alpha", negative_slope)
        super().__init__(**kwargs)
        self.negative_slope = float(negative_slope)

    def call(self, x):
        return F.leaky_relu(x, self.negative_slope)


class Dropout(BaseRandomLayer):
    """Zeroes inputs with probability `rate` while training, scaling the rest by 1 / (1 - rate).
    noise_shape: the mask's shape, broadcast over the input (None entries take the input's
    size; e.g. (None, 1, features) drops the same features at every step). seed: the layer's
    own generator (the same masks from run to run whatever else draws numbers), otherwise
    pyengine's (pe.manual_seed)."""
    supports_masking = True  # as Keras 3: the input's mask passes through

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float, np.integer, np.floating)) \
                or not 0 <= rate <= 1:
            raise ValueError(f"[Dropout] rate must be a float in [0, 1]. Received: rate={rate}")
        if noise_shape is not None:
            if not isinstance(noise_shape, (list, tuple)) or not all(
                    d is None or (isinstance(d, (int, np.integer)) and not isinstance(d, bool)
                                  and d >= 1) for d in noise_shape):
                raise ValueError(f"[Dropout] noise_shape must be a tuple of positive ints or "
                                 f"None. Received: noise_shape={noise_shape!r}")
            noise_shape = tuple(None if d is None else int(d) for d in noise_shape)
        self.rate, self.noise_shape = float(rate), noise_shape

    def _mask_shape(self, shape):
        if self.noise_shape is None:
            return None
        if len(self.noise_shape) != len(shape):
            raise ValueError(f"[{self.name}] noise_shape {self.noise_shape} must have the "
                             f"input's rank; input shape {tuple(shape)}")
        out = tuple(n if d is None else d for d, n in zip(self.noise_shape, shape))
        if any(d not in (1, n) for d, n in zip(out, shape)):
            raise ValueError(f"[{self.name}] noise_shape {self.noise_shape} does not broadcast "
                             f"to the input shape {tuple(shape)} (each size 1 or the input's)")
        return out

    def call(self, x, training=False):
        if self.noise_shape is None and self._generator is None:
            return F.dropout(x, self.rate, training=bool(training))
        return _dropout(x, self.rate, bool(training), mask_shape=self._mask_shape(x.shape),
                        generator=self._generator)


class ActivityRegularization(Layer):
    """The identity, adding l1 * sum(|x|) + l2 * sum(x^2) of its input to the model's losses
    (Keras' ActivityRegularization: the layer's activity_regularizer)."""
    supports_masking = True

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        if "activity_regularizer" in kwargs:
            raise TypeError("[ActivityRegularization] takes l1 and l2, not activity_regularizer")
        super().__init__(activity_regularizer=_reg.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1, self.l2 = float(l1), float(l2)

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape


class Flatten(Layer):
    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        # channels_first: flattened in channels-last order, as Keras does (Dense weights after
        # it are the same whichever the format)
        _df.resolve(self, data_format, "Flatten")

    def call(self, x):
        return x.reshape(x.shape[0], -1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], int(np.prod(input_shape[1:])))


class Reshape(Layer):
    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(target_shape)

    def call(self, x):
        if int(np.prod(x.shape[1:])) != int(np.prod([d for d in self.target_shape if d != -1])) \
                and -1 not in self.target_shape:
            raise ValueError(f"[{self.name}] cannot reshape input of shape {tuple(x.shape)} to "
                             f"(batch,) + {self.target_shape}")
        return x.reshape((x.shape[0],) + self.target_shape)


from .code_layers import Lambda  # noqa: E402,F401  (keras.layers.core.Lambda)
