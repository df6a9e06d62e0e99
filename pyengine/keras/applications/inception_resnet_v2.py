"""InceptionResNetV2 (Szegedy et al. 2016) as keras.applications builds it: a stem of five
convolutions and two max pools, Inception-A 'mixed_5b', ten Inception-ResNet-A blocks
('block35_1' ... 'block35_10'), reduction 'mixed_6a', twenty Inception-ResNet-B blocks
('block17_1' ...), reduction 'mixed_7a', ten Inception-ResNet-C blocks ('block8_1' ...; the last
without its relu), 'conv_7b', then the head. Each residual block adds its 1x1-projected branches,
times a fixed scale (0.17, 0.1, 0.2; CustomScaleLayer), to its input. Every other convolution is
conv (no bias) -> BatchNormalization(scale=False) -> relu, unnamed as in Keras. 55,873,736
parameters with the top, 54,336,736 without. Inputs are scaled to [-1, 1] (preprocess_input);
the smallest input is 75x75."""
from .. import layers
from ..layers.base import Layer
from ..saving import register_keras_serializable
from . import common


def conv2d_bn(x, filters, kernel_size, strides=1, padding="same", activation="relu",
              use_bias=False, name=None):
    """Conv2D, then (without a bias) BatchNormalization(scale=False), then the activation;
    named name, name + '_bn', name + '_ac' when name is given."""
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding=padding, use_bias=use_bias,
                      name=name)(x)
    if not use_bias:
        x = layers.BatchNormalization(axis=3, scale=False,
                                      name=None if name is None else name + "_bn")(x)
    if activation is not None:
        x = layers.Activation(activation, name=None if name is None else name + "_ac")(x)
    return x


@register_keras_serializable(package="pyengine_applications")
class CustomScaleLayer(Layer):
    """inputs[0] + inputs[1] * scale: a residual branch added to its shortcut at a fixed
    scale."""

    def __init__(self, scale, **kwargs):
        super().__init__(**kwargs)
        self.scale = float(scale)

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(f"[{self.name}] expects [shortcut, residual]. Received: "
                             f"{type(inputs).__name__}")
        return inputs[0] + inputs[1] * self.scale

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


def inception_resnet_block(x, scale, block_type, block_idx, activation="relu"):
    """x + scale * conv1x1(concat(branches)), then the activation; block_type 'block35'
    (Inception-ResNet-A), 'block17' (B) or 'block8' (C)."""
    if block_type == "block35":
        branches = [conv2d_bn(x, 32, 1),
                    conv2d_bn(conv2d_bn(x, 32, 1), 32, 3),
                    conv2d_bn(conv2d_bn(conv2d_bn(x, 32, 1), 48, 3), 64, 3)]
    elif block_type == "block17":
        branches = [conv2d_bn(x, 192, 1),
                    conv2d_bn(conv2d_bn(conv2d_bn(x, 128, 1), 160, [1, 7]), 192, [7, 1])]
    elif block_type == "block8":
        branches = [conv2d_bn(x, 192, 1),
                    conv2d_bn(conv2d_bn(conv2d_bn(x, 192, 1), 224, [1, 3]), 256, [3, 1])]
    else:
        raise ValueError(f"[inception_resnet_block] block_type must be 'block35', 'block17' or "
                         f"'block8'. Received: block_type={block_type!r}")
    block_name = f"{block_type}_{block_idx}"
    mixed = layers.Concatenate(axis=3, name=block_name + "_mixed")(branches)
    up = conv2d_bn(mixed, x.shape[3], 1, activation=None, use_bias=True,
                   name=block_name + "_conv")
    x = CustomScaleLayer(scale)([x, up])
    if activation is not None:
        x = layers.Activation(activation, name=block_name + "_ac")(x)
    return x


def InceptionResNetV2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                      pooling=None, classes=1000, classifier_activation="softmax",
                      name="inception_resnet_v2"):
    inputs, _, weights_file = common.begin(
        "InceptionResNetV2", weights=weights, include_top=include_top, classes=classes,
        pooling=pooling, classifier_activation=classifier_activation, input_shape=input_shape,
        input_tensor=input_tensor, default_size=299, min_size=75,
        weights_stem="inception_resnet_v2_weights_tf_dim_ordering_tf_kernels")

    # stem: 35 x 35 x 192 at 299 x 299
    x = conv2d_bn(inputs, 32, 3, strides=2, padding="valid")
    x = conv2d_bn(x, 32, 3, padding="valid")
    x = conv2d_bn(x, 64, 3)
    x = layers.MaxPooling2D(3, strides=2)(x)
    x = conv2d_bn(x, 80, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, padding="valid")
    x = layers.MaxPooling2D(3, strides=2)(x)

    # mixed_5b (Inception-A): 35 x 35 x 320
    # (branches built in Keras' order: the unnamed layers' names and the weight order follow it)
    x = layers.Concatenate(axis=3, name="mixed_5b")([
        conv2d_bn(x, 96, 1), conv2d_bn(conv2d_bn(x, 48, 1), 64, 5),
        conv2d_bn(conv2d_bn(conv2d_bn(x, 64, 1), 96, 3), 96, 3),
        conv2d_bn(layers.AveragePooling2D(3, strides=1, padding="same")(x), 64, 1)])
    for block_idx in range(1, 11):
        x = inception_resnet_block(x, 0.17, "block35", block_idx)

    # mixed_6a (reduction A): 17 x 17 x 1088
    x = layers.Concatenate(axis=3, name="mixed_6a")([
        conv2d_bn(x, 384, 3, strides=2, padding="valid"),
        conv2d_bn(conv2d_bn(conv2d_bn(x, 256, 1), 256, 3), 384, 3, strides=2, padding="valid"),
        layers.MaxPooling2D(3, strides=2, padding="valid")(x)])
    for block_idx in range(1, 21):
        x = inception_resnet_block(x, 0.1, "block17", block_idx)

    # mixed_7a (reduction B): 8 x 8 x 2080
    x = layers.Concatenate(axis=3, name="mixed_7a")([
        conv2d_bn(conv2d_bn(x, 256, 1), 384, 3, strides=2, padding="valid"),
        conv2d_bn(conv2d_bn(x, 256, 1), 288, 3, strides=2, padding="valid"),
        conv2d_bn(conv2d_bn(conv2d_bn(x, 256, 1), 288, 3), 320, 3, strides=2, padding="valid"),
        layers.MaxPooling2D(3, strides=2, padding="valid")(x)])
    for block_idx in range(1, 10):
        x = inception_resnet_block(x, 0.2, "block8", block_idx)
    x = inception_resnet_block(x, 1.0, "block8", 10, activation=None)

    x = conv2d_bn(x, 1536, 1, name="conv_7b")  # 8 x 8 x 1536
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D()(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D()(x)
    return common.finish(inputs, x, name, weights, weights_file)


def preprocess_input(x, data_format=None):
    return common.preprocess_input(x, "tf", data_format)


decode_predictions = common.decode_predictions
