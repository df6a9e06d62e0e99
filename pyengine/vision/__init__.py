"""A small torchvision-like package: `pyengine.vision.models` (ResNet-18/34, VGG-11/16 with
torchvision's module and parameter names), `pyengine.vision.transforms` (ToTensor, Normalize,
Compose, Lambda, crops, flips, Resize, RandomResizedCrop) and `pyengine.vision.datasets` (MNIST,
FashionMNIST, CIFAR10 read from torchvision's files on disk, nothing is downloaded; ImageFolder) and `pyengine.vision.utils.make_grid`. A program that does `import torchvision`
runs with `import pyengine.vision as torchvision`."""
from . import datasets, models, transforms, utils

__all__ = ["datasets", "models", "transforms", "utils"]
