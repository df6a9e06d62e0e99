"""keras.ops added in the seventh session (keras/ops_numpy_more.py): values against NumPy
float64, gradients through gradcheck, graph recording on KerasTensors, eager control flow."""
import numpy as np
import pytest

import pyengine as pe
import pyengine.keras as keras
from pyengine.testing import gradcheck

ops = keras.ops
RNG = np.random.default_rng(0)
X = RNG.standard_normal((2, 3, 4))
P = RNG.random((3, 4)) + 0.5

CASES = [
    ("amax", lambda o, x: o.amax(x, axis=1), lambda x: x.max(1), X),
    ("amin", lambda o, x: o.amin(x, axis=(0, 2), keepdims=True),
     lambda x: x.min((0, 2), keepdims=True), X),
    ("argmin", lambda o, x: o.argmin(x, axis=-1), lambda x: x.argmin(-1), X),
    ("prod", lambda o, x: o.prod(x, axis=(0, 2)), lambda x: x.prod((0, 2)), X),
    ("prod_all", lambda o, x: o.prod(x), lambda x: x.prod(), X),
    ("cumprod", lambda o, x: o.cumprod(x, axis=1), lambda x: np.cumprod(x, 1), X),
    ("median_even", lambda o, x: o.median(x, axis=-1), lambda x: np.median(x, -1), X),
    ("median_odd_keep", lambda o, x: o.median(x, axis=1, keepdims=True),
     lambda x: np.median(x, 1, keepdims=True), X),
    ("median_all", lambda o, x: o.median(x), np.median, X),
    ("average_w", lambda o, x: o.average(x, axis=2, weights=np.array([1.0, 2, 3, 4])),
     lambda x: np.average(x, 2, [1.0, 2, 3, 4]), X),
    ("diff", lambda o, x: o.diff(x, 2, axis=1), lambda x: np.diff(x, 2, 1), X),
    ("roll", lambda o, x: o.roll(x, 2, axis=2), lambda x: np.roll(x, 2, 2), X),
    ("moveaxis", lambda o, x: o.moveaxis(x, 0, -1), lambda x: np.moveaxis(x, 0, -1), X),
    ("swapaxes", lambda o, x: o.swapaxes(x, 0, 2), lambda x: np.swapaxes(x, 0, 2), X),
    ("tensordot", lambda o, x: o.tensordot(x, np.arange(12.0).reshape(3, 4), axes=([1, 2],
                                                                                  [0, 1])),
     lambda x: np.tensordot(x, np.arange(12.0).reshape(3, 4), ([1, 2], [0, 1])), X),
    ("trace", lambda o, x: o.trace(x[0]), lambda x: np.trace(x[0]), X),
    ("diagonal", lambda o, x: o.diagonal(x[0], 1), lambda x: np.diagonal(x[0], 1), X),
    ("outer", lambda o, x: o.outer(x[0, 0], x[1, 1]), lambda x: np.outer(x[0, 0], x[1, 1]), X),
    ("vdot", lambda o, x: o.vdot(x, x), lambda x: np.vdot(x, x), X),
    ("append", lambda o, x: o.append(x, x[:1], axis=0), lambda x: np.append(x, x[:1], 0), X),
    ("take", lambda o, x: o.take(x, np.array([3, 0]), axis=2), lambda x: np.take(x, [3, 0], 2),
     X),
    ("logaddexp", lambda o, x: o.logaddexp(x, x * 2), lambda x: np.logaddexp(x, x * 2), X),
    ("mod", lambda o, x: o.mod(x * 3, 1.5), lambda x: np.mod(x * 3, 1.5), X),
    ("arctan2", lambda o, x: o.arctan2(x, 0.5), lambda x: np.arctan2(x, 0.5), X),
    ("log2", lambda o, x: o.log2(x), np.log2, P),
    ("rsqrt", lambda o, x: o.rsqrt(x), lambda x: 1 / np.sqrt(x), P),
    ("relu6", lambda o, x: o.relu6(x * 5), lambda x: np.clip(x * 5, 0, 6), X),
    ("softsign", lambda o, x: o.softsign(x), lambda x: x / (1 + np.abs(x)), X),
    ("log_sigmoid", lambda o, x: o.log_sigmoid(x * 30), lambda x: -np.logaddexp(0, -x * 30), X),
    ("hard_sigmoid", lambda o, x: o.hard_sigmoid(x * 4), lambda x: np.clip(x * 4 + 3, 0, 6) / 6,
     X),
    ("hard_silu", lambda o, x: o.hard_silu(x * 4),
     lambda x: x * 4 * np.clip(x * 4 + 3, 0, 6) / 6, X),
    ("selu", lambda o, x: o.selu(x), lambda x: 1.0507009873554805 * np.where(
        x > 0, x, 1.6732632423543772 * np.expm1(np.minimum(x, 0))), X),
    ("categorical_ce_logits", lambda o, x: o.categorical_crossentropy(
        np.eye(4)[[0, 3, 1]], x[0], from_logits=True),
     lambda x: -(np.eye(4)[[0, 3, 1]] * (x[0] - np.log(np.exp(x[0]).sum(-1, keepdims=True))))
     .sum(-1), X),
    ("sparse_ce_probs", lambda o, x: o.sparse_categorical_crossentropy(np.array([2, 0, 1]), x),
     lambda x: -np.log(x[[0, 1, 2], [2, 0, 1]] / x.sum(-1)), P),
    ("batch_normalization", lambda o, x: o.batch_normalization(
        x, np.ones(4), np.full(4, 4.0), axis=-1, offset=np.full(4, 0.5), scale=np.full(4, 2.0)),
     lambda x: (x - 1) / np.sqrt(4.001) * 2 + 0.5, X),
]


@pytest.mark.parametrize("name, call, ref, data", CASES, ids=[c[0] for c in CASES])
def test_values(name, call, ref, data):
    got = call(ops, pe.tensor(data))
    np.testing.assert_allclose(np.asarray(got.numpy(), np.float64), ref(data), rtol=1e-6,
                               atol=1e-9)


@pytest.mark.parametrize("name", ["prod", "median_even", "logaddexp", "tensordot", "selu",
                                  "log_sigmoid", "categorical_ce_logits", "average_w"])
def test_gradients(name):
    call, data = {c[0]: (c[1], c[3]) for c in CASES}[name]
    x = pe.tensor(data, requires_grad=True)
    assert gradcheck(lambda v: call(ops, v), (x,))


def test_tests_creation_and_shapes():
    x = np.array([[0.0, np.nan], [np.inf, 2.0]])
    assert ops.isnan(x).numpy().tolist() == [[False, True], [False, False]]
    assert ops.isfinite(x).numpy().tolist() == [[True, False], [False, True]]
    assert ops.count_nonzero(np.array([0, 1, 2])).item() == 2
    assert [t.tolist() for t in ops.nonzero(np.array([[0, 1], [1, 0]]))] == [[0, 1], [1, 0]]
    assert ops.digitize(np.array([0.5, 1.5, 3.0]), np.array([1.0, 2.0])).tolist() == [0, 1, 2]
    assert ops.tri(3, k=-1).numpy().tolist() == np.tri(3, k=-1).tolist()
    assert ops.identity(2).numpy().tolist() == [[1, 0], [0, 1]]
    assert ops.ndim(np.zeros((2, 3))) == 2 and ops.size(np.zeros((2, 3))) == 6
    gx, gy = ops.meshgrid(np.arange(3), np.arange(2))
    assert gx.shape == (2, 3)  # NumPy's 'xy' by default
    assert ops.vstack([np.ones(2), np.zeros(2)]).shape == (2, 2)
    assert ops.in_top_k(np.array([1, 0]), np.array([[0.1, 0.9], [0.2, 0.8]]), 1).tolist() == \
        [True, False]
    s = ops.segment_sum(np.arange(8.0).reshape(4, 2), np.array([0, 0, 2, 1]))
    assert s.numpy().tolist() == [[2.0, 4.0], [6.0, 7.0], [4.0, 5.0]]
    # a negative id drops its row (it used to wrap to the last segment)
    s = ops.segment_sum(np.arange(8.0).reshape(4, 2), np.array([0, -1, 1, 1]))
    assert s.numpy().tolist() == [[0.0, 1.0], [10.0, 12.0]]
    m = ops.segment_max(np.array([[1.0], [5.0], [2.0]]), np.array([1, 1, 0]), num_segments=3)
    assert m.numpy()[:2].ravel().tolist() == [2.0, 5.0] and m.numpy()[2, 0] < -1e300


def test_nn_ops_match_the_layers():
    x = RNG.standard_normal((2, 6, 6, 3)).astype(np.float32)
    k = RNG.standard_normal((3, 3, 3, 4)).astype(np.float32)
    layer = keras.layers.Conv2D(4, 3, padding="same", use_bias=False)
    layer.build((None, 6, 6, 3))
    layer.set_weights([k])
    np.testing.assert_allclose(ops.conv(x, k, padding="same").numpy(), layer(x).numpy(),
                               rtol=1e-5, atol=1e-5)
    dk = RNG.standard_normal((3, 3, 3, 2)).astype(np.float32)
    dw = keras.layers.DepthwiseConv2D(3, depth_multiplier=2, use_bias=False)
    dw.build((None, 6, 6, 3))
    dw.set_weights([dk])
    np.testing.assert_allclose(ops.depthwise_conv(x, dk).numpy(), dw(x).numpy(), rtol=1e-5,
                               atol=1e-5)
    np.testing.assert_array_equal(ops.max_pool(x, 2).numpy(),
                                  keras.layers.MaxPooling2D(2)(x).numpy())
    np.testing.assert_allclose(ops.average_pool(x, 3, 1, "same").numpy(),
                               keras.layers.AveragePooling2D(3, 1, "same")(x).numpy(), rtol=1e-6)
    one_d = ops.conv(x[:, 0], k[0], padding="valid")
    assert one_d.shape == (2, 4, 4)
    with pytest.raises(ValueError, match="only data_format='channels_last'"):
        ops.max_pool(x, 2, data_format="channels_first")


def test_recorded_in_functional_models():
    inp = keras.Input((3, 4))
    out = ops.median(ops.logaddexp(inp, inp), axis=-1)
    model = keras.Model(inp, out)
    x = RNG.standard_normal((2, 3, 4)).astype(np.float32)
    np.testing.assert_allclose(model(x).numpy(), np.median(np.logaddexp(x, x), -1), rtol=1e-5)


def test_control_flow():
    assert ops.cond(pe.tensor(True), lambda: 1, lambda: 2) == 1
    assert ops.fori_loop(0, 4, lambda i, v: v + i, 10) == 16
    assert ops.while_loop(lambda a, b: a < 3, lambda a, b: (a + 1, b * 2), (0, 1)) == (3, 8)
    assert ops.while_loop(lambda v: True, lambda v: v + 1, 0, maximum_iterations=5) == 5
    carry, ys = ops.scan(lambda c, x: (c + x, c * x), pe.tensor(0.0), pe.arange(4.0))
    assert carry.item() == 6.0 and ys.tolist() == [0.0, 0.0, 2.0, 9.0]  # y = carry * x


@pytest.mark.parametrize("mode", ["constant", "reflect", "symmetric", "edge", "wrap"])
def test_pad_matches_numpy_and_passes_gradient(mode):
    x = RNG.standard_normal((3, 4))
    widths = [(1, 2), (2, 1)]
    np.testing.assert_array_equal(ops.pad(x, widths, mode=mode).numpy(),
                                  np.pad(x, widths, mode=mode))
    t = pe.tensor(x, requires_grad=True)
    w = RNG.standard_normal(np.pad(x, widths).shape)
    (ops.pad(t, widths, mode=mode) * pe.tensor(w)).sum().backward()
    ref = np.zeros_like(x)  # each output position sends its weight back to its source
    src = np.pad(np.arange(x.size).reshape(x.shape), widths, mode=mode)
    valid = np.pad(np.ones_like(x), widths, mode=mode) > 0 if mode == "constant" else \
        np.ones_like(w, bool)
    np.add.at(ref.reshape(-1), src[valid], w[valid])
    np.testing.assert_allclose(t.grad.numpy(), ref, rtol=1e-12)


def test_pad_widths_and_errors():
    x = np.ones((2, 2))
    assert ops.pad(x, 1, constant_values=5).numpy()[0, 0] == 5
    assert ops.pad(x, (0, 1)).shape == (3, 3)
    with pytest.raises(ValueError, match=r"constant_values can only be given"):
        ops.pad(x, 1, mode="edge", constant_values=1)
    with pytest.raises(NotImplementedError, match=r"mode 'median'"):
        ops.pad(x, 1, mode="median")
    with pytest.raises(ValueError, match=r"pad_width must be non-negative"):
        ops.pad(x, [(1, -1), (0, 0)])


def test_rfft_irfft_match_numpy_and_gradient():
    x = RNG.standard_normal((2, 3, 10))
    for n in (None, 8, 16):
        re, im = ops.rfft(x, fft_length=n)
        ref = np.fft.rfft(x, n=n)
        np.testing.assert_allclose(re.numpy(), ref.real, atol=1e-12)
        np.testing.assert_allclose(im.numpy(), ref.imag, atol=1e-12)
    spec = np.fft.rfft(x, n=12)
    np.testing.assert_allclose(ops.irfft((spec.real, spec.imag), fft_length=12).numpy(),
                               np.fft.irfft(spec, n=12), atol=1e-12)
    np.testing.assert_allclose(ops.irfft((np.fft.rfft(x).real, np.fft.rfft(x).imag)).numpy(), x,
                               atol=1e-12)
    t = pe.tensor(x, requires_grad=True)
    assert gradcheck(lambda v: ops.rfft(v, fft_length=16)[1], [t])
    with pytest.raises(ValueError, match=r"fft_length must be a positive int"):
        ops.rfft(x, fft_length=0)
    with pytest.raises(ValueError, match=r"\(real, imag\)"):
        ops.irfft(x)
