"""keras.applications.resnet50: the module path Keras 2 tutorials import from."""
from .resnet import ResNet50, decode_predictions, preprocess_input  # noqa: F401
