"""VGG-11 / 13 / 16 / 19 (Simonyan & Zisserman 2014), with and without BatchNorm, in torchvision's
layout: features (a Sequential of Conv2d 3x3 pad 1 [+ BatchNorm2d] + ReLU, MaxPool2d(2, 2) per
'M'), avgpool AdaptiveAvgPool2d((7, 7)), classifier (Linear 25088->4096, ReLU, Dropout,
Linear 4096->4096, ReLU, Dropout, Linear 4096->num_classes); the Sequential indices are
torchvision's, so its state_dict loads unchanged and `vgg16().features[:23]` is the
fast_neural_style loss network's slice. Init as torchvision (init_weights=True): convolutions
kaiming_normal(fan_out, relu) with zero bias, BatchNorm 1 / 0, Linear N(0, 0.01) with zero
bias."""
from ... import nn
from .weights import load_into, resolve

__all__ = ["VGG", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19",
           "vgg19_bn"]

CFGS = {"A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
        "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
        "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512,
              "M"],
        "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512,
              512, 512, 512, "M"]}


def make_layers(cfg, batch_norm=False):
    layers, in_channels = [], 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        layers.append(nn.Conv2d(in_channels, v, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(v))
        layers.append(nn.ReLU(inplace=True))
        in_channels = v
    return nn.Sequential(*layers)


class VGG(nn.Module):
    def __init__(self, features, num_classes=1000, init_weights=True, dropout=0.5):
        super().__init__()
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f"[VGG] num_classes must be a positive int. Received: "
                             f"num_classes={num_classes!r}")
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes))
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.zeros_(m.bias)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.ones_(m.weight)
                    nn.init.zeros_(m.bias)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0.0, 0.01)
                    nn.init.zeros_(m.bias)

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


def _vgg(name, file_name, cfg, batch_norm, weights, progress, pretrained, kwargs):
    if not isinstance(progress, bool):
        raise ValueError(f"[{name}] progress must be a bool. Received: progress={progress!r}")
    path = resolve(weights, pretrained, name, file_name)
    if path is not None:
        kwargs.setdefault("init_weights", False)  # the file overwrites every weight
    model = VGG(make_layers(CFGS[cfg], batch_norm), **kwargs)
    return model if path is None else load_into(model, path, name)


def vgg11(*, weights=None, progress=True, pretrained=None, **kwargs):
    """VGG-11 (132,863,336 parameters with num_classes=1000); weights as resnet18's."""
    return _vgg("vgg11", "vgg11-8a719046.pth", "A", False, weights, progress, pretrained,
                kwargs)


def vgg11_bn(*, weights=None, progress=True, pretrained=None, **kwargs):
    """VGG-11 with BatchNorm (132,868,840 parameters)."""
    return _vgg("vgg11_bn", "vgg11_bn-6002323d.pth", "A", True, weights, progress, pretrained,
                kwargs)


def vgg16(*, weights=None, progress=True, pretrained=None, **kwargs):
    """VGG-16 (138,357,544 parameters with num_classes=1000); weights as resnet18's.

    >>> pe.vision.models.vgg16(num_classes=10).features[:4]   # conv, relu, conv, relu
    """
    return _vgg("vgg16", "vgg16-397923af.pth", "D", False, weights, progress, pretrained,
                kwargs)


def vgg16_bn(*, weights=None, progress=True, pretrained=None, **kwargs):
    """VGG-16 with BatchNorm (138,365,992 parameters)."""
    return _vgg("vgg16_bn", "vgg16_bn-6c64b313.pth", "D", True, weights, progress, pretrained,
                kwargs)


def vgg13(*, weights=None, progress=True, pretrained=None, **kwargs):
    """VGG-13 (133,047,848 parameters with num_classes=1000)."""
    return _vgg("vgg13", "vgg13-19584684.pth", "B", False, weights, progress, pretrained,
                kwargs)


def vgg13_bn(*, weights=None, progress=True, pretrained=None, **kwargs):
    """VGG-13 with BatchNorm (133,053,736 parameters)."""
    return _vgg("vgg13_bn", "vgg13_bn-abd245e5.pth", "B", True, weights, progress, pretrained,
                kwargs)


def vgg19(*, weights=None, progress=True, pretrained=None, **kwargs):
    """VGG-19 (143,667,240 parameters with num_classes=1000): the loss network of the neural
    style tutorial (`vgg19(...).features`)."""
    return _vgg("vgg19", "vgg19-dcbb9e9d.pth", "E", False, weights, progress, pretrained,
                kwargs)


def vgg19_bn(*, weights=None, progress=True, pretrained=None, **kwargs):
    """VGG-19 with BatchNorm (143,678,248 parameters)."""
    return _vgg("vgg19_bn", "vgg19_bn-c79401a0.pth", "E", True, weights, progress, pretrained,
                kwargs)
