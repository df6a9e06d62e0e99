"""pyengine.vision.models: torchvision's parameter names, shapes and counts (the counts
torchvision documents), children() order, forward / backward, the weights= argument, and,
with torch installed, outputs equal to reference nets written here in torch.nn under
torchvision's names (torchvision itself is not installed) after loading their state_dict."""
import os

import numpy as np
import pytest

import pyengine as pe
import pyengine.vision as torchvision
from pyengine.interop import save_safetensors
from pyengine.vision.models import vgg as vgg_module

try:
    import torch
except ImportError:  # CI has no torch
    torch = None

models = torchvision.models
rng = np.random.default_rng(0)


def n_params(m):
    return sum(int(np.prod(p.shape)) for p in m.parameters())


def test_resnet_counts_names_and_children():
    m = models.resnet18()
    assert n_params(m) == 11_689_512  # torchvision's documented count
    assert [n for n, _ in m.named_children()] == ["conv1", "bn1", "relu", "maxpool", "layer1",
                                                  "layer2", "layer3", "layer4", "avgpool", "fc"]
    sd = m.state_dict()
    assert tuple(sd["layer2.0.downsample.0.weight"].shape) == (128, 64, 1, 1)
    assert tuple(sd["layer4.1.bn2.running_var"].shape) == (512,)
    assert "layer1.0.downsample.0.weight" not in sd
    assert "layer3.0.bn1.num_batches_tracked" in sd
    assert len(sd) == 122  # 62 parameters + 60 BatchNorm buffers, as torchvision
    assert m.fc.in_features == 512
    assert n_params(models.resnet34()) == 21_797_672


def test_resnet_forward_backward_and_num_classes():
    m = models.resnet18(num_classes=5, zero_init_residual=True)
    assert np.all(m.layer1[0].bn2.weight.detach().numpy() == 0)
    x = pe.tensor(rng.normal(size=(2, 3, 32, 32)).astype(np.float32))
    out = m(x)
    assert out.shape == (2, 5)
    out.sum().backward()
    assert m.conv1.weight.grad is not None and m.conv1.weight.grad.shape == (64, 3, 7, 7)


def test_siamese_network_pattern():
    """pytorch/examples siamese_network: replace conv1 for 1 channel, cut the fc off."""
    net = models.resnet18(weights=None)
    net.conv1 = pe.nn.Conv2d(1, 64, kernel_size=(7, 7), stride=(2, 2), padding=(3, 3),
                             bias=False)
    fc_in = net.fc.in_features
    trunk = pe.nn.Sequential(*(list(net.children())[:-1]))
    y = trunk(pe.randn(2, 1, 28, 28))
    assert y.shape == (2, fc_in, 1, 1)


def test_vgg_features_and_counts():
    for cfg, bn, want in (("A", False, 9_220_480), ("D", False, 14_714_688),
                          ("D", True, 14_723_136)):
        assert n_params(vgg_module.make_layers(vgg_module.CFGS[cfg], bn)) == want
    m = models.vgg16(init_weights=False)  # the 138M-parameter net once (0.5 GB float32)
    assert n_params(m) == 138_357_544  # torchvision's documented count
    assert [type(l).__name__ for l in m.features[:5]] == ["Conv2d", "ReLU", "Conv2d", "ReLU",
                                                          "MaxPool2d"]
    sd = m.state_dict()
    assert tuple(sd["features.28.weight"].shape) == (512, 512, 3, 3)
    assert tuple(sd["classifier.0.weight"].shape) == (4096, 25088)
    assert tuple(sd["classifier.6.weight"].shape) == (1000, 4096)
    y = m.features[:23](pe.randn(1, 3, 32, 32))  # fast_neural_style's relu4_3 slice
    assert y.shape == (1, 512, 4, 4)


def test_weights_argument(tmp_path, monkeypatch):
    monkeypatch.setenv("PYENGINE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    with pytest.raises(FileNotFoundError, match=r"resnet18-f37072fd\.pth.*models.vision"):
        models.resnet18(weights="IMAGENET1K_V1")
    with pytest.raises(FileNotFoundError, match="not downloaded"):
        models.resnet18(pretrained=True)
    with pytest.raises(FileNotFoundError, match="neither a pretrained name"):
        models.resnet18(weights=str(tmp_path / "missing.pth"))
    with pytest.raises(ValueError, match=r"\[resnet18\] weights must be"):
        models.resnet18(weights=3)
    with pytest.raises(ValueError, match=r"\[ResNet\] BasicBlock supports only groups=1"):
        models.resnet18(groups=2)
    src = models.resnet18(num_classes=3)
    path = str(tmp_path / "r18.safetensors")
    save_safetensors({k: v.numpy() for k, v in src.state_dict().items()}, path)
    got = models.resnet18(weights=path, num_classes=3)
    for k, v in src.state_dict().items():
        np.testing.assert_array_equal(got.state_dict()[k].numpy(), v.numpy())
    # a pretrained name finds the file under torchvision's name in $PYENGINE_HOME/models/vision
    os.makedirs(tmp_path / "home" / "models" / "vision")
    os.replace(path, tmp_path / "home" / "models" / "vision" / "resnet18-f37072fd.safetensors")
    with pytest.raises(RuntimeError):
        models.resnet18(weights="DEFAULT")  # the file has 3 classes: strict load fails
    got = models.resnet18(weights="ResNet18_Weights.IMAGENET1K_V1", num_classes=3)
    np.testing.assert_array_equal(got.fc.weight.detach().numpy(), src.fc.weight.detach().numpy())


# ---- torch reference nets under torchvision's names (written for this test) ---------------
def torch_resnet18(num_classes=10):
    tnn = torch.nn

    class Block(tnn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = tnn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = tnn.BatchNorm2d(cout)
            self.relu = tnn.ReLU()
            self.conv2 = tnn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = tnn.BatchNorm2d(cout)
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = tnn.Sequential(tnn.Conv2d(cin, cout, 1, stride, bias=False),
                                                 tnn.BatchNorm2d(cout))

        def forward(self, x):
            s = x if self.downsample is None else self.downsample(x)
            return self.relu(self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x))))) + s)

    class Net(tnn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = tnn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.bn1 = tnn.BatchNorm2d(64)
            self.relu = tnn.ReLU()
            self.maxpool = tnn.MaxPool2d(3, 2, 1)
            chans = [(64, 64, 1), (64, 128, 2), (128, 256, 2), (256, 512, 2)]
            for i, (a, b, s) in enumerate(chans, 1):
                setattr(self, f"layer{i}", tnn.Sequential(Block(a, b, s), Block(b, b, 1)))
            self.avgpool = tnn.AdaptiveAvgPool2d((1, 1))
            self.fc = tnn.Linear(512, num_classes)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            return self.fc(torch.flatten(self.avgpool(x), 1))

    return Net()


@pytest.mark.skipif(torch is None, reason="torch not installed")
def test_resnet18_matches_a_torch_net_with_torchvisions_names():
    torch.manual_seed(0)
    ref = torch_resnet18()
    for mod in ref.modules():  # non-trivial BatchNorm statistics
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.running_mean.normal_(0, 0.1)
            mod.running_var.uniform_(0.5, 1.5)
            mod.weight.data.uniform_(0.5, 1.5)
            mod.bias.data.normal_(0, 0.1)
    ref.eval()
    m = models.resnet18(num_classes=10)
    m.load_state_dict({k: v.numpy() for k, v in ref.state_dict().items()})
    m.eval()
    x = rng.normal(size=(2, 3, 48, 48)).astype(np.float32)
    want = ref(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(m(pe.tensor(x)).detach().numpy(), want, rtol=2e-4, atol=2e-4)
    m.train()
    ref.train()  # training mode: batch statistics, and the running stats move the same way
    np.testing.assert_allclose(m(pe.tensor(x)).detach().numpy(),
                               ref(torch.tensor(x)).detach().numpy(), rtol=2e-3, atol=2e-3)
    np.testing.assert_allclose(m.layer3[1].bn1.running_var.numpy(),
                               ref.layer3[1].bn1.running_var.numpy(), rtol=1e-4)


@pytest.mark.skipif(torch is None, reason="torch not installed")
def test_vgg_features_match_torch():
    tnn = torch.nn
    layers, cin = [], 3
    for v in vgg_module.CFGS["A"]:
        if v == "M":
            layers.append(tnn.MaxPool2d(2, 2))
        else:
            layers += [tnn.Conv2d(cin, v, 3, padding=1), tnn.BatchNorm2d(v), tnn.ReLU()]
            cin = v
    ref = tnn.Sequential(*layers).eval()
    ours = vgg_module.make_layers(vgg_module.CFGS["A"], batch_norm=True)
    ours.load_state_dict({k: v.numpy() for k, v in ref.state_dict().items()})
    ours.eval()
    x = rng.normal(size=(1, 3, 32, 32)).astype(np.float32)
    np.testing.assert_allclose(ours(pe.tensor(x)).detach().numpy(),
                               ref(torch.tensor(x)).detach().numpy(), rtol=1e-4, atol=1e-4)
