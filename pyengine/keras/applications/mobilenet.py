"""MobileNet v1 (Howard et al. 2017) as keras.applications.MobileNet builds it: a strided 3x3
'conv1', then thirteen depthwise-separable blocks ('conv_dw_1' / 'conv_pw_1' ... 'conv_pw_13',
each followed by BatchNormalization and ReLU6; the strided ones behind a 'conv_pad_<id>'), then a
head that keeps Keras' layout: global average pool kept 4-d, 'dropout', a 1x1 'conv_preds'
convolution as the classifier, 'reshape_2' and the 'predictions' activation. alpha scales every
width, depth_multiplier the depthwise convolutions. 4,253,864 parameters at alpha=1.0 with the
top. Inputs are scaled to [-1, 1] (preprocess_input)."""
import warnings

from .. import layers
from . import common

# (pointwise filters, stride) of blocks 1..13
_BLOCKS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1),
           (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)]
_IMAGENET_ROWS = (128, 160, 192, 224)
_IMAGENET_ALPHA_TEXT = {1.0: "1_0", 0.75: "7_5", 0.5: "5_0", 0.25: "2_5"}


def _depthwise_conv_block(x, pointwise_filters, alpha, depth_multiplier, stride, block_id):
    """[pad] -> depthwise 3x3 -> BN -> ReLU6 -> pointwise 1x1 -> BN -> ReLU6. A strided block
    pads one row / column at the bottom / right only and convolves 'valid' (TF's 'same' on even
    sizes, which the ImageNet weights were trained with)."""
    if stride == 2:
        x = layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(x)
    x = layers.DepthwiseConv2D((3, 3), padding="same" if stride == 1 else "valid",
                               depth_multiplier=depth_multiplier, strides=(stride, stride),
                               use_bias=False, name=f"conv_dw_{block_id}")(x)
    x = layers.BatchNormalization(axis=-1, name=f"conv_dw_{block_id}_bn")(x)
    x = layers.ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    x = layers.Conv2D(int(pointwise_filters * alpha), (1, 1), padding="same", use_bias=False,
                      name=f"conv_pw_{block_id}")(x)
    x = layers.BatchNormalization(axis=-1, name=f"conv_pw_{block_id}_bn")(x)
    return layers.ReLU(6.0, name=f"conv_pw_{block_id}_relu")(x)


def _check_imagenet(alpha, depth_multiplier):
    if depth_multiplier != 1:
        raise ValueError(f"[MobileNet] ImageNet weights need depth_multiplier=1. Received: "
                         f"depth_multiplier={depth_multiplier}")
    if alpha not in _IMAGENET_ALPHA_TEXT:
        raise ValueError(f"[MobileNet] ImageNet weights exist for alpha in 0.25, 0.50, 0.75, "
                         f"1.0. Received: alpha={alpha}")


def MobileNet(input_shape=None, alpha=1.0, depth_multiplier=1, dropout=1e-3, include_top=True,
              weights="imagenet", input_tensor=None, pooling=None, classes=1000,
              classifier_activation="softmax", name=None):
    common.check_weights(weights, include_top, classes, "MobileNet")
    common.check_pooling(pooling, "MobileNet")
    common.validate_activation(classifier_activation, weights, include_top, "MobileNet")
    if not alpha > 0:
        raise ValueError(f"[MobileNet] alpha must be positive. Received: alpha={alpha}")
    if weights == "imagenet":
        _check_imagenet(alpha, depth_multiplier)
    # Keras: a square input of an ImageNet size is its own default size (weights exist for it)
    default_size = 224
    if input_shape is not None and len(input_shape) == 3 and \
            input_shape[0] == input_shape[1] and input_shape[0] in _IMAGENET_ROWS:
        default_size = input_shape[0]
    shape = common.input_shape_for(input_shape, default_size, 32, include_top, weights,
                                   "MobileNet")
    rows = shape[0]
    weights_rows = rows
    if weights == "imagenet" and (rows != shape[1] or rows not in _IMAGENET_ROWS):
        warnings.warn("MobileNet: input_shape is undefined or non-square, or its rows are not "
                      "in [128, 160, 192, 224]; the weights for 224x224 are loaded",
                      stacklevel=2)
        weights_rows = 224
    weights_file = None
    if weights == "imagenet":
        weights_file = (f"mobilenet_{_IMAGENET_ALPHA_TEXT[alpha]}_{weights_rows}_tf" +
                        ("" if include_top else "_no_top") + ".weights.npz")
        common.imagenet_weights_path("MobileNet", weights_file)  # fail before building
    inputs = common.inputs_for(input_tensor, shape)

    x = layers.Conv2D(int(32 * alpha), (3, 3), padding="same", use_bias=False, strides=(2, 2),
                      name="conv1")(inputs)
    x = layers.BatchNormalization(axis=-1, name="conv1_bn")(x)
    x = layers.ReLU(6.0, name="conv1_relu")(x)
    for block_id, (filters, stride) in enumerate(_BLOCKS, start=1):
        x = _depthwise_conv_block(x, filters, alpha, depth_multiplier, stride, block_id)

    if include_top:
        # the classifier is a 1x1 convolution on the pooled 1x1 map, as in Keras (its kernel
        # is (1, 1, channels, classes): Keras' weight files map without reshaping)
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Dropout(dropout, name="dropout")(x)
        x = layers.Conv2D(classes, (1, 1), padding="same", name="conv_preds")(x)
        x = layers.Reshape((classes,), name="reshape_2")(x)
        x = layers.Activation(classifier_activation, name="predictions")(x)
    else:
        x = common.pooled_head(x, False, pooling, classes, classifier_activation)
    # Keras names it 'mobilenet_1.00_224'; a layer name here may not contain '.' (it is the
    # module key in state_dict paths), so the dot becomes '_' (as for MobileNetV2)
    name = name or f"mobilenet_{alpha:0.2f}_{rows}".replace(".", "_")
    return common.finish(inputs, x, name, weights, weights_file)


def preprocess_input(x, data_format=None):
    return common.preprocess_input(x, "tf", data_format)


decode_predictions = common.decode_predictions
