"""keras.applications.imagenet_utils (Keras 2's module, which programs import directly:
keras-io MobileViT calls `imagenet_utils.correct_pad(m, 3)` before a stride-2 depthwise
convolution). Keras' argument order: preprocess_input(x, data_format=None, mode="caffe")."""
from . import common
from .common import correct_pad, decode_predictions  # noqa: F401


def preprocess_input(x, data_format=None, mode="caffe"):
    return common.preprocess_input(x, mode, data_format)
