"""MobileNetV3Small / MobileNetV3Large (Howard et al. 2019) as keras.applications builds them:
the preprocessing inside the model (Rescaling to [-1, 1], unless include_preprocessing=False), a
stride-2 stem ('conv', 'conv_bn'), inverted residual blocks with optional squeeze-and-excitation
gated by a hard sigmoid ('expanded_conv_depthwise' ... 'expanded_conv_14_project_bn'), a 1x1
'conv_1', then a top of pooled 1x1 convolutions ('conv_2', 'logits', 'predictions').
minimalistic=True: 3x3 kernels, ReLU, no squeeze-and-excitation. 2,554,968 (Small) and
5,507,432 (Large) parameters with the top. preprocess_input is the identity."""
import warnings

from .. import layers
from . import common
from .mobilenet_v2 import _make_divisible

_BN = dict(epsilon=1e-3, momentum=0.999)


def _depth(v):
    """v rounded to a multiple of 8, never more than 10% down (the TF-slim rule, as
    MobileNetV2)."""
    return _make_divisible(v, 8)


def relu(x):
    return layers.ReLU()(x)


def hard_sigmoid(x):
    return layers.ReLU(6.0)(x + 3.0) * (1.0 / 6.0)


def hard_swish(x):
    return layers.Activation("hard_swish")(x)


def _se_block(inputs, filters, se_ratio, prefix):
    """Channel gates: pooled features -> 1x1 squeeze (ReLU) -> 1x1 excite (hard sigmoid)."""
    x = layers.GlobalAveragePooling2D(keepdims=True, name=prefix + "squeeze_excite_avg_pool")(
        inputs)
    x = layers.Conv2D(_depth(filters * se_ratio), 1, padding="same",
                      name=prefix + "squeeze_excite_conv")(x)
    x = layers.ReLU(name=prefix + "squeeze_excite_relu")(x)
    x = layers.Conv2D(filters, 1, padding="same", name=prefix + "squeeze_excite_conv_1")(x)
    x = hard_sigmoid(x)
    return layers.Multiply(name=prefix + "squeeze_excite_mul")([inputs, x])


def _inverted_res_block(x, expansion, filters, kernel_size, stride, se_ratio, activation,
                        block_id):
    """[1x1 expand] -> depthwise kxk -> [squeeze-and-excitation] -> 1x1 project, plus the input
    when the shapes match."""
    shortcut, infilters = x, x.shape[-1]
    prefix = "expanded_conv_"
    if block_id:
        prefix = f"expanded_conv_{block_id}_"
        x = layers.Conv2D(_depth(infilters * expansion), 1, padding="same", use_bias=False,
                          name=prefix + "expand")(x)
        x = layers.BatchNormalization(axis=-1, name=prefix + "expand_bn", **_BN)(x)
        x = activation(x)
    if stride == 2:
        x = layers.ZeroPadding2D(padding=common.correct_pad(x, kernel_size),
                                 name=prefix + "depthwise_pad")(x)
    x = layers.DepthwiseConv2D(kernel_size, strides=stride,
                               padding="same" if stride == 1 else "valid", use_bias=False,
                               name=prefix + "depthwise")(x)
    x = layers.BatchNormalization(axis=-1, name=prefix + "depthwise_bn", **_BN)(x)
    x = activation(x)
    if se_ratio:
        x = _se_block(x, _depth(infilters * expansion), se_ratio, prefix)
    x = layers.Conv2D(filters, 1, padding="same", use_bias=False, name=prefix + "project")(x)
    x = layers.BatchNormalization(axis=-1, name=prefix + "project_bn", **_BN)(x)
    if stride == 1 and infilters == filters:
        x = layers.Add(name=prefix + "add")([shortcut, x])
    return x


# (expansion, filters, kernel ('k': 5, or 3 when minimalistic), stride, squeeze-and-excitation,
# activation ('a': hard swish, or ReLU when minimalistic)) of each block, in block_id order
_SMALL = [(1, 16, 3, 2, True, "relu"), (72.0 / 16, 24, 3, 2, False, "relu"),
          (88.0 / 24, 24, 3, 1, False, "relu"), (4, 40, "k", 2, True, "a"),
          (6, 40, "k", 1, True, "a"), (6, 40, "k", 1, True, "a"), (3, 48, "k", 1, True, "a"),
          (3, 48, "k", 1, True, "a"), (6, 96, "k", 2, True, "a"), (6, 96, "k", 1, True, "a"),
          (6, 96, "k", 1, True, "a")]
_LARGE = [(1, 16, 3, 1, False, "relu"), (4, 24, 3, 2, False, "relu"),
          (3, 24, 3, 1, False, "relu"), (3, 40, "k", 2, True, "relu"),
          (3, 40, "k", 1, True, "relu"), (3, 40, "k", 1, True, "relu"),
          (6, 80, 3, 2, False, "a"), (2.5, 80, 3, 1, False, "a"), (2.3, 80, 3, 1, False, "a"),
          (2.3, 80, 3, 1, False, "a"), (6, 112, 3, 1, True, "a"), (6, 112, 3, 1, True, "a"),
          (6, 160, "k", 2, True, "a"), (6, 160, "k", 1, True, "a"), (6, 160, "k", 1, True, "a")]


def _input_shape(input_shape, input_tensor, name):
    """Keras' MobileNetV3 rule: any size of at least 32x32 (None by default, even with the top,
    which pools first); without input_shape an input_tensor's own size is used."""
    if input_shape is None:
        if input_tensor is not None:
            return (input_tensor.shape[1], input_tensor.shape[2], 3)
        return (None, None, 3)
    shape = tuple(input_shape)
    if len(shape) != 3:
        raise ValueError(f"[{name}] input_shape must be (height, width, channels). Received: "
                         f"input_shape={input_shape!r}")
    if input_tensor is not None and input_tensor.shape[2] != shape[1]:
        raise ValueError(f"[{name}] input_shape[1] must equal input_tensor.shape[2]. Received: "
                         f"input_shape={input_shape!r}, input_tensor.shape="
                         f"{tuple(input_tensor.shape)}")
    if shape[0] and shape[1] and (shape[0] < 32 or shape[1] < 32):
        raise ValueError(f"[{name}] input size must be at least 32x32. Received: "
                         f"input_shape={input_shape!r}")
    return shape


def MobileNetV3(stack, last_point_ch, input_shape=None, alpha=1.0, model_type="large",
                minimalistic=False, include_top=True, weights="imagenet", input_tensor=None,
                classes=1000, pooling=None, dropout_rate=0.2, classifier_activation="softmax",
                include_preprocessing=True, name=None):
    """The shared builder (Keras' arguments); `stack` is _SMALL or _LARGE."""
    label = name or "MobileNetV3"
    common.check_weights(weights, include_top, classes, label)
    if not alpha > 0:
        raise ValueError(f"[{label}] alpha must be positive. Received: alpha={alpha}")
    common.check_pooling(pooling, label)
    shape = _input_shape(input_shape, input_tensor, label)
    model_name = f"{model_type}{'_minimalistic' if minimalistic else ''}_224_{alpha}_float"
    weights_file = (f"weights_mobilenet_v3_{model_name}" + ("" if include_top else "_no_top_v2")
                    + ".weights.npz")
    common.validate_activation(classifier_activation, weights, include_top, label)
    if weights == "imagenet":
        if (alpha not in (0.75, 1.0)) if not minimalistic else alpha != 1.0:
            raise ValueError(f"[{label}] ImageNet weights exist for alpha 0.75 or 1.0 (1.0 only "
                             f"when minimalistic). Received: alpha={alpha}, "
                             f"minimalistic={minimalistic}")
        if shape[0] != shape[1] or shape[0] != 224:
            warnings.warn(f"[{label}] input_shape is undefined or non-square, or rows is not "
                          f"224: the weights for (224, 224) are loaded", stacklevel=3)
        common.imagenet_weights_path(label, weights_file)  # fail before building
    inputs = common.inputs_for(input_tensor, shape)
    kernel, activation, se_ratio = (3, relu, None) if minimalistic else (5, hard_swish, 0.25)

    x = inputs
    if include_preprocessing:
        x = layers.Rescaling(scale=1.0 / 127.5, offset=-1.0)(x)
    x = layers.Conv2D(16, 3, strides=(2, 2), padding="same", use_bias=False, name="conv")(x)
    x = layers.BatchNormalization(axis=-1, name="conv_bn", **_BN)(x)
    x = activation(x)
    for block_id, (expansion, filters, k, stride, se, act) in enumerate(stack):
        x = _inverted_res_block(x, expansion, _depth(filters * alpha),
                                kernel if k == "k" else k, stride, se_ratio if se else None,
                                activation if act == "a" else relu, block_id)

    last_conv_ch = _depth(x.shape[-1] * 6)
    if alpha > 1.0:  # a wider network also widens the top
        last_point_ch = _depth(last_point_ch * alpha)
    x = layers.Conv2D(last_conv_ch, 1, padding="same", use_bias=False, name="conv_1")(x)
    x = layers.BatchNormalization(axis=-1, name="conv_1_bn", **_BN)(x)
    x = activation(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Conv2D(last_point_ch, 1, padding="same", use_bias=True, name="conv_2")(x)
        x = activation(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate)(x)
        x = layers.Conv2D(classes, 1, padding="same", name="logits")(x)
        x = layers.Flatten()(x)
        x = layers.Activation(classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D(name="max_pool")(x)
    return common.finish(inputs, x, label, weights, weights_file)


def _variant(stack, last_point_ch, model_type, default_name):
    def build(input_shape=None, alpha=1.0, minimalistic=False, include_top=True,
              weights="imagenet", input_tensor=None, classes=1000, pooling=None,
              dropout_rate=0.2, classifier_activation="softmax", include_preprocessing=True,
              name=default_name):
        return MobileNetV3(stack, last_point_ch, input_shape, alpha, model_type, minimalistic,
                           include_top, weights, input_tensor, classes, pooling, dropout_rate,
                           classifier_activation, include_preprocessing, name=name)
    build.__name__ = build.__qualname__ = default_name
    build.__doc__ = (f"{default_name}: Keras' arguments; inputs are pixels in [0, 255] (in "
                     f"[-1, 1] with include_preprocessing=False).")
    return build


MobileNetV3Small = _variant(_SMALL, 1024, "small", "MobileNetV3Small")
MobileNetV3Large = _variant(_LARGE, 1280, "large", "MobileNetV3Large")


def preprocess_input(x, data_format=None):
    """The identity, as Keras: MobileNetV3 rescales inside the model."""
    return x


decode_predictions = common.decode_predictions
