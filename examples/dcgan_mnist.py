"""A DCGAN on MNIST written as a PyTorch training loop (the shape of pytorch/examples' dcgan,
sized for 28x28 digits and a 2-core CPU), on pyengine: `import torch` became `import pyengine`.

    python examples/dcgan_mnist.py --data ../shared/data/mnist.npz            # full run
    python examples/dcgan_mnist.py --quick                                    # seconds, tiny

The recipe is pytorch/examples' DCGAN (Adam 2e-4, beta1 0.5, N(0, 0.02) init, BatchNorm in G,
LeakyReLU 0.2 in D) at a width a 2-core CPU trains in minutes (32 / 64 / 128 filters), batch 64,
with one-sided label smoothing (real = 0.9, Salimans et al. 2016). Additions over the two-layer
nets of earlier versions (--depth 2 --mbstd 0 --decay-from 1 --loss bce), each measured in
docs/image.md: a 3x3 convolution at 7x7 in G and a third convolution in D (--depth 3); a
minibatch standard-deviation feature map in D (Karras et al. 2018), which keeps every digit in
the samples; learning rates that fall linearly to 0 over the second half of the run; the
relativistic average loss (--loss ra, Jolicoeur-Martineau 2019: D judges whether a real image
looks more real than the average generated one, and G the reverse). --info 1 adds an InfoGAN
code (Chen et al. 2016), as the Keras MLP GAN uses by default: G gets one of 10 categories
(one-hot) beside the noise, and a second head on D's features (Q) learns to tell which category
made an image while G learns to make it tellable (no labels are used); it measured no better
for this DCGAN (docs/image.md), so it is off. By default the DCGAN is class-conditional
(--cond 1, as keras-io's "Conditional GAN"; Mirza & Osindero 2014): G gets the digit's one-hot
label beside the noise, and D scores an image together with a label through a projection term
(Miyato & Koyama 2018: D's logit plus the dot product of its features with a learned vector
per digit); real images come with their labels, generated ones with the labels G was asked
for. --cond 0 trains the unconditional GAN (no labels anywhere), which reaches less in the same
time (docs/image.md). The generator
that is sampled is an exponential moving average of the trained one's weights (decay 0.999,
about the last epoch's steps: Yazici et al. 2019, "The unusual effectiveness of averaging in
GAN training"), which removes the step-to-step wobble of GAN training without any look at the
scores; it samples with batch statistics, as pytorch/examples' generator does (it is never put
in eval mode).

Measured quality: a small classifier trained in this script on the real digits labels 1,000
generated samples after each epoch (of the averaged generator and, for comparison, of the trained
one); the script prints the share labelled with confidence above 0.9 and, at the end, each
digit's share of them; with --cond 1 also the share the judge labels as the digit G was asked
for. Pictures: a sample grid per epoch (dcgan_epoch_N.png).
"""
import argparse
import copy
import os
import time

import numpy as np

import pyengine as torch              # was: import torch
import pyengine.nn as nn              # was: import torch.nn as nn
import pyengine.nn.functional as F    # was: import torch.nn.functional as F

from _gan_judge import epoch_line, report, train_judge
from _pictures import load_mnist, save_grid, synthetic_digits

ap = argparse.ArgumentParser(description="DCGAN on MNIST, PyTorch-style loop")
ap.add_argument("--data", help="Keras-format mnist.npz (default: synthetic blobs with --quick)")
ap.add_argument("--epochs", type=int, default=6)
ap.add_argument("--batch-size", type=int, default=64)
ap.add_argument("--nz", type=int, default=64, help="size of the latent vector")
ap.add_argument("--ngf", type=int, default=32, help="generator width (its last hidden layer)")
ap.add_argument("--ndf", type=int, default=32, help="discriminator width (its first layer)")
ap.add_argument("--real-label", type=float, default=0.9,
                help="D's target for real images with --loss bce (1.0: no label smoothing)")
ap.add_argument("--lr-d", type=float, default=2e-4, help="the discriminator's Adam learning rate")
ap.add_argument("--lr-g", type=float, default=2e-4, help="the generator's Adam learning rate")
ap.add_argument("--depth", type=int, choices=(2, 3), default=3,
                help="3: a 3x3 conv at 7x7 in G and a third conv in D; 2: the two-layer nets")
ap.add_argument("--mbstd", type=int, choices=(0, 1), default=1,
                help="1: a minibatch standard-deviation feature map in D (Karras et al. 2018)")
ap.add_argument("--decay-from", type=float, default=0.5,
                help="share of the run after which the learning rates fall linearly to 0 (1: never)")
ap.add_argument("--loss", choices=("ra", "bce", "ls"), default="ra",
                help="ra: relativistic average (RaSGAN, Jolicoeur-Martineau 2019); bce: the "
                     "non-saturating GAN loss; ls: least squares (LSGAN, Mao et al. 2017)")
ap.add_argument("--ema", type=float, default=0.999,
                help="decay of the generator's weight average that is sampled (0: the last weights)")
ap.add_argument("--info", type=float, default=0.0,
                help="weight of the InfoGAN code loss (Chen et al. 2016; 0: a plain GAN whose "
                     "generator ignores the code)")
ap.add_argument("--cond", type=int, choices=(0, 1), default=1,
                help="1: class-conditional (G gets the digit's label; D a projection term); "
                     "0: unconditional (no labels are used)")
ap.add_argument("--quick", action="store_true", help="tiny run (tests): 512 images, 1 epoch")
ap.add_argument("--out", default=".", help="folder for the pictures")
ap.add_argument("--seed", type=int, default=0)
args = ap.parse_args()
if args.cond and args.info:
    ap.error("--cond 1 gives G the digit's label in the code's place; use --info with --cond 0")
torch.manual_seed(args.seed)
os.makedirs(args.out, exist_ok=True)

if args.data:
    (x_train, y_train), test = load_mnist(args.data)
else:
    if not args.quick:
        ap.error("--data is required unless --quick")
    x_train, y_train = synthetic_digits(512, args.seed)
    test = synthetic_digits(128, args.seed + 1)
if args.quick:
    x_train, y_train, args.epochs = x_train[:512], y_train[:512], 1
    test = (test[0][:128], test[1][:128])
t_start, cpu_start = time.perf_counter(), time.process_time()
# The judge first (a small convnet on the real digits), so that every epoch is scored.
judge = train_judge(x_train, y_train, args.seed, epochs=1 if args.quick else 3, test=test)
torch.manual_seed(args.seed)
CODES = 10  # beside the noise: the digit's label (--cond 1) or the InfoGAN code (10 categories)
real = (x_train[:, None] * 2 - 1).astype(np.float32)  # (N, 1, 28, 28) in [-1, 1], as Tanh


class Generator(nn.Module):
    """z -> 7x7 (a linear layer) -> [a 3x3 conv at 7x7] -> 14x14 -> 28x28 (transposed convs).
    The 3x3 conv at 7x7 (--depth 3, the default) gives the generator a layer that relates the
    digit's parts before upsampling, at a quarter of the cost of one at 14x14."""

    def __init__(self, nz, ngf, depth):
        super().__init__()
        self.c0 = (4 if depth == 3 else 2) * ngf
        self.fc = nn.Sequential(nn.Linear(nz, self.c0 * 7 * 7, bias=False),
                                nn.BatchNorm1d(self.c0 * 7 * 7), nn.ReLU(True))
        head = ([nn.Conv2d(self.c0, 2 * ngf, 3, 1, 1, bias=False), nn.BatchNorm2d(2 * ngf),
                 nn.ReLU(True)] if depth == 3 else [])
        self.main = nn.Sequential(  # 7x7 -> 14x14 -> 28x28
            *head, nn.ConvTranspose2d(2 * ngf, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf),
            nn.ReLU(True), nn.ConvTranspose2d(ngf, 1, 4, 2, 1), nn.Tanh())

    def forward(self, z):
        return self.main(self.fc(z).view(-1, self.c0, 7, 7))


class MinibatchStdDev(nn.Module):
    """Appends one feature map holding the batch's mean standard deviation over its features
    (Karras et al. 2018, "Progressive growing of GANs"): a batch of near-identical fakes shows
    a low value that D can penalise, which keeps the generator from dropping digits. D must
    see real and generated images in separate batches (it does here)."""

    def forward(self, h):
        s = (h.var(0, False) + 1e-8).sqrt().mean()  # eps: the gradient of sqrt at 0
        return torch.cat([h, s.expand(h.shape[0], 1, h.shape[2], h.shape[3])], 1)


class Discriminator(nn.Module):
    """28x28 -> 14x14 -> 7x7 [-> minibatch stddev -> 4x4 (--depth 3)] -> features, and two
    heads on them: the real/fake logit, and the InfoGAN head Q (10 logits: which code made a
    generated image). With cond, the logit of an image x given the digit y adds the projection
    <embed(y), features(x)> (Miyato & Koyama 2018): D judges whether x is a real y."""

    def __init__(self, ndf, depth, mbstd, cond):
        super().__init__()
        c = 2 * ndf + (1 if mbstd else 0)
        layers = [nn.Conv2d(1, ndf, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True),
                  nn.Conv2d(ndf, 2 * ndf, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * ndf),
                  nn.LeakyReLU(0.2, inplace=True)] + ([MinibatchStdDev()] if mbstd else [])
        if depth == 3:
            layers += [nn.Conv2d(c, 4 * ndf, 3, 2, 1, bias=False), nn.BatchNorm2d(4 * ndf),
                       nn.LeakyReLU(0.2, inplace=True)]
            c = 4 * ndf * 4 * 4
        else:
            c *= 7 * 7
        self.main = nn.Sequential(*layers, nn.Flatten())
        self.real_or_fake = nn.Linear(c, 1)
        self.code = nn.Linear(c, CODES)
        self.embed = nn.Embedding(CODES, c) if cond else None

    def forward(self, x, labels=None):
        h = self.main(x)
        logit = self.real_or_fake(h).view(-1)
        if self.embed is not None:
            logit = logit + (self.embed(labels) * h).sum(1)
        return logit, self.code(h)


def weights_init(m):  # as pytorch/examples/dcgan: N(0, 0.02) convs, N(1, 0.02) batch norms
    name = type(m).__name__
    if "Conv" in name or "Embedding" in name:  # (the projection vectors start small too)
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif "BatchNorm" in name:
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


netG = Generator(args.nz + CODES, args.ngf, args.depth)
netD = Discriminator(args.ndf, args.depth, args.mbstd, args.cond)
netG.apply(weights_init)
netD.apply(weights_init)
emaG = copy.deepcopy(netG)  # the averaged generator: what is sampled and scored
optG = torch.optim.Adam(netG.parameters(), lr=args.lr_g, betas=(0.5, 0.999))
optD = torch.optim.Adam(netD.parameters(), lr=args.lr_d, betas=(0.5, 0.999))
rng = np.random.default_rng(args.seed)


def latent(n, codes=None):
    """(noise and one-hot code (n, nz + 10), the codes (n,)): G's input, and the digits asked
    for (--cond 1) or what Q must find (--info)."""
    codes = rng.integers(0, CODES, n) if codes is None else codes
    one_hot = torch.from_numpy(np.eye(CODES, dtype=np.float32)[codes])
    return torch.cat([torch.randn(n, args.nz), one_hot], 1), torch.from_numpy(codes)


# the 1,000 samples scored after each epoch: each code 100 times (a grid column per code)
score_noise, score_codes = latent(1000, np.arange(1000) % CODES)
score_codes = score_codes.numpy()
step = 0
# D's output is a logit for bce and ra, a score regressed onto the targets for ls (no label
# smoothing there)
gan_loss = F.mse_loss if args.loss == "ls" else F.binary_cross_entropy_with_logits
real_target = 1.0 if args.loss == "ls" else args.real_label


def average_generator():
    """emaG <- d emaG + (1 - d) netG, with a short warm-up of d (the early weights are noise)."""
    d = min(args.ema, (1 + step) / (10 + step))
    with torch.no_grad():
        for avg, p in zip(emaG.parameters(), netG.parameters()):
            avg.lerp_(p, 1 - d)


def sample(net):
    """1,000 samples (1000, 28, 28) in [-1, 1], batch statistics in BatchNorm."""
    with torch.no_grad():
        return net(score_noise).numpy()[:, 0]


steps_per_epoch = len(real) // args.batch_size
total_steps = args.epochs * steps_per_epoch
hold = int(args.decay_from * total_steps)


def decay_learning_rates():
    """Hold the rates for the first `hold` updates, then fall linearly to 0 at the last."""
    if step >= hold:
        f = max(0.0, (total_steps - step) / max(1, total_steps - hold))
        for opt, lr in ((optD, args.lr_d), (optG, args.lr_g)):
            for group in opt.param_groups:
                group["lr"] = lr * f


t0 = time.perf_counter()
for epoch in range(1, args.epochs + 1):
    order = rng.permutation(len(real))
    for i in range(0, len(order) - args.batch_size + 1, args.batch_size):
        x = torch.from_numpy(real[order[i:i + args.batch_size]])
        y = torch.from_numpy(y_train[order[i:i + args.batch_size]].astype(np.int64))
        b = x.shape[0]
        decay_learning_rates()
        real_labels, ones, zeros = torch.full((b,), real_target), torch.ones(b), torch.zeros(b)
        # (1) D: bce maximises log D(x) + log(1 - D(G(z))); ls pulls D(x) to 1, D(G(z)) to 0
        optD.zero_grad()
        z, codes = latent(b)
        fake = netG(z)
        (c_real, _), (c_fake, q_fake) = netD(x, y), netD(fake.detach(), codes)
        if args.loss == "ra":  # D: real images more real than the average fake, and vice versa
            errD = (gan_loss(c_real - c_fake.mean(), real_labels)
                    + gan_loss(c_fake - c_real.mean(), zeros))
        else:
            errD = gan_loss(c_real, real_labels) + gan_loss(c_fake, zeros)
        if args.info:  # Q learns to read the code back from the image
            errD = errD + args.info * F.cross_entropy(q_fake, codes)
        errD.backward()
        optD.step()
        # (2) G: bce maximises log D(G(z)) (the non-saturating loss); ls pulls D(G(z)) to 1;
        # ra: the mirror of D's loss (the real images' logits as constants, from the updated D)
        optG.zero_grad()
        c_fake, q_fake = netD(fake, codes)
        if args.loss == "ra":
            with torch.no_grad():
                c_real = netD(x, y)[0]
            errG = gan_loss(c_fake - c_real.mean(), ones) + gan_loss(c_real - c_fake.mean(), zeros)
        else:
            errG = gan_loss(c_fake, ones)
        if args.info:  # ... and G learns to make the code readable: one kind of image per code
            errG = errG + args.info * F.cross_entropy(q_fake, codes)
        errG.backward()
        optG.step()
        step += 1
        if args.ema:
            average_generator()
    samples = sample(emaG if args.ema else netG)
    asked = score_codes if args.cond else None
    trained = f"  (trained G: {epoch_line(judge, sample(netG), asked)})" if args.ema else ""
    print(f"epoch {epoch}/{args.epochs}  loss_D {errD.item():.3f}  loss_G {errG.item():.3f}  "
          f"{time.perf_counter() - t0:.0f} s  {epoch_line(judge, samples, asked)}{trained}", flush=True)
    save_grid((samples[:50] + 1) / 2, os.path.join(args.out, f"dcgan_epoch_{epoch}.png"),
              title=f"epoch {epoch}")
train_time = time.perf_counter() - t0

print(f"trained {args.epochs} epochs in {train_time:.0f} s; the whole run (judge included) "
      f"{time.perf_counter() - t_start:.0f} s wall, {time.process_time() - cpu_start:.0f} s CPU")
report(judge, samples, asked)  # the last epoch's 1,000 samples
