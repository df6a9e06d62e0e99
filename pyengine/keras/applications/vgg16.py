"""VGG16 (Simonyan & Zisserman 2014) as keras.applications.VGG16 builds it: five blocks of 3x3
convolutions ('block1_conv1' ... 'block5_pool'), then 'flatten', 'fc1', 'fc2', 'predictions'.
138,357,544 parameters with the top."""
from .. import layers
from . import common


def VGG16(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
          pooling=None, classes=1000, classifier_activation="softmax", name="vgg16"):
    return build_vgg("VGG16", (2, 2, 3, 3, 3), include_top, weights, input_tensor, input_shape,
                     pooling, classes, classifier_activation, name)


def build_vgg(arch, convs_per_block, include_top, weights, input_tensor, input_shape, pooling,
              classes, classifier_activation, name):
    """VGG16 / VGG19: the same five blocks (64, 128, 256, 512, 512 filters) with 2, 2, 3, 3, 3
    or 2, 2, 4, 4, 4 convolutions, Keras' layer names and weights file name."""
    inputs, _, weights_file = common.begin(
        arch, weights=weights, include_top=include_top, classes=classes, pooling=pooling,
        classifier_activation=classifier_activation, input_shape=input_shape,
        input_tensor=input_tensor, default_size=224, min_size=32,
        weights_stem=f"{arch.lower()}_weights_tf_dim_ordering_tf_kernels")
    x = inputs
    for block, (filters, convs) in enumerate(zip((64, 128, 256, 512, 512), convs_per_block),
                                             start=1):
        for i in range(1, convs + 1):
            x = layers.Conv2D(filters, (3, 3), activation="relu", padding="same",
                              name=f"block{block}_conv{i}")(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = common.pooled_head(x, False, pooling, classes, classifier_activation)
    return common.finish(inputs, x, name, weights, weights_file)


def preprocess_input(x, data_format=None):
    return common.preprocess_input(x, "caffe", data_format)


decode_predictions = common.decode_predictions
