"""DenseNet121 / 169 / 201 (Huang et al. 2017) as keras.applications builds them: a 7x7 stem
('conv1_conv', 'pool1'), four dense blocks of pre-activation bottleneck layers whose outputs are
concatenated onto their inputs ('conv2_block1_0_bn' ... 'conv2_block6_concat'), halving
transitions between them ('pool2_conv', 'pool2_pool', ...), a last 'bn' / 'relu', then the head.
The three differ only in the dense blocks' lengths. With the top: 8,062,504 / 14,307,880 /
20,242,984 parameters. Inputs are preprocessed in 'torch' mode (preprocess_input)."""
from .. import layers
from . import common

_EPS = 1.001e-5
_GROWTH = 32  # channels each bottleneck layer adds to the block's running concatenation
_SIZES = {(6, 12, 24, 16): "densenet121", (6, 12, 32, 32): "densenet169",
          (6, 12, 48, 32): "densenet201"}


def _bn_relu(x, name):
    x = layers.BatchNormalization(axis=3, epsilon=_EPS, name=name + "_bn")(x)
    return layers.Activation("relu", name=name + "_relu")(x)


def conv_block(x, growth_rate, name):
    """BN-relu-1x1 (4 * growth_rate) -> BN-relu-3x3 (growth_rate), concatenated onto x."""
    y = _bn_relu(x, name + "_0")
    y = layers.Conv2D(4 * growth_rate, 1, use_bias=False, name=name + "_1_conv")(y)
    y = _bn_relu(y, name + "_1")
    y = layers.Conv2D(growth_rate, 3, padding="same", use_bias=False, name=name + "_2_conv")(y)
    return layers.Concatenate(axis=3, name=name + "_concat")([x, y])


def dense_block(x, blocks, name):
    for i in range(1, blocks + 1):
        x = conv_block(x, _GROWTH, name=f"{name}_block{i}")
    return x


def transition_block(x, reduction, name):
    """BN-relu-1x1 keeping `reduction` of the channels, then a 2x2 / 2 average pool."""
    x = _bn_relu(x, name)
    x = layers.Conv2D(int(x.shape[3] * reduction), 1, use_bias=False, name=name + "_conv")(x)
    return layers.AveragePooling2D(2, strides=2, name=name + "_pool")(x)


def DenseNet(blocks, include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
             pooling=None, classes=1000, classifier_activation="softmax", name=None):
    """The shared builder: `blocks` are the four dense blocks' lengths. ImageNet weights exist
    only for the three published lengths."""
    blocks = tuple(int(b) for b in blocks)
    if len(blocks) != 4 or min(blocks) < 1:
        raise ValueError(f"[DenseNet] blocks must be four positive lengths. Received: "
                         f"blocks={blocks}")
    arch = _SIZES.get(blocks, "densenet")
    if weights == "imagenet" and arch == "densenet":
        raise ValueError(f"[DenseNet] ImageNet weights exist for blocks {sorted(_SIZES)} only. "
                         f"Received: blocks={blocks}")
    inputs, _, weights_file = common.begin(
        arch, weights=weights, include_top=include_top, classes=classes, pooling=pooling,
        classifier_activation=classifier_activation, input_shape=input_shape,
        input_tensor=input_tensor, default_size=224, min_size=32,
        weights_stem=f"{arch}_weights_tf_dim_ordering_tf_kernels")
    name = name or arch

    # the stem's two paddings are unnamed in Keras too
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)))(inputs)
    x = layers.Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = _bn_relu(x, "conv1")
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    for stage, length in enumerate(blocks, start=2):
        x = dense_block(x, length, name=f"conv{stage}")
        if stage < 5:
            x = transition_block(x, 0.5, name=f"pool{stage}")
    x = layers.BatchNormalization(axis=3, epsilon=_EPS, name="bn")(x)
    x = layers.Activation("relu", name="relu")(x)
    x = common.pooled_head(x, include_top, pooling, classes, classifier_activation,
                           avg_name="avg_pool")
    return common.finish(inputs, x, name, weights, weights_file)


def DenseNet121(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax", name="densenet121"):
    return DenseNet((6, 12, 24, 16), include_top, weights, input_tensor, input_shape, pooling,
                    classes, classifier_activation, name)


def DenseNet169(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax", name="densenet169"):
    return DenseNet((6, 12, 32, 32), include_top, weights, input_tensor, input_shape, pooling,
                    classes, classifier_activation, name)


def DenseNet201(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax", name="densenet201"):
    return DenseNet((6, 12, 48, 32), include_top, weights, input_tensor, input_shape, pooling,
                    classes, classifier_activation, name)


def preprocess_input(x, data_format=None):
    return common.preprocess_input(x, "torch", data_format)


decode_predictions = common.decode_predictions
