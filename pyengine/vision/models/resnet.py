"""ResNet-18 / 34 / 50 / 101 / 152 (He et al. 2015) with torchvision's module tree and parameter
names: conv1, bn1, relu, maxpool, layer1..layer4 (BasicBlock: conv1, bn1, relu, conv2, bn2;
Bottleneck: conv1 (1x1), bn1, conv2 (3x3, the stride: torchvision's "v1.5"), bn2, conv3 (1x1,
4x the width), bn3; downsample = Sequential(1x1 conv, BatchNorm2d) when the shape changes),
avgpool, fc; so a
torchvision state_dict loads unchanged and children() lists the stages in torchvision's order.
Init as torchvision: convolutions kaiming_normal(fan_out, relu), BatchNorm weight 1 / bias 0,
fc PyTorch's Linear default; zero_init_residual zeroes each block's last BatchNorm weight.
Input (N, 3, H, W) -> logits (N, num_classes)."""
from ... import nn
from .weights import load_into, resolve

__all__ = ["ResNet", "BasicBlock", "Bottleneck", "resnet18", "resnet34", "resnet50", "resnet101",
           "resnet152"]


def conv3x3(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, 3, stride=stride, padding=1, bias=False)


def conv1x1(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, 1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)); two 3x3 convolutions."""
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None, norm_layer=None):
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return self.relu(out + shortcut)


class Bottleneck(nn.Module):
    """relu(bn3(conv3(relu(bn2(conv2(relu(bn1(conv1(x)))))))) + shortcut(x)): 1x1 reduce, 3x3
    (strided, grouped when groups > 1), 1x1 expand to planes * 4."""
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64,
                 dilation=1, norm_layer=None):
        super().__init__()
        if dilation != 1:
            raise NotImplementedError("[Bottleneck] dilation > 1 is not supported")
        norm_layer = norm_layer or nn.BatchNorm2d
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, groups=groups,
                               bias=False)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return self.relu(out + shortcut)


class ResNet(nn.Module):
    def __init__(self, block, layers, num_classes=1000, zero_init_residual=False, groups=1,
                 width_per_group=64, replace_stride_with_dilation=None, norm_layer=None):
        super().__init__()
        if block is not Bottleneck and (groups != 1 or width_per_group != 64):
            raise ValueError(f"[ResNet] {block.__name__} supports only groups=1 and "
                             f"width_per_group=64. Received: groups={groups}, "
                             f"width_per_group={width_per_group}")
        if replace_stride_with_dilation not in (None, [False] * 3, (False,) * 3):
            raise ValueError(f"[ResNet] dilation is not supported in {block.__name__}. "
                             f"Received: replace_stride_with_dilation="
                             f"{replace_stride_with_dilation!r}")
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f"[ResNet] num_classes must be a positive int. Received: "
                             f"num_classes={num_classes!r}")
        self._norm_layer = norm_layer or nn.BatchNorm2d
        self.groups, self.base_width = groups, width_per_group
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = self._norm_layer(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d) and m.affine:
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, BasicBlock) and m.bn2.affine:
                    nn.init.zeros_(m.bn2.weight)
                elif isinstance(m, Bottleneck) and m.bn3.affine:
                    nn.init.zeros_(m.bn3.weight)

    def _make_layer(self, block, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
                                       self._norm_layer(planes * block.expansion))
        extra = ({"groups": self.groups, "base_width": self.base_width}
                 if block is Bottleneck else {})
        layers = [block(self.inplanes, planes, stride, downsample, norm_layer=self._norm_layer,
                        **extra)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes, norm_layer=self._norm_layer, **extra)
                   for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


def _resnet(name, file_name, layers, weights, progress, pretrained, kwargs, block=BasicBlock):
    if not isinstance(progress, bool):
        raise ValueError(f"[{name}] progress must be a bool. Received: progress={progress!r}")
    path = resolve(weights, pretrained, name, file_name)
    model = ResNet(block, layers, **kwargs)
    return model if path is None else load_into(model, path, name)


def resnet18(*, weights=None, progress=True, pretrained=None, **kwargs):
    """ResNet-18 (11,689,512 parameters with num_classes=1000). weights: None, a state-dict
    file, or a pretrained name (see vision/models/weights.py: nothing is downloaded, so
    `progress` has nothing to show).

    >>> pe.vision.models.resnet18()(pe.randn(1, 3, 64, 64)).shape
    (1, 1000)
    """
    return _resnet("resnet18", "resnet18-f37072fd.pth", [2, 2, 2, 2], weights, progress,
                   pretrained, kwargs)


def resnet34(*, weights=None, progress=True, pretrained=None, **kwargs):
    """ResNet-34 (21,797,672 parameters with num_classes=1000); arguments as resnet18."""
    return _resnet("resnet34", "resnet34-b627a593.pth", [3, 4, 6, 3], weights, progress,
                   pretrained, kwargs)


def resnet50(*, weights=None, progress=True, pretrained=None, **kwargs):
    """ResNet-50 (25,557,032 parameters with num_classes=1000; Bottleneck blocks);
    arguments as resnet18."""
    return _resnet("resnet50", "resnet50-0676ba61.pth", [3, 4, 6, 3], weights, progress,
                   pretrained, kwargs, Bottleneck)


def resnet101(*, weights=None, progress=True, pretrained=None, **kwargs):
    """ResNet-101 (44,549,160 parameters with num_classes=1000); arguments as resnet18."""
    return _resnet("resnet101", "resnet101-63fe2227.pth", [3, 4, 23, 3], weights, progress,
                   pretrained, kwargs, Bottleneck)


def resnet152(*, weights=None, progress=True, pretrained=None, **kwargs):
    """ResNet-152 (60,192,808 parameters with num_classes=1000); arguments as resnet18."""
    return _resnet("resnet152", "resnet152-394f9c45.pth", [3, 8, 36, 3], weights, progress,
                   pretrained, kwargs, Bottleneck)
