"""InceptionV3 (Szegedy et al. 2015) as keras.applications.InceptionV3 builds it: a stem of five
convolutions and two max pools, then eleven Inception modules whose outputs Keras names 'mixed0'
... 'mixed10' (35x35x256/288, 17x17x768, 8x8x1280/2048 at 299x299), then 'avg_pool' and
'predictions'. Every convolution is conv (no bias) -> BatchNormalization(scale=False) -> relu,
unnamed as in Keras. 23,851,784 parameters with the top, 21,802,784 without. Inputs are scaled
to [-1, 1] (preprocess_input); the smallest input is 75x75."""
from .. import layers
from . import common


def conv2d_bn(x, filters, num_row, num_col, padding="same", strides=(1, 1), name=None):
    """Conv2D without bias, BatchNormalization without gamma (the relu after it makes a scale
    redundant, so Keras leaves it out: this is part of the parameter count), relu."""
    x = layers.Conv2D(filters, (num_row, num_col), strides=strides, padding=padding,
                      use_bias=False, name=None if name is None else name + "_conv")(x)
    x = layers.BatchNormalization(axis=3, scale=False,
                                  name=None if name is None else name + "_bn")(x)
    return layers.Activation("relu", name=name)(x)


def _avg_branch(x, filters):
    """3x3 / 1 'same' average pool, then a 1x1 convolution: every non-reducing module's last
    branch."""
    x = layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x)
    return conv2d_bn(x, filters, 1, 1)


def _module_35(x, pool_filters, name):
    """mixed0..2: 1x1 | 1x1 -> 5x5 | 1x1 -> 3x3 -> 3x3 | pool -> 1x1."""
    b1 = conv2d_bn(x, 64, 1, 1)
    b5 = conv2d_bn(conv2d_bn(x, 48, 1, 1), 64, 5, 5)
    b3 = conv2d_bn(conv2d_bn(conv2d_bn(x, 64, 1, 1), 96, 3, 3), 96, 3, 3)
    return layers.concatenate([b1, b5, b3, _avg_branch(x, pool_filters)], axis=3, name=name)


def _reduce_35_to_17(x):
    """mixed3: strided 3x3 | 1x1 -> 3x3 -> strided 3x3 | strided max pool."""
    b3 = conv2d_bn(x, 384, 3, 3, strides=(2, 2), padding="valid")
    bd = conv2d_bn(conv2d_bn(x, 64, 1, 1), 96, 3, 3)
    bd = conv2d_bn(bd, 96, 3, 3, strides=(2, 2), padding="valid")
    pool = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    return layers.concatenate([b3, bd, pool], axis=3, name="mixed3")


def _module_17(x, mid, name):
    """mixed4..7: factorised 7x7 convolutions (1x7 then 7x1) with `mid` inner filters."""
    b1 = conv2d_bn(x, 192, 1, 1)
    b7 = conv2d_bn(x, mid, 1, 1)
    b7 = conv2d_bn(b7, mid, 1, 7)
    b7 = conv2d_bn(b7, 192, 7, 1)
    bd = conv2d_bn(x, mid, 1, 1)
    for kr, kc in ((7, 1), (1, 7), (7, 1)):
        bd = conv2d_bn(bd, mid, kr, kc)
    bd = conv2d_bn(bd, 192, 1, 7)
    return layers.concatenate([b1, b7, bd, _avg_branch(x, 192)], axis=3, name=name)


def _reduce_17_to_8(x):
    """mixed8: 1x1 -> strided 3x3 | 1x1 -> 1x7 -> 7x1 -> strided 3x3 | strided max pool."""
    b3 = conv2d_bn(conv2d_bn(x, 192, 1, 1), 320, 3, 3, strides=(2, 2), padding="valid")
    b7 = conv2d_bn(x, 192, 1, 1)
    b7 = conv2d_bn(b7, 192, 1, 7)
    b7 = conv2d_bn(b7, 192, 7, 1)
    b7 = conv2d_bn(b7, 192, 3, 3, strides=(2, 2), padding="valid")
    pool = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    return layers.concatenate([b3, b7, pool], axis=3, name="mixed8")


def _module_8(x, i):
    """mixed9, mixed10: expanded filter banks (1x3 and 3x1 side by side, 'mixed9_<i>')."""
    b1 = conv2d_bn(x, 320, 1, 1)
    b3 = conv2d_bn(x, 384, 1, 1)
    b3 = layers.concatenate([conv2d_bn(b3, 384, 1, 3), conv2d_bn(b3, 384, 3, 1)], axis=3,
                            name=f"mixed9_{i}")
    bd = conv2d_bn(conv2d_bn(x, 448, 1, 1), 384, 3, 3)
    bd = layers.concatenate([conv2d_bn(bd, 384, 1, 3), conv2d_bn(bd, 384, 3, 1)], axis=3)
    return layers.concatenate([b1, b3, bd, _avg_branch(x, 192)], axis=3, name=f"mixed{9 + i}")


def InceptionV3(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="inception_v3"):
    inputs, _, weights_file = common.begin(
        "InceptionV3", weights=weights, include_top=include_top, classes=classes,
        pooling=pooling, classifier_activation=classifier_activation, input_shape=input_shape,
        input_tensor=input_tensor, default_size=299, min_size=75,
        weights_stem="inception_v3_weights_tf_dim_ordering_tf_kernels")

    x = conv2d_bn(inputs, 32, 3, 3, strides=(2, 2), padding="valid")
    x = conv2d_bn(x, 32, 3, 3, padding="valid")
    x = conv2d_bn(x, 64, 3, 3)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = conv2d_bn(x, 80, 1, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, 3, padding="valid")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)

    for i, pool_filters in enumerate((32, 64, 64)):
        x = _module_35(x, pool_filters, f"mixed{i}")
    x = _reduce_35_to_17(x)
    for i, mid in enumerate((128, 160, 160, 192)):
        x = _module_17(x, mid, f"mixed{4 + i}")
    x = _reduce_17_to_8(x)
    for i in range(2):
        x = _module_8(x, i)

    # Keras names the top's pool 'avg_pool' but leaves the pooling=... layers unnamed.
    if include_top:
        x = common.pooled_head(x, True, pooling, classes, classifier_activation,
                               avg_name="avg_pool")
    else:
        x = common.pooled_head(x, False, pooling, classes, classifier_activation)
    return common.finish(inputs, x, name, weights, weights_file)


def preprocess_input(x, data_format=None):
    return common.preprocess_input(x, "tf", data_format)


decode_predictions = common.decode_predictions
