"""A DCGAN on MNIST written as a PyTorch training loop (the shape of pytorch/examples' dcgan,
sized for 28x28 digits and a 2-core CPU), on pyengine: `import torch` became `import pyengine`.

    python examples/dcgan_mnist.py --data ../shared/data/mnist.npz            # full run
    python examples/dcgan_mnist.py --quick                                    # seconds, tiny

Measured quality: a small classifier trained in this script on the real digits labels 1,000
generated samples; the script prints the share labelled with confidence above 0.9 and each
digit's share of them. Pictures: a sample grid per epoch (dcgan_epoch_N.png).
"""
import argparse
import os
import time

import numpy as np

import pyengine as torch              # was: import torch
import pyengine.nn as nn              # was: import torch.nn as nn
import pyengine.nn.functional as F    # was: import torch.nn.functional as F

from _gan_judge import report, train_judge
from _pictures import load_mnist, save_grid, synthetic_digits

ap = argparse.ArgumentParser(description="DCGAN on MNIST, PyTorch-style loop")
ap.add_argument("--data", help="Keras-format mnist.npz (default: synthetic blobs with --quick)")
ap.add_argument("--epochs", type=int, default=4)
ap.add_argument("--batch-size", type=int, default=128)
ap.add_argument("--nz", type=int, default=64, help="size of the latent vector")
ap.add_argument("--quick", action="store_true", help="tiny run (tests): 512 images, 1 epoch")
ap.add_argument("--out", default=".", help="folder for the pictures")
ap.add_argument("--seed", type=int, default=0)
args = ap.parse_args()
torch.manual_seed(args.seed)
os.makedirs(args.out, exist_ok=True)

if args.data:
    (x_train, y_train), _ = load_mnist(args.data)
else:
    if not args.quick:
        ap.error("--data is required unless --quick")
    x_train, y_train = synthetic_digits(512, args.seed)
if args.quick:
    x_train, y_train, args.epochs = x_train[:512], y_train[:512], 1
real = (x_train[:, None] * 2 - 1).astype(np.float32)  # (N, 1, 28, 28) in [-1, 1], as Tanh


class Generator(nn.Module):
    def __init__(self, nz):
        super().__init__()
        self.fc = nn.Sequential(nn.Linear(nz, 128 * 7 * 7, bias=False), nn.BatchNorm1d(128 * 7 * 7),
                                nn.ReLU(True))
        self.main = nn.Sequential(
            nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(True),
            nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh())

    def forward(self, z):
        return self.main(self.fc(z).view(-1, 128, 7, 7))


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(64, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128),
            nn.LeakyReLU(0.2, inplace=True), nn.Flatten(), nn.Linear(128 * 7 * 7, 1))

    def forward(self, x):
        return self.main(x).view(-1)


def weights_init(m):  # as pytorch/examples/dcgan: N(0, 0.02) convs, N(1, 0.02) batch norms
    name = type(m).__name__
    if "Conv" in name:
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif "BatchNorm" in name:
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


netG, netD = Generator(args.nz), Discriminator()
netG.apply(weights_init)
netD.apply(weights_init)
optG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
optD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
fixed_noise = torch.randn(50, args.nz)
rng = np.random.default_rng(args.seed)

t0 = time.perf_counter()
for epoch in range(1, args.epochs + 1):
    order = rng.permutation(len(real))
    for i in range(0, len(order) - args.batch_size + 1, args.batch_size):
        x = torch.from_numpy(real[order[i:i + args.batch_size]])
        b = x.shape[0]
        ones, zeros = torch.ones(b), torch.zeros(b)
        # (1) D: maximise log D(x) + log(1 - D(G(z)))
        optD.zero_grad()
        fake = netG(torch.randn(b, args.nz))
        errD = (F.binary_cross_entropy_with_logits(netD(x), ones)
                + F.binary_cross_entropy_with_logits(netD(fake.detach()), zeros))
        errD.backward()
        optD.step()
        # (2) G: maximise log D(G(z)) (the non-saturating loss)
        optG.zero_grad()
        errG = F.binary_cross_entropy_with_logits(netD(fake), ones)
        errG.backward()
        optG.step()
    netG.eval()
    with torch.no_grad():
        grid = (netG(fixed_noise).numpy()[:, 0] + 1) / 2
    netG.train()
    print(f"epoch {epoch}/{args.epochs}  loss_D {errD.item():.3f}  loss_G {errG.item():.3f}  "
          f"{time.perf_counter() - t0:.0f} s")
    save_grid(grid, os.path.join(args.out, f"dcgan_epoch_{epoch}.png"), title=f"epoch {epoch}")
train_time = time.perf_counter() - t0


# The judge: a small convnet trained on the real digits in this script.
judge = train_judge(x_train, y_train, args.seed)
netG.eval()
with torch.no_grad():
    samples = netG(torch.randn(1000, args.nz)).numpy()[:, 0]
print(f"trained {args.epochs} epochs in {train_time:.0f} s")
report(judge, samples)
