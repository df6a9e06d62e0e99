"""Original test of the PyTorch API pattern of pytorch/examples dcgan/main.py: a
ConvTranspose2d + BatchNorm2d generator and a Conv2d + LeakyReLU(inplace) discriminator,
custom initialisation through Module.apply and nn.init, BCELoss on pe.full / fill_ labels,
Adam(betas), alternating updates with detach(), and state_dict checkpoints. No program text of
the example is used."""
import math

import numpy as np

import pyengine as pe
import pyengine.nn as nn
import pyengine.optim as optim
import pyengine.utils.data


def _init_by_kind(mod):
    if isinstance(mod, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(mod.weight, 0.0, 0.02)
    elif isinstance(mod, nn.BatchNorm2d):
        nn.init.normal_(mod.weight, 1.0, 0.02)
        nn.init.zeros_(mod.bias)


def _generator(code, width):
    return nn.Sequential(
        nn.ConvTranspose2d(code, width * 2, 4, 1, 0, bias=False),   # 1 -> 4
        nn.BatchNorm2d(width * 2), nn.ReLU(True),
        nn.ConvTranspose2d(width * 2, width, 4, 2, 1, bias=False),  # 4 -> 8
        nn.BatchNorm2d(width), nn.ReLU(True),
        nn.ConvTranspose2d(width, 3, 4, 2, 1, bias=False),          # 8 -> 16
        nn.Tanh())


def _critic(width):
    return nn.Sequential(
        nn.Conv2d(3, width, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),   # 16 -> 8
        nn.Conv2d(width, width * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(width * 2),
        nn.LeakyReLU(0.2, inplace=True),                                              # 8 -> 4
        nn.Conv2d(width * 2, 1, 4, 1, 0, bias=False), nn.Sigmoid(), nn.Flatten(0))   # 4 -> 1


def test_conv_gan_alternating_updates_and_checkpoint(tmp_path):
    pe.manual_seed(2)
    code = 10
    rng = np.random.default_rng(2)
    real = (rng.random((24, 3, 16, 16)) * 2 - 1).astype("float32")
    loader = pe.utils.data.DataLoader(
        pe.utils.data.TensorDataset(pe.tensor(real), pe.zeros(24)), batch_size=8, shuffle=True)
    gen, disc = _generator(code, 6), _critic(6)
    gen.apply(_init_by_kind)
    disc.apply(_init_by_kind)
    assert abs(float(gen[1].weight.detach().numpy().mean()) - 1.0) < 0.05
    bce = nn.BCELoss()
    opt_d = optim.Adam(disc.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_g = optim.Adam(gen.parameters(), lr=2e-4, betas=(0.5, 0.999))
    probe = pe.randn(4, code, 1, 1)
    log = []
    for round_ in range(2):
        for batch, _ in loader:
            n = batch.size(0)
            target = pe.full((n,), 1.0, dtype=batch.dtype)
            disc.zero_grad()
            loss_real = bce(disc(batch), target)
            loss_real.backward()
            made = gen(pe.randn(n, code, 1, 1))
            target.fill_(0.0)
            on_fake = disc(made.detach())
            loss_fake = bce(on_fake, target)
            loss_fake.backward()
            opt_d.step()
            gen.zero_grad()
            target.fill_(1.0)
            loss_g = bce(disc(made), target)
            loss_g.backward()
            opt_g.step()
            log.append(((loss_real + loss_fake).item(), loss_g.item(), on_fake.mean().item()))
        pe.save(gen.state_dict(), tmp_path / f"gen_{round_}.pth")
    assert len(log) == 6 and all(math.isfinite(v) for row in log for v in row)
    assert all(0 < row[2] < 1 for row in log)
    copy = _generator(code, 6)
    copy.load_state_dict(pe.load(tmp_path / "gen_1.pth"))
    gen.eval()
    copy.eval()
    out = gen(probe).detach().numpy()
    assert out.shape == (4, 3, 16, 16) and np.abs(out).max() <= 1.0
    np.testing.assert_allclose(copy(probe).detach().numpy(), out, rtol=1e-5, atol=1e-6)
