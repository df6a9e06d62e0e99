"""Original tests of the PyTorch API patterns that public pytorch/examples programs and
pytorch/tutorials beginner pages need (see docs/public_examples.md for which program needed
what). Tiny sizes, synthetic data; values against NumPy float64 or torch when installed.
No program or tutorial text is used."""
import warnings

import numpy as np
import pytest

import pyengine as pe
import pyengine.nn as nn
import pyengine.nn.functional as F
from pyengine import optim

try:  # optional cross-check only
    import torch as _torch
except ImportError:  # pragma: no cover
    _torch = None


# ---- Dropout2d / Dropout3d ranks (mnist_rnn puts Dropout2d after an LSTM's last step) ------
def _quiet(fn, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*a, **k)


def test_dropout2d_on_2d_input_is_element_dropout_with_warning():
    pe.manual_seed(0)
    x = pe.ones(64, 32)
    with pytest.warns(UserWarning, match="2-D input to dropout2d"):
        y = F.dropout2d(x, 0.5, True).numpy()
    assert set(np.unique(y)) <= {0.0, 2.0}
    # element-wise: rows are not all-equal (a per-sample mask would make them so)
    assert any(len(set(row)) == 2 for row in y)
    assert 0.35 < (y == 0).mean() < 0.65
    assert np.array_equal(_quiet(F.dropout2d, x, 0.5, False).numpy(), np.ones((64, 32)))


def test_dropout2d_3d_input_masks_each_n_c_pair_as_torch():
    pe.manual_seed(1)
    with pytest.warns(UserWarning, match="3D input"):
        y = F.dropout2d(pe.ones(16, 8, 5), 0.5, True).numpy()
    # constant along L, varying over (n, c): PyTorch's (N, C, L) reading
    assert np.all(y == y[:, :, :1])
    per_nc = y[:, :, 0]
    assert any(len(set(row)) == 2 for row in per_nc)


def test_dropout2d_and_3d_masks_broadcast_over_trailing_dims():
    pe.manual_seed(2)
    y = _quiet(F.dropout2d, pe.ones(4, 6, 2, 2, 2), 0.5, True).numpy()
    assert np.all(y == y[:, :, :1, :1, :1])
    y4 = F.dropout2d(pe.ones(4, 6, 3, 3), 0.5, True).numpy()
    assert np.all(y4 == y4[:, :, :1, :1])
    y3 = F.dropout3d(pe.ones(5, 2, 3, 3), 0.5, True).numpy()  # unbatched (C, D, H, W)
    assert np.all(y3 == y3[:, :1, :1, :1])
    y5 = F.dropout3d(pe.ones(3, 5, 2, 3, 3), 0.5, True).numpy()
    assert np.all(y5 == y5[:, :, :1, :1, :1])
    with pytest.raises(ValueError, match="dropout2d.*at least 2"):
        _quiet(F.dropout2d, pe.ones(5), 0.5, True)


def test_dropout3d_module_gradient_is_the_mask():
    pe.manual_seed(4)
    m = nn.Dropout3d(0.5)
    x = pe.randn(2, 3, 2, 2, 2, requires_grad=True)
    y = m(x)
    y.sum().backward()
    mask = y.detach().numpy() / np.where(x.detach().numpy() == 0, 1, x.detach().numpy())
    assert np.allclose(x.grad.numpy(), mask, atol=1e-5)
    m.eval()
    assert np.array_equal(m(x).detach().numpy(), x.detach().numpy())
    assert "p=0.5" in repr(m)


def test_lstm_last_step_batchnorm_dropout2d_classifier_trains():
    """mnist_rnn's pattern: rows of an image through LSTM(batch_first), last step,
    BatchNorm1d, Dropout2d on (N, C), Linear, log_softmax + nll_loss, Adadelta, StepLR."""
    pe.manual_seed(0)
    rs = np.random.RandomState(0)
    y = rs.randint(0, 3, 48)
    x = rs.randn(48, 1, 6, 6).astype(np.float32) * 0.3
    for i, k in enumerate(y):
        x[i, 0, 2 * k:2 * k + 2] += 2.0

    class RowLSTM(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.LSTM(input_size=6, hidden_size=16, batch_first=True)
            self.bn = nn.BatchNorm1d(16)
            self.drop = nn.Dropout2d(0.1)
            self.fc = nn.Linear(16, 3)

        def forward(self, inp):
            out, _ = self.rnn(inp.reshape(-1, 6, 6))
            return F.log_softmax(self.fc(self.drop(self.bn(out[:, -1, :]))), dim=1)

    model = RowLSTM()
    opt = optim.Adadelta(model.parameters(), lr=1.0)
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.9)
    xt, yt = pe.tensor(x), pe.tensor(y, dtype=pe.long)
    losses = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(30):
            model.train()
            opt.zero_grad()
            loss = F.nll_loss(model(xt), yt)
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.item())
    model.eval()
    with pe.no_grad():
        pred = model(xt).argmax(dim=1, keepdim=True)
    assert losses[-1] < 0.5 * losses[0]
    assert pred.eq(yt.view_as(pred)).sum().item() >= 40
