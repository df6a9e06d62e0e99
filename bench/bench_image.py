"""Image-model benchmarks (issue 15), pyengine next to PyTorch CPU when installed:

1. kernels: bilinear upsampling (F.interpolate), the batched warp behind the augmentation layers
   (F.affine_warp vs torch's affine_grid + grid_sample) and transposed convolution
   (F.conv_transpose2d, NCHW, and Keras' Conv2DTranspose on the NHWC kernels), forward and
   forward+backward;
2. the cost of augmentation: one training step of the keras-io MNIST convnet (batch 128) with and
   without a RandomFlip + RandomRotation + RandomZoom + RandomTranslation stack in front;
3. ResNet50 inference on one 224x224 image: keras.applications.ResNet50(weights=None) next to the
   same network written in PyTorch (torchvision's layout, built here: torchvision is not needed).

    python bench/bench_image.py [--repeats 5] [--skip-resnet]

Times are the best of `repeats` runs (the machine is shared); ratios torch / pyengine (> 1:
pyengine faster) and, for augmentation, with / without (the overhead).
"""
import argparse
import os
import time

import numpy as np

import pyengine as pe
import pyengine.nn.functional as F
from pyengine import keras
from pyengine.keras import layers

try:
    import torch
    import torch.nn as tnn
except ImportError:  # torch columns are left out
    torch = None

THREADS = int(os.environ.get("PYENGINE_BENCH_THREADS", "2"))


def best(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times) * 1e3


def kernels(repeats):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 32, 28, 28)).astype(np.float32)
    img = rng.standard_normal((128, 28, 28, 1)).astype(np.float32)
    ang = rng.uniform(-0.3, 0.3, 128)
    c, s = np.cos(ang), np.sin(ang)
    t_pe = np.stack([c, -s, 13.5 - 13.5 * c + 13.5 * s, s, c, 13.5 - 13.5 * s - 13.5 * c,
                     0 * c, 0 * c], 1).astype(np.float32)
    theta = np.stack([np.stack([c, -s, 0 * c], 1), np.stack([s, c, 0 * c], 1)], 1)
    xt = rng.standard_normal((16, 64, 14, 14)).astype(np.float32)
    wt = (rng.standard_normal((64, 32, 4, 4)) * 0.1).astype(np.float32)
    rows = []

    def pair(name, pe_fn, torch_fn):
        f = best(pe_fn, repeats)
        t = best(torch_fn, repeats) if torch is not None else float("nan")
        rows.append((name, f, t))

    px = pe.tensor(x, requires_grad=True)
    pair("interpolate bilinear x2 fwd", lambda: F.interpolate(px.detach(), scale_factor=2,
                                                              mode="bilinear"),
         lambda: torch.nn.functional.interpolate(torch.from_numpy(x), scale_factor=2,
                                                 mode="bilinear"))
    if torch is not None:
        tx = torch.tensor(x, requires_grad=True)
    pair("interpolate bilinear x2 fwd+bwd",
         lambda: F.interpolate(px, scale_factor=2, mode="bilinear").sum().backward(),
         lambda: torch.nn.functional.interpolate(tx, scale_factor=2,
                                                 mode="bilinear").sum().backward())
    pimg = pe.tensor(img)
    if torch is not None:
        timg = torch.from_numpy(img.transpose(0, 3, 1, 2).copy())
        tth = torch.from_numpy(theta.astype(np.float32))

        def torch_warp():
            grid = torch.nn.functional.affine_grid(tth, list(timg.shape), align_corners=False)
            return torch.nn.functional.grid_sample(timg, grid, align_corners=False,
                                                   padding_mode="reflection")
    pair("rotate 128x28x28 (warp) fwd", lambda: F.affine_warp(pimg, t_pe, fill_mode="reflect"),
         lambda: torch_warp())
    pxt, pwt = pe.tensor(xt, requires_grad=True), pe.tensor(wt, requires_grad=True)
    if torch is not None:
        txt, twt = torch.tensor(xt, requires_grad=True), torch.tensor(wt, requires_grad=True)
    pair("conv_transpose2d 64->32 4x4 s2 fwd",
         lambda: F.conv_transpose2d(pxt.detach(), pwt.detach(), stride=2, padding=1),
         lambda: torch.nn.functional.conv_transpose2d(txt.detach(), twt.detach(), stride=2,
                                                      padding=1))
    pair("conv_transpose2d 64->32 4x4 s2 fwd+bwd",
         lambda: F.conv_transpose2d(pxt, pwt, stride=2, padding=1).sum().backward(),
         lambda: torch.nn.functional.conv_transpose2d(txt, twt, stride=2,
                                                      padding=1).sum().backward())
    # Keras' Conv2DTranspose on the NHWC kernels (no layout copies), the same sizes in NHWC.
    ct = layers.Conv2DTranspose(32, 4, strides=2, padding="same", use_bias=False)
    xn = pe.tensor(np.ascontiguousarray(xt.transpose(0, 2, 3, 1)), requires_grad=True)
    ct(xn)

    def keras_ct_step():
        ct(xn).sum().backward()
        xn.grad = None
        ct.kernel.grad = None
    pair("Keras Conv2DTranspose (NHWC) same fwd", lambda: ct(xn.detach()),
         lambda: torch.nn.functional.conv_transpose2d(txt.detach(), twt.detach(), stride=2,
                                                      padding=1))
    pair("Keras Conv2DTranspose (NHWC) same fwd+bwd", keras_ct_step,
         lambda: torch.nn.functional.conv_transpose2d(txt, twt, stride=2,
                                                      padding=1).sum().backward())
    print(f"{'kernel':42s} {'pyengine ms':>12s} {'torch ms':>10s} {'torch/pe':>9s}")
    for name, f, t in rows:
        print(f"{name:42s} {f:12.2f} {t:10.2f} {t / f:9.2f}")


def mnist_convnet(augment):
    inputs = keras.Input(shape=(28, 28, 1))
    x = inputs
    if augment:
        x = layers.RandomFlip("horizontal")(x)
        x = layers.RandomRotation(0.1)(x)
        x = layers.RandomZoom(0.1)(x)
        x = layers.RandomTranslation(0.1, 0.1)(x)
    x = layers.Conv2D(32, kernel_size=(3, 3), activation="relu")(x)
    x = layers.MaxPooling2D(pool_size=(2, 2))(x)
    x = layers.Conv2D(64, kernel_size=(3, 3), activation="relu")(x)
    x = layers.MaxPooling2D(pool_size=(2, 2))(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
    return model


def augmentation_cost(repeats, batches=20):
    rng = np.random.default_rng(0)
    x = rng.random((128 * batches, 28, 28, 1)).astype(np.float32)
    y = rng.integers(0, 10, len(x))
    times = {}
    for augment in (False, True):
        pe.manual_seed(0)
        model = mnist_convnet(augment)
        times[augment] = best(lambda: model.fit(x, y, batch_size=128, epochs=1, verbose=0),
                              repeats) / batches
    print(f"\nkeras-io MNIST convnet train step, batch 128: {times[False]:.1f} ms plain, "
          f"{times[True]:.1f} ms with flip+rotation+zoom+translation: "
          f"+{100 * (times[True] / times[False] - 1):.0f} %")


def torch_resnet50():
    class Bottleneck(tnn.Module):
        def __init__(self, cin, width, stride, down):
            super().__init__()
            self.conv1, self.bn1 = tnn.Conv2d(cin, width, 1, bias=False), tnn.BatchNorm2d(width)
            self.conv2 = tnn.Conv2d(width, width, 3, stride, 1, bias=False)
            self.bn2 = tnn.BatchNorm2d(width)
            self.conv3 = tnn.Conv2d(width, width * 4, 1, bias=False)
            self.bn3 = tnn.BatchNorm2d(width * 4)
            self.down = tnn.Sequential(tnn.Conv2d(cin, width * 4, 1, stride, bias=False),
                                       tnn.BatchNorm2d(width * 4)) if down else None

        def forward(self, x):
            r = x if self.down is None else self.down(x)
            y = torch.relu(self.bn1(self.conv1(x)))
            y = torch.relu(self.bn2(self.conv2(y)))
            return torch.relu(self.bn3(self.conv3(y)) + r)

    blocks, cin = [], 64
    for width, n, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
        for i in range(n):
            blocks.append(Bottleneck(cin, width, stride if i == 0 else 1, i == 0))
            cin = width * 4
    return tnn.Sequential(tnn.Conv2d(3, 64, 7, 2, 3, bias=False), tnn.BatchNorm2d(64), tnn.ReLU(),
                          tnn.MaxPool2d(3, 2, 1), *blocks, tnn.AdaptiveAvgPool2d(1),
                          tnn.Flatten(), tnn.Linear(2048, 1000)).eval()


def resnet50(repeats):
    img = np.random.default_rng(0).random((1, 224, 224, 3)).astype(np.float32)
    model = keras.applications.ResNet50(weights=None)
    f = best(lambda: model.predict(img, verbose=0), repeats)
    t = float("nan")
    if torch is not None:
        net = torch_resnet50()
        timg = torch.from_numpy(img.transpose(0, 3, 1, 2).copy())
        with torch.no_grad():
            t = best(lambda: net(timg), repeats)
    print(f"\nResNet50 inference, one 224x224 image: pyengine (Keras, NHWC) {f:.1f} ms, PyTorch "
          f"(NCHW) {t:.1f} ms, torch/pe {t / f:.2f}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--skip-resnet", action="store_true")
    args = ap.parse_args()
    pe.set_num_threads(THREADS)
    if torch is not None:
        torch.set_num_threads(THREADS)
    print(f"threads {THREADS}, isa {pe._C.cpu_isa()}, torch "
          f"{torch.__version__ if torch is not None else 'not installed'}")
    kernels(args.repeats)
    augmentation_cost(max(2, args.repeats // 2))
    if not args.skip_resnet:
        resnet50(args.repeats)
