"""End to end: a small MLP and a small CNN train to low loss, deterministically under
pe.manual_seed, with the PyTorch-style loop (zero_grad / backward / step)."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import nn
from pyengine.nn import functional as F

HAS_CONV = all(hasattr(F, n) for n in ("conv2d", "max_pool2d"))


@pytest.fixture(autouse=True)
def one_thread():
    # Hundreds of steps on tiny matrices: threads only add fork/join cost, and on a loaded
    # machine OpenMP's barriers made these tests 30x slower. Results do not depend on threads.
    n = pe.get_num_threads()
    pe.set_num_threads(1)
    yield
    pe.set_num_threads(n)


def sgd_step(params, lr):
    # The test's own update, so it depends on nothing but nn (pe.optim is tested on its own).
    with pe.no_grad():
        for p in params:
            p.data -= lr * p.grad.data


def two_moons(n=128, seed=0):
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, np.pi, n)
    y = rng.integers(0, 2, n)
    x = np.stack([np.cos(t) + y, np.sin(t) * (1 - 2 * y) + 0.5 * y], 1)
    x += 0.1 * rng.standard_normal(x.shape)
    return pe.tensor(x.astype(np.float32)), pe.tensor(y)


def train_mlp(steps=300):
    pe.manual_seed(0)
    x, y = two_moons()
    model = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 32), nn.ReLU(),
                          nn.Linear(32, 2))
    losses = []
    for _ in range(steps):
        model.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        sgd_step(model.parameters(), 0.5)
        losses.append(loss.item())
    acc = (model(x).argmax(-1).data == y.data).mean()
    return losses, acc


def test_mlp_trains_to_low_loss_deterministically():
    losses, acc = train_mlp()
    assert losses[-1] < 0.05 < losses[0] and acc == 1.0
    again, _ = train_mlp()
    assert losses == again  # bit-identical under the same seed


def test_mlp_with_dropout_batchnorm_and_optim_adam():
    optim = pytest.importorskip("pyengine.optim")
    pe.manual_seed(1)
    x, y = two_moons(seed=1)
    model = nn.Sequential(nn.Linear(2, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.1),
                          nn.Linear(32, 2))
    opt = optim.Adam(model.parameters(), lr=0.02)
    for _ in range(200):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    model.eval()
    with pe.no_grad():
        assert F.cross_entropy(model(x), y).item() < 0.1


def test_lstm_learns_to_sum_a_sequence():
    pe.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (64, 6, 1)).astype(np.float32)
    target = pe.tensor(x.sum(1))

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.LSTM(1, 16, batch_first=True)
            self.out = nn.Linear(16, 1)

        def forward(self, v):
            _, (h, _) = self.rnn(v)
            return self.out(h[-1])

    net = Net()
    optim = pytest.importorskip("pyengine.optim")
    opt = optim.Adam(net.parameters(), lr=0.02)
    xt = pe.tensor(x)
    first = None
    for _ in range(150):
        opt.zero_grad()
        loss = F.mse_loss(net(xt), target)
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
    assert loss.item() < 0.05 * first


@pytest.mark.skipif(not HAS_CONV, reason="conv/pool ops (branch conv) not merged yet")
def test_cnn_trains_to_low_loss_deterministically():
    def run():
        pe.manual_seed(0)
        rng = np.random.default_rng(0)
        # 8x8 images: class 0 has a vertical bar, class 1 a horizontal bar, plus noise.
        n = 64
        y = rng.integers(0, 2, n)
        imgs = 0.3 * rng.standard_normal((n, 1, 8, 8))
        pos = rng.integers(1, 7, n)
        for i in range(n):
            if y[i]:
                imgs[i, 0, pos[i], 1:7] += 1.5
            else:
                imgs[i, 0, 1:7, pos[i]] += 1.5
        x, yt = pe.tensor(imgs.astype(np.float32)), pe.tensor(y)
        model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(),
                              nn.AdaptiveAvgPool2d(1) if hasattr(F, "adaptive_avg_pool2d")
                              else nn.MaxPool2d(4),
                              nn.Flatten(), nn.Linear(8, 2))
        losses = []
        for _ in range(150):
            model.zero_grad()
            loss = F.cross_entropy(model(x), yt)
            loss.backward()
            sgd_step(model.parameters(), 0.2)
            losses.append(loss.item())
        return losses
    losses = run()
    assert losses[-1] < 0.1 < losses[0]
    assert losses == run()


def test_docs_training_loop_runs(capsys):
    """The example in docs/nn.md (a PyTorch loop with torch renamed to pe) runs and learns."""
    import pathlib
    import re
    pytest.importorskip("pyengine.optim")
    doc = pathlib.Path(__file__).resolve().parents[1] / "docs" / "nn.md"
    if not doc.exists():
        pytest.skip("docs/nn.md not present")
    section = doc.read_text().split("## A PyTorch training loop", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    exec(compile(code, str(doc), "exec"), {})
    acc = float(re.search(r"accuracy ([0-9.]+)", capsys.readouterr().out).group(1))
    assert acc > 0.9
