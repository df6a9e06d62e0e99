"""ResNet50 / 101 / 152 (He et al. 2015) as keras.applications builds them: the v1 bottleneck
blocks with Keras' layer names ('conv1_pad', 'conv1_conv', 'conv2_block1_0_conv', ...,
'conv5_block3_out', 'avg_pool', 'predictions'); the three differ in the stages' lengths (3, 4,
6 / 23 / 36, 3 blocks). 25,636,712 / 44,707,176 / 60,419,944 parameters with the top. build_resnet
is the stem and head they share with the v2 family (resnet_v2.py)."""
from .. import layers
from . import common

_EPS = 1.001e-5


def residual_block_v1(x, filters, kernel_size=3, stride=1, conv_shortcut=True, name=None):
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=name + "_0_conv")(x)
        shortcut = layers.BatchNormalization(axis=3, epsilon=_EPS, name=name + "_0_bn")(shortcut)
    else:
        shortcut = x
    x = layers.Conv2D(filters, 1, strides=stride, name=name + "_1_conv")(x)
    x = layers.BatchNormalization(axis=3, epsilon=_EPS, name=name + "_1_bn")(x)
    x = layers.Activation("relu", name=name + "_1_relu")(x)
    x = layers.Conv2D(filters, kernel_size, padding="SAME", name=name + "_2_conv")(x)
    x = layers.BatchNormalization(axis=3, epsilon=_EPS, name=name + "_2_bn")(x)
    x = layers.Activation("relu", name=name + "_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=name + "_3_conv")(x)
    x = layers.BatchNormalization(axis=3, epsilon=_EPS, name=name + "_3_bn")(x)
    x = layers.Add(name=name + "_add")([shortcut, x])
    return layers.Activation("relu", name=name + "_out")(x)


def stack_residual_blocks_v1(x, filters, blocks, stride1=2, name=None):
    x = residual_block_v1(x, filters, stride=stride1, name=name + "_block1")
    for i in range(2, blocks + 1):
        x = residual_block_v1(x, filters, conv_shortcut=False, name=f"{name}_block{i}")
    return x


def build_resnet(arch, stack_fn, preact, use_bias, include_top, weights, input_tensor,
                 input_shape, pooling, classes, classifier_activation, name):
    """Keras' ResNet(): a 7x7 / 2 stem and a 3x3 / 2 max pool, stack_fn's stages, then the head.
    preact (v2): the stem has no BatchNormalization / relu (each block normalises its own input)
    and a 'post_bn' / 'post_relu' closes the stages instead."""
    inputs, _, weights_file = common.begin(
        arch, weights=weights, include_top=include_top, classes=classes, pooling=pooling,
        classifier_activation=classifier_activation, input_shape=input_shape,
        input_tensor=input_tensor, default_size=224, min_size=32,
        weights_stem=f"{arch.lower()}_weights_tf_dim_ordering_tf_kernels")
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(inputs)
    x = layers.Conv2D(64, 7, strides=2, use_bias=use_bias, name="conv1_conv")(x)
    if not preact:
        x = layers.BatchNormalization(axis=3, epsilon=_EPS, name="conv1_bn")(x)
        x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    x = stack_fn(x)
    if preact:
        x = layers.BatchNormalization(axis=3, epsilon=_EPS, name="post_bn")(x)
        x = layers.Activation("relu", name="post_relu")(x)
    x = common.pooled_head(x, include_top, pooling, classes, classifier_activation,
                           avg_name="avg_pool")
    return common.finish(inputs, x, name, weights, weights_file)


def _v1_stages(conv3, conv4):
    """conv2 .. conv5 with 3, conv3, conv4, 3 blocks; conv2 keeps the pooled resolution."""
    def stack_fn(x):
        x = stack_residual_blocks_v1(x, 64, 3, stride1=1, name="conv2")
        x = stack_residual_blocks_v1(x, 128, conv3, name="conv3")
        x = stack_residual_blocks_v1(x, 256, conv4, name="conv4")
        return stack_residual_blocks_v1(x, 512, 3, name="conv5")
    return stack_fn


def ResNet50(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
             pooling=None, classes=1000, classifier_activation="softmax", name="resnet50"):
    return build_resnet("ResNet50", _v1_stages(4, 6), False, True, include_top, weights,
                        input_tensor, input_shape, pooling, classes, classifier_activation, name)


def ResNet101(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
              pooling=None, classes=1000, classifier_activation="softmax", name="resnet101"):
    return build_resnet("ResNet101", _v1_stages(4, 23), False, True, include_top, weights,
                        input_tensor, input_shape, pooling, classes, classifier_activation, name)


def ResNet152(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
              pooling=None, classes=1000, classifier_activation="softmax", name="resnet152"):
    return build_resnet("ResNet152", _v1_stages(8, 36), False, True, include_top, weights,
                        input_tensor, input_shape, pooling, classes, classifier_activation, name)


def preprocess_input(x, data_format=None):
    return common.preprocess_input(x, "caffe", data_format)


decode_predictions = common.decode_predictions
