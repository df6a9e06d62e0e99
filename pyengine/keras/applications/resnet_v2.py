"""ResNet50V2 / 101V2 / 152V2 (He et al. 2016, identity mappings) as keras.applications builds
them: pre-activation bottleneck blocks ('conv2_block1_preact_bn' ... 'conv5_block3_out') on
resnet.py's stem and head, closed by 'post_bn' / 'post_relu'. As in Keras, a stage's LAST block
strides (its shortcut a 1x1 / stride max pool), not its first. 25,613,800 / 44,675,560 /
60,380,648 parameters with the top. Inputs are scaled to [-1, 1] (preprocess_input)."""
from .. import layers
from . import common
from .resnet import _EPS, build_resnet


def residual_block_v2(x, filters, kernel_size=3, stride=1, conv_shortcut=False, name=None):
    """BN-relu once, shared by the shortcut's 1x1 projection and the 1x1 -> kxk -> 1x1 branch;
    the residual sum is not followed by an activation (the next block's pre-activation is)."""
    preact = layers.BatchNormalization(axis=3, epsilon=_EPS, name=name + "_preact_bn")(x)
    preact = layers.Activation("relu", name=name + "_preact_relu")(preact)
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=name + "_0_conv")(preact)
    else:
        shortcut = layers.MaxPooling2D(1, strides=stride)(x) if stride > 1 else x
    y = layers.Conv2D(filters, 1, strides=1, use_bias=False, name=name + "_1_conv")(preact)
    y = layers.BatchNormalization(axis=3, epsilon=_EPS, name=name + "_1_bn")(y)
    y = layers.Activation("relu", name=name + "_1_relu")(y)
    y = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name=name + "_2_pad")(y)
    y = layers.Conv2D(filters, kernel_size, strides=stride, use_bias=False,
                      name=name + "_2_conv")(y)
    y = layers.BatchNormalization(axis=3, epsilon=_EPS, name=name + "_2_bn")(y)
    y = layers.Activation("relu", name=name + "_2_relu")(y)
    y = layers.Conv2D(4 * filters, 1, name=name + "_3_conv")(y)
    return layers.Add(name=name + "_out")([shortcut, y])


def stack_residual_blocks_v2(x, filters, blocks, stride1=2, name=None):
    x = residual_block_v2(x, filters, conv_shortcut=True, name=name + "_block1")
    for i in range(2, blocks):
        x = residual_block_v2(x, filters, name=f"{name}_block{i}")
    return residual_block_v2(x, filters, stride=stride1, name=f"{name}_block{blocks}")


def _v2_stages(conv3, conv4):
    """conv2 .. conv5 with 3, conv3, conv4, 3 blocks; conv2 .. conv4 end strided, conv5 not."""
    def stack_fn(x):
        x = stack_residual_blocks_v2(x, 64, 3, name="conv2")
        x = stack_residual_blocks_v2(x, 128, conv3, name="conv3")
        x = stack_residual_blocks_v2(x, 256, conv4, name="conv4")
        return stack_residual_blocks_v2(x, 512, 3, stride1=1, name="conv5")
    return stack_fn


def ResNet50V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
               pooling=None, classes=1000, classifier_activation="softmax", name="resnet50v2"):
    return build_resnet("ResNet50V2", _v2_stages(4, 6), True, True, include_top, weights,
                        input_tensor, input_shape, pooling, classes, classifier_activation, name)


def ResNet101V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="resnet101v2"):
    return build_resnet("ResNet101V2", _v2_stages(4, 23), True, True, include_top, weights,
                        input_tensor, input_shape, pooling, classes, classifier_activation, name)


def ResNet152V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="resnet152v2"):
    return build_resnet("ResNet152V2", _v2_stages(8, 36), True, True, include_top, weights,
                        input_tensor, input_shape, pooling, classes, classifier_activation, name)


def preprocess_input(x, data_format=None):
    return common.preprocess_input(x, "tf", data_format)


decode_predictions = common.decode_predictions
