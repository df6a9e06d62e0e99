"""VGG16 (Simonyan & Zisserman 2014) as keras.applications.VGG16 builds it: five blocks of 3x3
convolutions ('block1_conv1' ... 'block5_pool'), then 'flatten', 'fc1', 'fc2', 'predictions'.
138,357,544 parameters with the top."""
from .. import layers
from . import common


def VGG16(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
          pooling=None, classes=1000, classifier_activation="softmax", name="vgg16"):
    common.check_weights(weights, include_top, classes, "VGG16")
    shape = common.input_shape_for(input_shape, 224, 32, include_top, weights, "VGG16")
    inputs = common.inputs_for(input_tensor, shape)
    x = inputs
    for block, (filters, convs) in enumerate(((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)),
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
    return common.finish(inputs, x, name, weights,
                         "vgg16_weights_tf_dim_ordering_tf_kernels" +
                         ("" if include_top else "_notop") + ".weights.npz")


def preprocess_input(x, data_format=None):
    return common.preprocess_input(x, "caffe", data_format)


decode_predictions = common.decode_predictions
