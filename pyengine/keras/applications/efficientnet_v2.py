"""EfficientNetV2B0 ... B3, S, M, L (Tan & Le 2021) as keras.applications builds them: the
preprocessing inside the model (B0..B3: Rescaling(1/255) and a Normalization by the ImageNet
statistics; S / M / L: Rescaling to [-1, 1]; include_preprocessing=False drops it), a stride-2
'stem_conv', stages of fused MBConv blocks (a full 3x3 convolution in place of expand +
depthwise) then MBConv blocks with squeeze-and-excitation ('block1a_project_conv' ...
'block6h_project_bn'), a 1x1 'top_conv', then the head. As Keras, a block's stochastic-depth
Dropout rate grows with depth from 0 (the first block has none). 7,200,312 parameters for B0 with
the top. preprocess_input is the identity: the model takes pixels in [0, 255]."""
from .. import layers
from . import common
from .efficientnet import _conv_init, round_repeats, squeeze_excite, top

# (kernel, repeats, filters_in, filters_out, expand_ratio, se_ratio, strides, fused) per stage
_B = [(3, 1, 32, 16, 1, 0, 1, True), (3, 2, 16, 32, 4, 0, 2, True),
      (3, 2, 32, 48, 4, 0, 2, True), (3, 3, 48, 96, 4, 0.25, 2, False),
      (3, 5, 96, 112, 6, 0.25, 1, False), (3, 8, 112, 192, 6, 0.25, 2, False)]
_STAGES = {
    "b": _B,
    "s": [(3, 2, 24, 24, 1, 0, 1, True), (3, 4, 24, 48, 4, 0, 2, True),
          (3, 4, 48, 64, 4, 0, 2, True), (3, 6, 64, 128, 4, 0.25, 2, False),
          (3, 9, 128, 160, 6, 0.25, 1, False), (3, 15, 160, 256, 6, 0.25, 2, False)],
    "m": [(3, 3, 24, 24, 1, 0, 1, True), (3, 5, 24, 48, 4, 0, 2, True),
          (3, 5, 48, 80, 4, 0, 2, True), (3, 7, 80, 160, 4, 0.25, 2, False),
          (3, 14, 160, 176, 6, 0.25, 1, False), (3, 18, 176, 304, 6, 0.25, 2, False),
          (3, 5, 304, 512, 6, 0.25, 1, False)],
    "l": [(3, 4, 32, 32, 1, 0, 1, True), (3, 7, 32, 64, 4, 0, 2, True),
          (3, 7, 64, 96, 4, 0, 2, True), (3, 10, 96, 192, 4, 0.25, 2, False),
          (3, 19, 192, 224, 6, 0.25, 1, False), (3, 25, 224, 384, 6, 0.25, 2, False),
          (3, 7, 384, 640, 6, 0.25, 1, False)]}
# variant: (width, depth, default size, stages)
_VARIANTS = {"b0": (1.0, 1.0, 224, "b"), "b1": (1.0, 1.1, 240, "b"), "b2": (1.1, 1.2, 260, "b"),
             "b3": (1.2, 1.4, 300, "b"), "s": (1.0, 1.0, 384, "s"), "m": (1.0, 1.0, 480, "m"),
             "l": (1.0, 1.0, 480, "l")}
_IMAGENET_MEAN = [0.485, 0.456, 0.406]
_IMAGENET_VARIANCE = [0.229 ** 2, 0.224 ** 2, 0.225 ** 2]


def round_filters(filters, width_coefficient, min_depth=8, depth_divisor=8):
    """filters * width rounded to the nearest multiple of depth_divisor, at least min_depth (no
    10% rule, unlike EfficientNet V1)."""
    filters *= width_coefficient
    return int(max(min_depth or depth_divisor,
                   int(filters + depth_divisor / 2) // depth_divisor * depth_divisor))


def _bn(name, momentum):
    return layers.BatchNormalization(axis=3, momentum=momentum, name=name)


def _residual(x, inputs, strides, filters_in, filters_out, drop_rate, name):
    if strides == 1 and filters_in == filters_out:
        if drop_rate:  # Keras' argument is called survival_probability but is the drop rate
            x = layers.Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=name + "drop")(x)
        x = layers.add([x, inputs], name=name + "add")
    return x


def mb_conv_block(inputs, filters_in, filters_out, expand_ratio=1, kernel_size=3, strides=1,
                  se_ratio=0.0, bn_momentum=0.9, activation="swish", drop_rate=0.0, name=""):
    """MBConv: [1x1 expand] -> depthwise kxk -> [squeeze-and-excitation] -> 1x1 project."""
    filters = filters_in * expand_ratio
    x = inputs
    if expand_ratio != 1:
        x = layers.Conv2D(filters, 1, padding="same", use_bias=False,
                          kernel_initializer=_conv_init(), name=name + "expand_conv")(x)
        x = _bn(name + "expand_bn", bn_momentum)(x)
        x = layers.Activation(activation, name=name + "expand_activation")(x)
    x = layers.DepthwiseConv2D(kernel_size, strides=strides, padding="same", use_bias=False,
                               depthwise_initializer=_conv_init(), name=name + "dwconv2")(x)
    x = _bn(name + "bn", bn_momentum)(x)
    x = layers.Activation(activation, name=name + "activation")(x)
    if 0 < se_ratio <= 1:
        x = squeeze_excite(x, filters_in, filters, se_ratio, activation, name)
    x = layers.Conv2D(filters_out, 1, padding="same", use_bias=False,
                      kernel_initializer=_conv_init(), name=name + "project_conv")(x)
    x = _bn(name + "project_bn", bn_momentum)(x)
    return _residual(x, inputs, strides, filters_in, filters_out, drop_rate, name)


def fused_mb_conv_block(inputs, filters_in, filters_out, expand_ratio=1, kernel_size=3,
                        strides=1, se_ratio=0.0, bn_momentum=0.9, activation="swish",
                        drop_rate=0.0, name=""):
    """Fused MBConv: [kxk expand] -> [squeeze-and-excitation] -> project (kxk and activated
    when there is no expansion, 1x1 otherwise)."""
    filters = filters_in * expand_ratio
    x = inputs
    if expand_ratio != 1:
        x = layers.Conv2D(filters, kernel_size, strides=strides, padding="same", use_bias=False,
                          kernel_initializer=_conv_init(), name=name + "expand_conv")(x)
        x = _bn(name + "expand_bn", bn_momentum)(x)
        x = layers.Activation(activation, name=name + "expand_activation")(x)
    if 0 < se_ratio <= 1:
        x = squeeze_excite(x, filters_in, filters, se_ratio, activation, name)
    x = layers.Conv2D(filters_out, 1 if expand_ratio != 1 else kernel_size,
                      strides=1 if expand_ratio != 1 else strides, padding="same",
                      use_bias=False, kernel_initializer=_conv_init(),
                      name=name + "project_conv")(x)
    x = _bn(name + "project_bn", bn_momentum)(x)
    if expand_ratio == 1:
        x = layers.Activation(activation, name=name + "project_activation")(x)
    return _residual(x, inputs, strides, filters_in, filters_out, drop_rate, name)


def EfficientNetV2(width_coefficient, depth_coefficient, default_size, dropout_rate=0.2,
                   drop_connect_rate=0.2, depth_divisor=8, min_depth=8, bn_momentum=0.9,
                   activation="swish", blocks_args="default", name="efficientnetv2",
                   include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                   pooling=None, classes=1000, classifier_activation="softmax",
                   include_preprocessing=True, weights_name=None):
    """The shared builder (Keras' arguments). blocks_args: 'default' (the stages of the variant
    `name` ends with: 'efficientnetv2-b0' ... '-l') or a list of (kernel, repeats, filters_in,
    filters_out, expand_ratio, se_ratio, strides, fused) tuples."""
    if blocks_args == "default":
        key = name.split("-")[-1]
        if key not in _VARIANTS:
            raise ValueError(f"[EfficientNetV2] blocks_args='default' needs a name ending in "
                             f"one of {sorted(_VARIANTS)}. Received: name={name!r}")
        blocks_args = _STAGES[_VARIANTS[key][3]]
    inputs, shape, weights_file = common.begin(
        name, weights=weights, include_top=include_top, classes=classes, pooling=pooling,
        classifier_activation=classifier_activation, input_shape=input_shape,
        input_tensor=input_tensor, default_size=default_size, min_size=32, weights_stem=name)

    def filters(n):
        return round_filters(n, width_coefficient, min_depth, depth_divisor)

    x = inputs
    if include_preprocessing:
        variant = weights_name or name.split("-")[-1]
        if variant.startswith("b") and shape[-1] == 3:  # B0..B3: V1's ImageNet scaling
            x = layers.Rescaling(scale=1.0 / 255)(x)
            x = layers.Normalization(mean=_IMAGENET_MEAN, variance=_IMAGENET_VARIANCE,
                                     axis=3)(x)
        else:
            x = layers.Rescaling(scale=1.0 / 128.0, offset=-1)(x)
    x = layers.Conv2D(filters(blocks_args[0][2]), 3, strides=2, padding="same", use_bias=False,
                      kernel_initializer=_conv_init(), name="stem_conv")(x)
    x = _bn("stem_bn", bn_momentum)(x)
    x = layers.Activation(activation, name="stem_activation")(x)

    total = float(sum(stage[1] for stage in blocks_args))  # unscaled, as Keras
    b = 0
    for i, (kernel, repeats, f_in, f_out, expand, se_ratio, strides, fused) in \
            enumerate(blocks_args):
        f_in, f_out = filters(f_in), filters(f_out)
        block = fused_mb_conv_block if fused else mb_conv_block
        for j in range(round_repeats(repeats, depth_coefficient)):
            if j > 0:  # only a stage's first block changes the stride and the width
                strides, f_in = 1, f_out
            x = block(x, f_in, f_out, expand, kernel, strides, se_ratio, bn_momentum,
                      activation, drop_connect_rate * b / total,
                      name=f"block{i + 1}{chr(j + 97)}_")
            b += 1

    x = top(x, filters(1280), _bn("top_bn", bn_momentum), activation, include_top, dropout_rate,
            pooling, classes, classifier_activation)
    return common.finish(inputs, x, name, weights, weights_file)


def _variant(key):
    width, depth, size, _ = _VARIANTS[key]
    public = f"EfficientNetV2{key.upper()}"

    def build(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
              pooling=None, classes=1000, classifier_activation="softmax",
              include_preprocessing=True, name=f"efficientnetv2-{key}"):
        return EfficientNetV2(width, depth, size, name=name, include_top=include_top,
                              weights=weights, input_tensor=input_tensor,
                              input_shape=input_shape, pooling=pooling, classes=classes,
                              classifier_activation=classifier_activation,
                              include_preprocessing=include_preprocessing,
                              weights_name=key, blocks_args=_STAGES[_VARIANTS[key][3]])
    build.__name__ = build.__qualname__ = public
    build.__doc__ = (f"{public}: width x{width}, depth x{depth}, {size}x{size} by default; "
                     f"inputs are pixels in [0, 255] (include_preprocessing=False: the stem "
                     f"takes them as given).")
    return build


EfficientNetV2B0, EfficientNetV2B1, EfficientNetV2B2, EfficientNetV2B3 = (
    _variant(k) for k in ("b0", "b1", "b2", "b3"))
EfficientNetV2S, EfficientNetV2M, EfficientNetV2L = (_variant(k) for k in ("s", "m", "l"))


def preprocess_input(x, data_format=None):
    """The identity, as Keras: EfficientNetV2 rescales inside the model."""
    return x


decode_predictions = common.decode_predictions
