"""Keras 1 arguments of Conv2D / Convolution2D (and of the 2-D pooling layers: border_mode,
dim_ordering), converted as Keras 2.0-2.3 converted them (with
its "Update your `Conv2D` call to the Keras 2 API" warning): `Convolution2D(32, 3, 3,
border_mode="same", subsample=(2, 2), init="he_normal", dim_ordering="tf")` is
`Conv2D(32, (3, 3), padding="same", strides=(2, 2), kernel_initializer="he_normal",
data_format="channels_last")`. The conversion runs only when a Keras 1 keyword is present, so
a Keras 3 call `Conv2D(32, 3, 2)` keeps its meaning (strides 2)."""
import warnings

_RENAMED = {"nb_filter": "filters", "border_mode": "padding", "subsample": "strides",
            "dim_ordering": "data_format", "init": "kernel_initializer",
            "W_regularizer": "kernel_regularizer", "b_regularizer": "bias_regularizer",
            "W_constraint": "kernel_constraint", "b_constraint": "bias_constraint",
            "bias": "use_bias"}
_DIM_ORDERING = {"tf": "channels_last", "th": "channels_first", "default": None}
KERAS1_KEYS = frozenset(_RENAMED) | {"nb_row", "nb_col"}


def convert_conv2d(name, args, kwargs):
    """args: Conv2D's Keras 2 arguments as received (a dict); kwargs: the other keywords, from
    which the Keras 1 ones are taken. Returns the converted args. Keras 1's positional
    (nb_filter, nb_row, nb_col) arrive as filters, kernel_size and strides."""
    legacy = {k: kwargs.pop(k) for k in list(kwargs) if k in KERAS1_KEYS}
    args = dict(args)
    changed = []
    if "nb_row" in legacy or "nb_col" in legacy:
        rows = legacy.pop("nb_row", args["kernel_size"])
        if "nb_col" not in legacy:
            raise TypeError(f"[{name}] Keras 1's nb_row needs nb_col too (the kernel size)")
        args["kernel_size"] = (rows, legacy.pop("nb_col"))
        changed.append("kernel_size")
    elif isinstance(args["kernel_size"], int) and isinstance(args["strides"], int):
        # Convolution2D(nb_filter, nb_row, nb_col, ...): the third positional is nb_col
        args["kernel_size"], args["strides"] = (args["kernel_size"], args["strides"]), (1, 1)
        changed.append("kernel_size")
    for old, value in legacy.items():
        new = _RENAMED[old]
        if old == "dim_ordering":
            if value not in _DIM_ORDERING:
                raise ValueError(f"[{name}] dim_ordering must be 'tf', 'th' or 'default'. "
                                 f"Received: {value!r}")
            value = _DIM_ORDERING[value]
        args[new] = value
        changed.append(new)
    shown = ", ".join(f"{k}={args[k]!r}" for k in dict.fromkeys(changed))
    warnings.warn(f"Update your `{name}` call to the Keras 2 API: `{name}({args['filters']}, "
                  f"{shown})` (Keras 1 arguments {sorted(legacy) or ['nb_row/nb_col']} "
                  "converted)", UserWarning, stacklevel=3)
    return args


POOL_KERAS1_KEYS = frozenset({"border_mode", "dim_ordering"})


def convert_pool2d(name, args, kwargs):
    """MaxPooling2D / AveragePooling2D((3, 3), border_mode="same", dim_ordering="tf"), as
    Keras 2.0-2.3 converted them (with its warning)."""
    legacy = {k: kwargs.pop(k) for k in list(kwargs) if k in POOL_KERAS1_KEYS}
    args = dict(args)
    for old, value in legacy.items():
        if old == "dim_ordering":
            if value not in _DIM_ORDERING:
                raise ValueError(f"[{name}] dim_ordering must be 'tf', 'th' or 'default'. "
                                 f"Received: {value!r}")
            value = _DIM_ORDERING[value]
        args[_RENAMED[old]] = value
    shown = ", ".join(f"{_RENAMED[k]}={args[_RENAMED[k]]!r}" for k in legacy)
    warnings.warn(f"Update your `{name}` call to the Keras 2 API: `{name}({args['pool_size']}, "
                  f"{shown})` (Keras 1 arguments {sorted(legacy)} converted)", UserWarning,
                  stacklevel=3)
    return args
