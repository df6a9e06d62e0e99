"""Keras' data_format for the layers with spatial axes: 'channels_last' (N, ..., C), which the
kernels run, or 'channels_first' (N, C, ...): such a layer (Conv*, pooling, Flatten,
UpSampling, padding, cropping, SpatialDropout) sees its input moved to channels last and its
output moved back, in Layer.__call__, so build() and call() are the channels-last ones and
the weights keep Keras' layout (a Conv2D kernel is (kh, kw, in, out) either way). A layer
given data_format=None takes the global default, keras.config.image_data_format()
('channels_last' unless set_image_data_format changed it), as Keras does. TensorFlow's CPU
kernels refuse channels_first convolutions; Keras' torch and JAX backends run them."""
_FORMATS = ("channels_last", "channels_first")
_default = ["channels_last"]


def image_data_format():
    return _default[0]


def set_image_data_format(data_format):
    if data_format not in _FORMATS:
        raise ValueError(f"[set_image_data_format] data_format must be 'channels_last' or "
                         f"'channels_first'. Received: {data_format!r}")
    _default[0] = data_format


def resolve(layer, data_format, name):
    """The layer's data format (None: the global default), checked; a channels_first layer is
    marked for Layer.__call__'s moves."""
    fmt = image_data_format() if data_format is None else data_format
    if fmt not in _FORMATS:
        raise ValueError(f"[{name}] data_format must be 'channels_last' or 'channels_first'. "
                         f"Received: data_format={data_format!r}")
    layer.__dict__["data_format"] = fmt
    layer.__dict__["_channels_first"] = fmt == "channels_first"
    return fmt


def to_last(x):
    """(N, C, ...) -> (N, ..., C) for a tensor of rank >= 3 (others pass through)."""
    nd = getattr(x, "ndim", 0)
    if nd < 3:
        return x
    return x.permute(0, *range(2, nd), 1)


def to_first(x):
    """(N, ..., C) -> (N, C, ...) for a tensor of rank >= 3 (others pass through)."""
    nd = getattr(x, "ndim", 0)
    if nd < 3:
        return x
    return x.permute(0, nd - 1, *range(1, nd - 1))
