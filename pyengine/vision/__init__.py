"""A small torchvision-like package: `pyengine.vision.models` (ResNet-18/34, VGG-11/16 with
torchvision's module and parameter names). A program that does `import torchvision` runs with
`import pyengine.vision as torchvision`."""
from . import models

__all__ = ["models"]
