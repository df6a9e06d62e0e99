"""EfficientNetB0 ... B7 (Tan & Le 2019) as keras.applications builds them: the preprocessing
inside the model (Rescaling(1/255) and a Normalization, as Keras 3), a stride-2 stem ('stem_conv'),
seven stages of mobile inverted bottlenecks with squeeze-and-excitation ('block1a_dwconv' ...
'block7a_project_bn'; stochastic depth as per-sample Dropout before each residual add), a 1x1
'top_conv', then the head. B1..B7 scale B0's widths and depths by Keras' coefficients.
5,330,571 parameters for B0 with the top. preprocess_input is the identity: the model takes
pixels in [0, 255]."""
import math

from .. import initializers, layers
from ..layers.numeric_preprocessing import Normalization
from ..saving import register_keras_serializable
from . import common

# (kernel_size, repeats, filters_in, filters_out, expand_ratio, strides) of B0's seven stages;
# every block has squeeze-and-excitation with ratio 0.25 and an identity skip when shapes allow
_STAGES = [(3, 1, 32, 16, 1, 1), (3, 2, 16, 24, 6, 2), (5, 2, 24, 40, 6, 2),
           (3, 3, 40, 80, 6, 2), (5, 3, 80, 112, 6, 1), (5, 4, 112, 192, 6, 2),
           (3, 1, 192, 320, 6, 1)]
_SE_RATIO = 0.25
# (width, depth, default size, dropout) per variant: Keras' coefficients
_VARIANTS = {"b0": (1.0, 1.0, 224, 0.2), "b1": (1.0, 1.1, 240, 0.2),
             "b2": (1.1, 1.2, 260, 0.3), "b3": (1.2, 1.4, 300, 0.3),
             "b4": (1.4, 1.8, 380, 0.4), "b5": (1.6, 2.2, 456, 0.4),
             "b6": (1.8, 2.6, 528, 0.5), "b7": (2.0, 3.1, 600, 0.5)}
_IMAGENET_STDDEV_RGB = (0.229, 0.224, 0.225)


def _conv_init():
    return initializers.VarianceScaling(scale=2.0, mode="fan_out",
                                        distribution="truncated_normal")


def _dense_init():
    return initializers.VarianceScaling(scale=1.0 / 3.0, mode="fan_out", distribution="uniform")


@register_keras_serializable(package="pyengine_applications")
class CountedNormalization(Normalization):
    """Normalization with the unused 'count' weight Keras' adapted Normalization keeps for old
    saved models: EfficientNet's stem has it, so the model holds Keras' parameter count and
    weight list (7 weights for RGB: mean, variance, count). Registered so load_model finds it."""

    def build(self, input_shape):
        super().build(input_shape)
        self.count = self.add_weight((), "zeros", name="count", trainable=False)


def round_filters(filters, width_coefficient, divisor=8):
    """filters * width rounded to a multiple of divisor, never more than 10% down."""
    filters *= width_coefficient
    new = max(divisor, int(filters + divisor / 2) // divisor * divisor)
    return int(new + divisor if new < 0.9 * filters else new)


def round_repeats(repeats, depth_coefficient):
    return int(math.ceil(depth_coefficient * repeats))


def squeeze_excite(x, filters_in, filters, se_ratio, activation, name):
    """Channel gates from the globally pooled features, squeezed to se_ratio of the block's
    INPUT width (not its expanded width), as Keras and the paper do (EfficientNet V1 and V2)."""
    se = layers.GlobalAveragePooling2D(name=name + "se_squeeze")(x)
    se = layers.Reshape((1, 1, filters), name=name + "se_reshape")(se)
    se = layers.Conv2D(max(1, int(filters_in * se_ratio)), 1, padding="same",
                       activation=activation, kernel_initializer=_conv_init(),
                       name=name + "se_reduce")(se)
    se = layers.Conv2D(filters, 1, padding="same", activation="sigmoid",
                       kernel_initializer=_conv_init(), name=name + "se_expand")(se)
    return layers.multiply([x, se], name=name + "se_excite")


def block(inputs, activation="swish", drop_rate=0.0, name="", filters_in=32, filters_out=16,
          kernel_size=3, strides=1, expand_ratio=1, se_ratio=0.0, id_skip=True):
    """Mobile inverted bottleneck: [1x1 expand] -> depthwise kxk -> squeeze-and-excitation ->
    1x1 project, plus the input when the shapes match (after stochastic-depth dropout)."""
    filters = filters_in * expand_ratio
    x = inputs
    if expand_ratio != 1:
        x = layers.Conv2D(filters, 1, padding="same", use_bias=False,
                          kernel_initializer=_conv_init(), name=name + "expand_conv")(x)
        x = layers.BatchNormalization(axis=3, name=name + "expand_bn")(x)
        x = layers.Activation(activation, name=name + "expand_activation")(x)
    if strides == 2:
        x = layers.ZeroPadding2D(padding=common.correct_pad(x, kernel_size),
                                 name=name + "dwconv_pad")(x)
    x = layers.DepthwiseConv2D(kernel_size, strides=strides,
                               padding="valid" if strides == 2 else "same", use_bias=False,
                               depthwise_initializer=_conv_init(), name=name + "dwconv")(x)
    x = layers.BatchNormalization(axis=3, name=name + "bn")(x)
    x = layers.Activation(activation, name=name + "activation")(x)
    if 0 < se_ratio <= 1:
        x = squeeze_excite(x, filters_in, filters, se_ratio, activation, name)
    x = layers.Conv2D(filters_out, 1, padding="same", use_bias=False,
                      kernel_initializer=_conv_init(), name=name + "project_conv")(x)
    x = layers.BatchNormalization(axis=3, name=name + "project_bn")(x)
    if id_skip and strides == 1 and filters_in == filters_out:
        if drop_rate > 0:  # drops whole residual branches per sample
            x = layers.Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=name + "drop")(x)
        x = layers.add([x, inputs], name=name + "add")
    return x


def EfficientNet(width_coefficient, depth_coefficient, default_size, dropout_rate=0.2,
                 drop_connect_rate=0.2, depth_divisor=8, activation="swish",
                 blocks_args="default", model_name="efficientnet", include_top=True,
                 weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                 classes=1000, classifier_activation="softmax", name=None):
    """The shared builder (Keras' arguments). blocks_args: 'default' (B0's stages) or a list of
    dicts with block()'s keyword arguments plus 'repeats'."""
    inputs, shape, weights_file = common.begin(
        model_name, weights=weights, include_top=include_top, classes=classes, pooling=pooling,
        classifier_activation=classifier_activation, input_shape=input_shape,
        input_tensor=input_tensor, default_size=default_size, min_size=32,
        weights_stem=model_name)
    name = name or model_name
    if blocks_args == "default":
        blocks_args = [dict(kernel_size=k, repeats=r, filters_in=fi, filters_out=fo,
                            expand_ratio=e, id_skip=True, strides=s, se_ratio=_SE_RATIO)
                       for k, r, fi, fo, e, s in _STAGES]

    def filters(n):
        return round_filters(n, width_coefficient, depth_divisor)

    x = layers.Rescaling(1.0 / 255.0, name="rescaling")(inputs)
    # mean 0 / variance 1 until ImageNet weights (which hold the ImageNet statistics) load
    x = CountedNormalization(axis=3, name="normalization")(x)
    if weights == "imagenet":
        # Keras' weights store the variance where the original model divided by the standard
        # deviation once more: the same extra 1 / sqrt(std) per channel (keras issue 49930)
        x = layers.Rescaling([1.0 / math.sqrt(s) for s in _IMAGENET_STDDEV_RGB],
                             name="rescaling_1")(x)
    x = layers.ZeroPadding2D(padding=common.correct_pad(x, 3), name="stem_conv_pad")(x)
    x = layers.Conv2D(filters(32), 3, strides=2, padding="valid", use_bias=False,
                      kernel_initializer=_conv_init(), name="stem_conv")(x)
    x = layers.BatchNormalization(axis=3, name="stem_bn")(x)
    x = layers.Activation(activation, name="stem_activation")(x)

    total = float(sum(round_repeats(a["repeats"], depth_coefficient) for a in blocks_args))
    b = 0
    for i, stage in enumerate(blocks_args):
        args = {k: v for k, v in stage.items() if k != "repeats"}
        args["filters_in"], args["filters_out"] = (filters(args["filters_in"]),
                                                   filters(args["filters_out"]))
        for j in range(round_repeats(stage["repeats"], depth_coefficient)):
            if j > 0:  # only a stage's first block changes the stride and the width
                args["strides"], args["filters_in"] = 1, args["filters_out"]
            # the drop rate grows linearly with depth, from 0 at the first block
            x = block(x, activation, drop_connect_rate * b / total,
                      name=f"block{i + 1}{chr(j + 97)}_", **args)
            b += 1

    x = top(x, filters(1280), layers.BatchNormalization(axis=3, name="top_bn"), activation,
            include_top, dropout_rate, pooling, classes, classifier_activation)
    return common.finish(inputs, x, name, weights, weights_file)


def top(x, filters, top_bn, activation, include_top, dropout_rate, pooling, classes,
        classifier_activation):
    """EfficientNet's (and V2's) last 1x1 conv, top_bn (each family's own BatchNormalization
    layer), activation, then the classifier or the pooling."""
    x = layers.Conv2D(filters, 1, padding="same", use_bias=False,
                      kernel_initializer=_conv_init(), name="top_conv")(x)
    x = layers.Activation(activation, name="top_activation")(top_bn(x))
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate, name="top_dropout")(x)
        return layers.Dense(classes, activation=classifier_activation,
                            kernel_initializer=_dense_init(), name="predictions")(x)
    return common.pooled_head(x, False, pooling, classes, classifier_activation,
                              avg_name="avg_pool")


def _variant(key):
    width, depth, size, dropout = _VARIANTS[key]

    def build(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
              pooling=None, classes=1000, classifier_activation="softmax", name=None,
              **kwargs):
        return EfficientNet(width, depth, size, dropout, model_name=f"efficientnet{key}",
                            include_top=include_top, weights=weights, input_tensor=input_tensor,
                            input_shape=input_shape, pooling=pooling, classes=classes,
                            classifier_activation=classifier_activation, name=name, **kwargs)
    build.__name__ = build.__qualname__ = f"EfficientNet{key.upper()}"
    build.__doc__ = (f"EfficientNet{key.upper()}: width x{width}, depth x{depth}, "
                     f"{size}x{size} by default, top dropout {dropout}.")
    return build


EfficientNetB0, EfficientNetB1, EfficientNetB2, EfficientNetB3 = (
    _variant(k) for k in ("b0", "b1", "b2", "b3"))
EfficientNetB4, EfficientNetB5, EfficientNetB6, EfficientNetB7 = (
    _variant(k) for k in ("b4", "b5", "b6", "b7"))


def preprocess_input(x, data_format=None):
    """The identity, as Keras: EfficientNet rescales and normalises inside the model."""
    return x


decode_predictions = common.decode_predictions
