"""Arrays read from a pickle carry a new dtype object (NumPy unpickles dtypes with copy=True):
equal to float32 but not the same object. The kernels compared dtype objects by identity and
refused them ("expected float32 or float64, got float32"), e.g. the classic mnist.pkl.gz
arrays or tensors sent to a worker process. They must run and give the canonical answer."""
import pickle

import numpy as np
import pytest

import pyengine as pe
import pyengine.nn as nn
import pyengine.nn.functional as F

RNG = np.random.default_rng(0)


def unpickled(a):
    b = pickle.loads(pickle.dumps(a))
    assert b.dtype == a.dtype and b.dtype is not np.dtype(a.dtype)  # the case under test
    return b


X4 = RNG.standard_normal((2, 3, 6, 6)).astype(np.float32)
X2 = RNG.standard_normal((4, 10)).astype(np.float32)
CASES = {
    "matmul": (lambda x: x @ pe.ones(10, 3), X2),
    "linear_relu": (lambda x: F.linear(x, pe.ones(5, 10), pe.ones(5), activation="relu"), X2),
    "relu": (lambda x: x.relu(), X2),
    "softmax": (lambda x: x.softmax(-1), X2),
    "cross_entropy": (lambda x: F.cross_entropy(x, pe.from_numpy(unpickled(
        np.array([0, 1, 2, 3])))), X2),
    "conv2d": (lambda x: F.conv2d(x, pe.ones(4, 3, 3, 3), padding=1), X4),
    "conv2d_nhwc": (lambda x: F.conv2d_nhwc(x, pe.ones(3, 3, 6, 2)), X4),
    "max_pool2d": (lambda x: F.max_pool2d(x, 2), X4),
    "batch_norm": (lambda x: F.batch_norm(x, None, None, training=True), X4),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_kernels_take_unpickled_float32(name):
    f, a = CASES[name]
    want = f(pe.from_numpy(a.copy())).numpy()
    got = f(pe.from_numpy(unpickled(a))).numpy()
    np.testing.assert_array_equal(got, want)


def test_training_step_on_unpickled_parameters_and_data():
    net = nn.Sequential(nn.Linear(10, 8), nn.ReLU(), nn.Linear(8, 3))
    state = {k: unpickled(v.numpy()) for k, v in net.state_dict().items()}
    net.load_state_dict({k: pe.from_numpy(v) for k, v in state.items()})
    opt = pe.optim.Adam(net.parameters(), lr=0.01)
    x, y = pe.from_numpy(unpickled(X2)), pe.from_numpy(unpickled(np.array([0, 1, 2, 0])))
    for _ in range(3):
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()
    assert np.isfinite(net(x).detach().numpy()).all()


def test_other_byte_order_is_still_refused_clearly():
    with pytest.raises((TypeError, ValueError), match="dtype"):
        F.relu(pe.from_numpy(np.ones(3, ">f4")))
