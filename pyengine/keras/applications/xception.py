"""Xception (Chollet 2017) as keras.applications.Xception builds it: an entry flow of two
convolutions and three separable-convolution blocks with strided 1x1 shortcuts ('block1_conv1'
... 'block4_pool'), a middle flow of eight residual blocks of three separable convolutions
('block5' ... 'block12'), an exit flow ('block13', 'block14'), then the head. 22,910,480
parameters with the top, 20,861,480 without. The shortcut convolutions and their batch
normalizations are unnamed in Keras too. Inputs are scaled to [-1, 1] (preprocess_input)."""
from .. import layers
from . import common


def _bn(name=None):
    return layers.BatchNormalization(axis=-1, name=name)


def _sep(x, filters, name, act_first=True):
    """[relu ->] SeparableConv2D 3x3 'same' without bias -> BatchNormalization."""
    if act_first:
        x = layers.Activation("relu", name=name + "_act")(x)
    x = layers.SeparableConv2D(filters, (3, 3), padding="same", use_bias=False, name=name)(x)
    return _bn(name + "_bn")(x)


def _strided_block(x, filters, block, first_relu=True):
    """Two separable convolutions and a 3x3 / 2 max pool, plus a strided 1x1 shortcut."""
    f1, f2 = filters
    residual = layers.Conv2D(f2, (1, 1), strides=(2, 2), padding="same", use_bias=False)(x)
    residual = _bn()(residual)
    prefix = f"block{block}_sepconv"
    if first_relu:
        x = _sep(x, f1, prefix + "1")
    else:  # block 2 follows block1_conv2_act: no second activation before its first sepconv
        x = _sep(x, f1, prefix + "1", act_first=False)
    x = _sep(x, f2, prefix + "2")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same", name=f"block{block}_pool")(x)
    return layers.add([x, residual])


def Xception(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
             pooling=None, classes=1000, classifier_activation="softmax", name="xception"):
    inputs, _, weights_file = common.begin(
        "Xception", weights=weights, include_top=include_top, classes=classes, pooling=pooling,
        classifier_activation=classifier_activation, input_shape=input_shape,
        input_tensor=input_tensor, default_size=299, min_size=71,
        weights_stem="xception_weights_tf_dim_ordering_tf_kernels")

    x = layers.Conv2D(32, (3, 3), strides=(2, 2), use_bias=False, name="block1_conv1")(inputs)
    x = _bn("block1_conv1_bn")(x)
    x = layers.Activation("relu", name="block1_conv1_act")(x)
    x = layers.Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")(x)
    x = _bn("block1_conv2_bn")(x)
    x = layers.Activation("relu", name="block1_conv2_act")(x)

    x = _strided_block(x, (128, 128), 2, first_relu=False)
    x = _strided_block(x, (256, 256), 3)
    x = _strided_block(x, (728, 728), 4)
    for block in range(5, 13):  # middle flow
        residual = x
        for i in (1, 2, 3):
            x = _sep(x, 728, f"block{block}_sepconv{i}")
        x = layers.add([x, residual])
    x = _strided_block(x, (728, 1024), 13)

    for i, filters in ((1, 1536), (2, 2048)):  # exit flow: convolution, then activation
        x = _sep(x, filters, f"block14_sepconv{i}", act_first=False)
        x = layers.Activation("relu", name=f"block14_sepconv{i}_act")(x)
    x = common.pooled_head(x, include_top, pooling, classes, classifier_activation,
                           avg_name="avg_pool")
    return common.finish(inputs, x, name, weights, weights_file)


def preprocess_input(x, data_format=None):
    return common.preprocess_input(x, "tf", data_format)


decode_predictions = common.decode_predictions
