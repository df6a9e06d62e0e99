"""VGG19 as keras.applications.VGG19 builds it: VGG16's blocks with four convolutions in the
last three (vgg16.build_vgg); the same caffe-style preprocessing."""
from .vgg16 import build_vgg, decode_predictions, preprocess_input  # noqa: F401


def VGG19(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
          pooling=None, classes=1000, classifier_activation="softmax", name="vgg19"):
    return build_vgg("VGG19", (2, 2, 4, 4, 4), include_top, weights, input_tensor, input_shape,
                     pooling, classes, classifier_activation, name)
