"""MobileNetV2 (Sandler et al. 2018) as keras.applications.MobileNetV2 builds it: inverted
residual blocks ('expanded_conv_*', 'block_1_expand' ... 'block_16_project_BN'), ReLU6, then
'Conv_1', 'out_relu' and the head. 3,538,984 parameters at alpha=1.0 with the top."""
from .. import layers
from . import common

_BN = dict(axis=-1, epsilon=1e-3, momentum=0.999)


def _make_divisible(v, divisor, min_value=None):
    min_value = divisor if min_value is None else min_value
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


def _inverted_res_block(inputs, expansion, stride, alpha, filters, block_id):
    in_channels = inputs.shape[-1]
    pointwise_filters = _make_divisible(int(filters * alpha), 8)
    x = inputs
    prefix = f"block_{block_id}_"
    if block_id:
        x = layers.Conv2D(expansion * in_channels, kernel_size=1, padding="same", use_bias=False,
                          name=prefix + "expand")(x)
        x = layers.BatchNormalization(name=prefix + "expand_BN", **_BN)(x)
        x = layers.ReLU(6.0, name=prefix + "expand_relu")(x)
    else:
        prefix = "expanded_conv_"
    if stride == 2:
        x = layers.ZeroPadding2D(padding=common.correct_pad(x, 3), name=prefix + "pad")(x)
    x = layers.DepthwiseConv2D(kernel_size=3, strides=stride, use_bias=False,
                               padding="same" if stride == 1 else "valid",
                               name=prefix + "depthwise")(x)
    x = layers.BatchNormalization(name=prefix + "depthwise_BN", **_BN)(x)
    x = layers.ReLU(6.0, name=prefix + "depthwise_relu")(x)
    x = layers.Conv2D(pointwise_filters, kernel_size=1, padding="same", use_bias=False,
                      name=prefix + "project")(x)
    x = layers.BatchNormalization(name=prefix + "project_BN", **_BN)(x)
    if in_channels == pointwise_filters and stride == 1:
        return layers.Add(name=prefix + "add")([inputs, x])
    return x


_BLOCKS = [  # (filters, stride, expansion) for block_id 0 .. 16
    (16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6), (64, 2, 6), (64, 1, 6),
    (64, 1, 6), (64, 1, 6), (96, 1, 6), (96, 1, 6), (96, 1, 6), (160, 2, 6), (160, 1, 6),
    (160, 1, 6), (320, 1, 6)]


def MobileNetV2(input_shape=None, alpha=1.0, include_top=True, weights="imagenet",
                input_tensor=None, pooling=None, classes=1000, classifier_activation="softmax",
                name=None):
    common.check_weights(weights, include_top, classes, "MobileNetV2")
    if weights == "imagenet" and alpha not in (0.35, 0.50, 0.75, 1.0, 1.3, 1.4):
        raise ValueError(f"[MobileNetV2] ImageNet weights exist for alpha in 0.35, 0.50, 0.75, "
                         f"1.0, 1.3, 1.4. Received: alpha={alpha}")
    if not alpha > 0:
        raise ValueError(f"[MobileNetV2] alpha must be positive. Received: alpha={alpha}")
    common.check_pooling(pooling, "MobileNetV2")
    shape = common.input_shape_for(input_shape, 224, 32, include_top, weights, "MobileNetV2")
    common.validate_activation(classifier_activation, weights, include_top, "MobileNetV2")
    rows = shape[0] if shape[0] is not None else 224
    weights_file = (f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{alpha}_{rows}" +
                    ("" if include_top else "_no_top") + ".weights.npz")
    if weights == "imagenet":
        common.imagenet_weights_path("MobileNetV2", weights_file)  # fail before building
    inputs = common.inputs_for(input_tensor, shape)
    x = layers.Conv2D(_make_divisible(32 * alpha, 8), kernel_size=3, strides=(2, 2),
                      padding="same", use_bias=False, name="Conv1")(inputs)
    x = layers.BatchNormalization(name="bn_Conv1", **_BN)(x)
    x = layers.ReLU(6.0, name="Conv1_relu")(x)
    for block_id, (filters, stride, expansion) in enumerate(_BLOCKS):
        x = _inverted_res_block(x, filters=filters, alpha=alpha, stride=stride,
                                expansion=expansion, block_id=block_id)
    last = _make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = layers.Conv2D(last, kernel_size=1, use_bias=False, name="Conv_1")(x)
    x = layers.BatchNormalization(name="Conv_1_bn", **_BN)(x)
    x = layers.ReLU(6.0, name="out_relu")(x)
    x = common.pooled_head(x, include_top, pooling, classes, classifier_activation)
    # Keras names it 'mobilenetv2_1.00_224'; a layer name here may not contain '.' (it is the
    # module key in state_dict paths), so the dot becomes '_'.
    name = name or f"mobilenetv2_{alpha:0.2f}_{rows}".replace(".", "_")
    return common.finish(inputs, x, name, weights, weights_file)


def preprocess_input(x, data_format=None):
    return common.preprocess_input(x, "tf", data_format)


decode_predictions = common.decode_predictions
