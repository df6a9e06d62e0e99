"""keras.applications: the architectures transfer-learning tutorials start from, built with
Keras' arguments, layer names and parameter counts (VGG16, VGG19, ResNet50 / 101 / 152,
ResNet50V2 / 101V2 / 152V2, MobileNet, MobileNetV2, MobileNetV3Small / Large, Xception,
InceptionV3, InceptionResNetV2, DenseNet121 / 169 / 201, EfficientNetB0 ... B7,
EfficientNetV2B0 ... B3 / S / M / L, ConvNeXtTiny / Small / Base / Large / XLarge, NASNetMobile /
Large).

weights=None gives a freshly initialised network; weights=<path> loads a pyengine weights file
(model.save_weights); weights='imagenet' looks for that file in $PYENGINE_HOME/models (default
~/.pyengine/models) and, since pyengine downloads no weights, raises a clear error naming the path
when it is missing."""
from . import (convnext, densenet, efficientnet, efficientnet_v2, imagenet_utils,  # noqa: F401
               inception_resnet_v2, inception_v3, mobilenet, mobilenet_v2, mobilenet_v3, nasnet,
               resnet, resnet50, resnet_v2, vgg16, vgg19, xception)
from .convnext import (ConvNeXtBase, ConvNeXtLarge, ConvNeXtSmall, ConvNeXtTiny,
                       ConvNeXtXLarge)
from .densenet import DenseNet121, DenseNet169, DenseNet201
from .efficientnet import (EfficientNetB0, EfficientNetB1, EfficientNetB2, EfficientNetB3,
                           EfficientNetB4, EfficientNetB5, EfficientNetB6, EfficientNetB7)
from .efficientnet_v2 import (EfficientNetV2B0, EfficientNetV2B1, EfficientNetV2B2,
                              EfficientNetV2B3, EfficientNetV2L, EfficientNetV2M, EfficientNetV2S)
from .inception_resnet_v2 import InceptionResNetV2
from .inception_v3 import InceptionV3
from .mobilenet import MobileNet
from .mobilenet_v2 import MobileNetV2
from .mobilenet_v3 import MobileNetV3Large, MobileNetV3Small
from .nasnet import NASNetLarge, NASNetMobile
from .resnet import ResNet50, ResNet101, ResNet152
from .resnet_v2 import ResNet50V2, ResNet101V2, ResNet152V2
from .vgg16 import VGG16
from .vgg19 import VGG19
from .xception import Xception

__all__ = ["ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtSmall", "ConvNeXtTiny", "ConvNeXtXLarge",
           "DenseNet121", "DenseNet169", "DenseNet201", "EfficientNetB0", "EfficientNetB1",
           "EfficientNetB2", "EfficientNetB3", "EfficientNetB4", "EfficientNetB5", "EfficientNetB6",
           "EfficientNetB7", "EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2",
           "EfficientNetV2B3", "EfficientNetV2S", "EfficientNetV2M", "EfficientNetV2L",
           "InceptionResNetV2", "InceptionV3", "MobileNet", "MobileNetV2", "MobileNetV3Large",
           "MobileNetV3Small", "NASNetLarge", "NASNetMobile", "ResNet50", "ResNet101", "ResNet152",
           "ResNet50V2", "ResNet101V2", "ResNet152V2", "VGG16", "VGG19", "Xception",
           "convnext", "densenet", "efficientnet", "efficientnet_v2", "imagenet_utils",
           "inception_resnet_v2", "inception_v3", "mobilenet", "mobilenet_v2", "mobilenet_v3",
           "nasnet", "resnet", "resnet50", "resnet_v2", "vgg16", "vgg19", "xception"]
