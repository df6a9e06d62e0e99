"""Original tests of the PyTorch API patterns used by public pytorch/examples programs
(mnist/main.py, time_sequence_prediction, regression/main.py): a Conv2d classifier trained
with Adadelta + StepLR from a DataLoader, scored with nll_loss(reduction='sum') and
argmax/eq/view_as, saved and reloaded as a state_dict; a float64 LSTMCell stack unrolled over
split() and trained by LBFGS with a closure (data stored with pe.save of a NumPy array); a
polynomial fit by smooth_l1_loss with in-place param.data updates and tensors in format().
No program text of those examples is used."""
import numpy as np

import pyengine as pe
import pyengine.nn as nn
import pyengine.nn.functional as F
import pyengine.optim as optim
from pyengine.optim.lr_scheduler import StepLR


class _TinyConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 3)
        self.c2 = nn.Conv2d(6, 8, 3)
        self.drop = nn.Dropout(0.2)
        self.head = nn.Linear(8 * 5 * 5, 4)

    def forward(self, img):
        z = F.max_pool2d(F.relu(self.c2(F.relu(self.c1(img)))), 2)
        return F.log_softmax(self.head(self.drop(pe.flatten(z, 1))), dim=1)


def _score(net, loader, device):
    net.eval()
    total, hits = 0.0, 0
    with pe.no_grad():
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            logp = net(xb)
            total += F.nll_loss(logp, yb, reduction="sum").item()
            guess = logp.argmax(dim=1, keepdim=True)
            hits += guess.eq(yb.view_as(guess)).sum().item()
    return total / len(loader.dataset), hits


def test_conv_classifier_adadelta_steplr_state_dict(tmp_path):
    pe.manual_seed(4)
    device = pe.device("cuda" if pe.cuda.is_available() else "cpu")
    rng = np.random.default_rng(4)
    lab = rng.integers(0, 4, 48)
    img = rng.random((48, 1, 14, 14)).astype("float32")
    img[np.arange(48), 0, :, lab * 3 + 1] += 1.5  # class k: a bright column
    ds = pe.utils.data.TensorDataset(pe.tensor(img), pe.tensor(lab))
    shuffled = pe.utils.data.DataLoader(ds, batch_size=12, shuffle=True)
    ordered = pe.utils.data.DataLoader(ds, batch_size=48)
    net = _TinyConvNet().to(device)
    opt = optim.Adadelta(net.parameters(), lr=1.0)
    sched = StepLR(opt, step_size=1, gamma=0.8)
    history = [_score(net, ordered, device)]
    for _ in range(3):
        net.train()
        for xb, yb in shuffled:
            opt.zero_grad()
            F.nll_loss(net(xb), yb).backward()
            opt.step()
        sched.step()
        history.append(_score(net, ordered, device))
    assert history[-1][0] < 0.5 * history[0][0] and history[-1][1] >= 36
    assert abs(opt.param_groups[0]["lr"] - 0.8 ** 3) < 1e-12
    pe.save(net.state_dict(), tmp_path / "net.pt")
    twin = _TinyConvNet()
    twin.load_state_dict(pe.load(tmp_path / "net.pt"))
    assert _score(twin, ordered, device) == history[-1]


class _TwoCellRollout(nn.Module):
    def __init__(self, hidden=12):
        super().__init__()
        self.hidden = hidden
        self.low, self.high = nn.LSTMCell(1, hidden), nn.LSTMCell(hidden, hidden)
        self.out = nn.Linear(hidden, 1)

    def forward(self, seq, extra=0):
        zeros = lambda: pe.zeros(seq.size(0), self.hidden, dtype=pe.double)
        s1, s2 = (zeros(), zeros()), (zeros(), zeros())
        preds = []
        step_in = None
        for col in list(seq.split(1, dim=1)) + [None] * extra:
            s1 = self.low(col if col is not None else step_in, s1)
            s2 = self.high(s1[0], s2)
            step_in = self.out(s2[0])
            preds.append(step_in)
        return pe.cat(preds, dim=1)


def test_float64_lstmcell_rollout_trained_by_lbfgs(tmp_path):
    pe.manual_seed(1)
    rng = np.random.default_rng(1)
    phase = rng.uniform(0, 6.0, (8, 1))
    waves = np.cos(np.arange(25) / 3.0 + phase)
    with open(tmp_path / "waves.pt", "wb") as fh:
        pe.save(waves, fh)
    series = pe.from_numpy(pe.load(tmp_path / "waves.pt"))
    model = _TwoCellRollout().double()
    mse = nn.MSELoss()
    lbfgs = optim.LBFGS(model.parameters(), lr=0.7)
    seen = []

    def closure():
        lbfgs.zero_grad()
        loss = mse(model(series[2:, :-1]), series[2:, 1:])
        seen.append(loss.item())
        loss.backward()
        return loss

    lbfgs.step(closure)
    assert seen[-1] < 0.2 * seen[0]
    with pe.no_grad():
        forecast = model(series[:2, :-1], extra=10)
        held = mse(forecast[:, :-10], series[:2, 1:]).item()
    out = forecast.detach().numpy()
    assert out.shape == (2, 34) and out.dtype == np.float64 and held < 0.05


def test_polynomial_fit_smooth_l1_inplace_updates():
    pe.manual_seed(7)
    coef = pe.randn(3, 1) * 2
    shift = pe.randn(1)
    def design(v):
        return pe.cat([v.unsqueeze(1) ** p for p in (1, 2, 3)], 1)
    lin = nn.Linear(3, 1)
    for step in range(1, 4001):
        feats = design(pe.randn(32) * 0.8)
        lin.zero_grad()
        loss = F.smooth_l1_loss(lin(feats), feats.mm(coef) + shift.item())
        loss.backward()
        for p in lin.parameters():
            p.data.add_(-0.05 * p.grad)
        if loss.item() < 1e-4:
            break
    assert loss.item() < 1e-4
    np.testing.assert_allclose(lin.weight.detach().numpy().ravel(), coef.numpy().ravel(),
                               atol=0.05)
    text = " ".join("{:+.2f}".format(w) for w in coef.view(-1))
    assert text.split()[0] == "{:+.2f}".format(float(coef.numpy()[0, 0]))
