"""Keras recurrent layers on the recurrent kernel: Keras' equations and weight layout (a NumPy
float64 reference written from Keras' documentation), PyTorch with the converted weights,
go_backwards, masks, return_state, stateful, dropout paths, Bidirectional, TimeDistributed,
RepeatVector, Conv1D and 1-D pooling, bad input."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import keras
from pyengine.keras.layers.masking import get_mask

L = keras.layers

try:
    import torch
except ImportError:
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")


def sig(x):
    return 1 / (1 + np.exp(-x))


def keras_ref(layer, x, mask=None, h0=None, c0=None, act=np.tanh, rec_act=sig):
    """Keras' recurrence in float64 with the layer's own weights: x (B, T, F) -> (outputs
    (B, T, U) in processing order, final h, final c)."""
    W = layer.kernel.data.astype(np.float64)
    U = layer.recurrent_kernel.data.astype(np.float64)
    b = None if layer.bias is None else layer.bias.data.astype(np.float64)
    B, T, _ = x.shape
    u = layer.units
    h = np.zeros((B, u)) if h0 is None else h0
    c = np.zeros((B, u)) if c0 is None else c0
    order = range(T - 1, -1, -1) if layer.go_backwards else range(T)
    outs = []
    for t in order:
        xt = x[:, t]
        if isinstance(layer, L.LSTM):
            z = xt @ W + h @ U + (0 if b is None else b)
            i, f, g, o = rec_act(z[:, :u]), rec_act(z[:, u:2 * u]), act(z[:, 2 * u:3 * u]), \
                rec_act(z[:, 3 * u:])
            c_new = f * c + i * g
            h_new = o * act(c_new)
        elif isinstance(layer, L.GRU):
            if layer.reset_after:
                bx, bh = (0, 0) if b is None else (b[0], b[1])
                xz, hz = xt @ W + bx, h @ U + bh
                z = rec_act(xz[:, :u] + hz[:, :u])
                r = rec_act(xz[:, u:2 * u] + hz[:, u:2 * u])
                hh = act(xz[:, 2 * u:] + r * hz[:, 2 * u:])
            else:
                xz = xt @ W + (0 if b is None else b)
                z = rec_act(xz[:, :u] + h @ U[:, :u])
                r = rec_act(xz[:, u:2 * u] + h @ U[:, u:2 * u])
                hh = act(xz[:, 2 * u:] + (r * h) @ U[:, 2 * u:])
            h_new, c_new = z * h + (1 - z) * hh, c
        else:
            h_new, c_new = act(xt @ W + h @ U + (0 if b is None else b)), c
        if mask is not None:
            m = mask[:, t:t + 1]
            h_new = np.where(m, h_new, h)
            c_new = np.where(m, c_new, c)
        h, c = h_new, c_new
        outs.append(h)
    return np.stack(outs, 1), h, c


LAYERS = {
    "SimpleRNN": lambda **k: L.SimpleRNN(5, **k),
    "SimpleRNN_relu": lambda **k: L.SimpleRNN(5, activation="relu", **k),
    "LSTM": lambda **k: L.LSTM(5, **k),
    "GRU": lambda **k: L.GRU(5, **k),
    "GRU_reset_before": lambda **k: L.GRU(5, reset_after=False, **k),
}


def built(name, features=3, **kw):
    pe.manual_seed(0)
    layer = LAYERS[name](**kw)
    layer.build((None, 7, features))
    rng = np.random.default_rng(1)
    for w in layer.weights:  # non-trivial biases too
        w.assign(rng.standard_normal(w.shape).astype(np.float32) * 0.5)
    return layer


def act_of(name):
    return (lambda v: np.maximum(v, 0)) if name.endswith("relu") else np.tanh


@pytest.mark.parametrize("name", sorted(LAYERS))
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_matches_keras_equations(name, go_backwards, masked):
    layer = built(name, return_sequences=True, return_state=True, go_backwards=go_backwards)
    x = np.random.default_rng(2).standard_normal((4, 7, 3))
    mask = None
    if masked:
        mask = np.ones((4, 7), bool)
        mask[0, :3] = False  # pre-padding
        mask[1, 5:] = False  # post-padding
    res = layer(x.astype(np.float32), mask=mask)
    ref_seq, ref_h, ref_c = keras_ref(layer, x, mask, act=act_of(name))
    np.testing.assert_allclose(res[0].numpy(), ref_seq, rtol=2e-5, atol=2e-5)
    np.testing.assert_allclose(res[1].numpy(), ref_h, rtol=2e-5, atol=2e-5)
    if name == "LSTM":
        np.testing.assert_allclose(res[2].numpy(), ref_c, rtol=2e-5, atol=2e-5)
    if masked:
        np.testing.assert_array_equal(get_mask(res[0]), mask[:, ::-1] if go_backwards else mask)


@pytest.mark.parametrize("name", ["LSTM", "GRU", "GRU_reset_before"])
def test_composed_path_other_activations(name):
    """recurrent_activation other than sigmoid runs the per-step composed path."""
    layer = built(name, recurrent_activation="tanh", activation="relu")
    x = np.random.default_rng(3).standard_normal((2, 7, 3))
    _, ref_h, _ = keras_ref(layer, x, act=lambda v: np.maximum(v, 0), rec_act=np.tanh)
    np.testing.assert_allclose(layer(x.astype(np.float32)).numpy(), ref_h, rtol=2e-5, atol=2e-5)


@needs_torch
@pytest.mark.parametrize("name", ["LSTM", "GRU"])
def test_vs_torch_with_converted_weights(name):
    layer = built(name, return_sequences=True)
    u = layer.units
    W, U = layer.kernel.numpy(), layer.recurrent_kernel.numpy()
    tl = getattr(torch.nn, name)(3, u, batch_first=True)
    b = layer.bias.numpy()
    if name == "GRU":  # Keras z, r, h -> torch r, z, n
        perm = np.r_[u:2 * u, 0:u, 2 * u:3 * u]
        sd = {"weight_ih_l0": W[:, perm].T, "weight_hh_l0": U[:, perm].T,
              "bias_ih_l0": b[0][perm], "bias_hh_l0": b[1][perm]}
    else:
        sd = {"weight_ih_l0": W.T, "weight_hh_l0": U.T, "bias_ih_l0": b,
              "bias_hh_l0": np.zeros_like(b)}
    tl.load_state_dict({k: torch.tensor(np.ascontiguousarray(v)) for k, v in sd.items()})
    x = np.random.default_rng(4).standard_normal((3, 7, 3)).astype(np.float32)
    xt = torch.tensor(x, requires_grad=True)
    yt, _ = tl(xt)
    xp = pe.tensor(x, requires_grad=True)
    yp = layer(xp)
    np.testing.assert_allclose(yp.numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-5)
    g = np.random.default_rng(5).standard_normal(yp.shape).astype(np.float32)
    (yt * torch.tensor(g)).sum().backward()
    (yp * pe.tensor(g)).sum().backward()
    np.testing.assert_allclose(xp.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(layer.kernel.grad.numpy().T[:u] if name == "LSTM" else
                               layer.kernel.grad.numpy()[:, u:2 * u].T,
                               tl.weight_ih_l0.grad.numpy()[:u], rtol=1e-4, atol=1e-5)


def test_masked_pre_padding_equals_unpadded_run():
    layer = built("LSTM")
    x = np.random.default_rng(6).standard_normal((1, 7, 3)).astype(np.float32)
    padded = np.concatenate([np.zeros((1, 3, 3), np.float32), x[:, :4]], 1)
    seq = keras.Sequential([keras.Input((7, 3)), L.Masking(), layer])
    np.testing.assert_allclose(seq.predict(padded, verbose=0), layer(x[:, :4]).numpy(),
                               rtol=1e-6, atol=1e-6)


def test_embedding_mask_zero_reaches_the_lstm():
    pe.manual_seed(0)
    tokens = np.array([[0, 0, 3, 4, 5], [1, 2, 3, 4, 5]])
    emb = L.Embedding(10, 4, mask_zero=True)
    lstm = L.LSTM(3)
    h = lstm(emb(tokens))
    h_short = lstm(emb(tokens[:1, 2:]))
    np.testing.assert_allclose(h.numpy()[0], h_short.numpy()[0], rtol=1e-6, atol=1e-6)


def test_return_state_functional_and_initial_state():
    inp = keras.Input((6, 3))
    seq, h, c = L.LSTM(4, return_sequences=True, return_state=True)(inp)
    out = L.LSTM(2)(seq, initial_state=[L.Dense(2)(h), L.Dense(2)(c)])
    model = keras.Model(inp, [out, h, c])
    res = model.predict(np.ones((5, 6, 3), np.float32), verbose=0)
    assert [r.shape for r in res] == [(5, 2), (5, 4), (5, 4)]


def test_stateful_carries_state_between_calls():
    layer = built("GRU", stateful=True)
    x = np.random.default_rng(7).standard_normal((2, 8, 3)).astype(np.float32)
    layer(x[:, :4])
    second = layer(x[:, 4:]).numpy()
    layer.reset_states()
    np.testing.assert_allclose(second, built("GRU")(x).numpy(), rtol=1e-5, atol=1e-6)


def test_dropout_paths():
    pe.manual_seed(0)
    layer = built("LSTM", dropout=0.3, recurrent_dropout=0.3)
    x = np.random.default_rng(8).standard_normal((3, 7, 3)).astype(np.float32)
    plain = built("LSTM")(x).numpy()
    np.testing.assert_allclose(layer(x, training=False).numpy(), plain, rtol=1e-6)
    a, b = layer(x, training=True).numpy(), layer(x, training=True).numpy()
    assert not np.allclose(a, plain) and not np.allclose(a, b)
    xt = pe.tensor(x, requires_grad=True)
    layer(xt, training=True).sum().backward()
    assert layer.recurrent_kernel.grad is not None and np.isfinite(xt.grad.numpy()).all()


@pytest.mark.parametrize("merge", ["concat", "sum", "mul", "ave", None])
def test_bidirectional_merge_modes(merge):
    pe.manual_seed(0)
    bi = L.Bidirectional(L.GRU(3, return_sequences=True), merge_mode=merge)
    x = np.random.default_rng(9).standard_normal((2, 5, 4)).astype(np.float32)
    out = bi(x)
    f = bi.forward_layer(x).numpy()
    b = bi.backward_layer(x).numpy()[:, ::-1]
    want = {"concat": np.concatenate([f, b], -1), "sum": f + b, "mul": f * b,
            "ave": (f + b) / 2}
    if merge is None:
        np.testing.assert_allclose(out[0].numpy(), f, rtol=1e-6)
        np.testing.assert_allclose(out[1].numpy(), b, rtol=1e-6)
    else:
        np.testing.assert_allclose(out.numpy(), want[merge], rtol=1e-6, atol=1e-7)
    assert bi.backward_layer.go_backwards and not bi.forward_layer.go_backwards


def test_bidirectional_return_state_and_training():
    inp = keras.Input((5, 4))
    out, hf, cf, hb, cb = L.Bidirectional(L.LSTM(3, return_state=True))(inp)
    model = keras.Model(inp, L.Dense(1)(L.Concatenate()([out, hf, hb])))
    model.compile("adam", "mse")
    x = np.random.default_rng(10).standard_normal((16, 5, 4)).astype(np.float32)
    hist = model.fit(x, np.zeros((16, 1), np.float32), epochs=3, batch_size=8, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]


def test_time_distributed_and_repeat_vector():
    pe.manual_seed(0)
    dense = L.Dense(2)
    td = L.TimeDistributed(dense)
    x = np.random.default_rng(11).standard_normal((3, 4, 5)).astype(np.float32)
    y = td(x).numpy()
    np.testing.assert_allclose(y[:, 2], dense(x[:, 2]).numpy(), rtol=1e-6)
    r = L.RepeatVector(3)(x[:, 0]).numpy()
    assert r.shape == (3, 3, 5) and np.array_equal(r[:, 2], x[:, 0])


def conv1d_ref(x, k, b, stride, dilation, left, right):
    x = np.pad(x, ((0, 0), (left, right), (0, 0)))
    ks, _, f = k.shape
    span = dilation * (ks - 1) + 1
    out_len = (x.shape[1] - span) // stride + 1
    y = np.zeros((x.shape[0], out_len, f))
    for t in range(out_len):
        win = x[:, t * stride:t * stride + span:dilation]  # (B, ks, C)
        y[:, t] = np.einsum("bkc,kcf->bf", win, k) + b
    return y


@pytest.mark.parametrize("padding, stride, dilation", [("valid", 1, 1), ("same", 1, 1),
                                                       ("same", 2, 1), ("causal", 1, 2),
                                                       ("valid", 2, 2)])
def test_conv1d_channels_last(padding, stride, dilation):
    pe.manual_seed(0)
    conv = L.Conv1D(4, 3, strides=stride, padding=padding, dilation_rate=dilation)
    x = np.random.default_rng(12).standard_normal((2, 9, 3)).astype(np.float32)
    y = conv(x).numpy()
    span = dilation * 2
    if padding == "valid":
        pads = (0, 0)
    elif padding == "causal":
        pads = (span, 0)
    else:
        total = max((-(-9 // stride) - 1) * stride + span + 1 - 9, 0)
        pads = (total // 2, total - total // 2)
    ref = conv1d_ref(x.astype(np.float64), conv.kernel.numpy().astype(np.float64),
                     conv.bias.numpy(), stride, dilation, *pads)
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)


def test_pooling_1d():
    x = np.random.default_rng(13).standard_normal((2, 7, 3)).astype(np.float32)
    np.testing.assert_allclose(L.MaxPooling1D(2)(x).numpy(),
                               x[:, :6].reshape(2, 3, 2, 3).max(2), rtol=1e-6)
    np.testing.assert_allclose(L.AveragePooling1D(3, strides=2)(x).numpy(),
                               np.stack([x[:, i:i + 3].mean(1) for i in (0, 2, 4)], 1),
                               rtol=1e-5)
    np.testing.assert_allclose(L.GlobalMaxPooling1D()(x).numpy(), x.max(1), rtol=1e-6)
    np.testing.assert_allclose(L.GlobalAveragePooling1D()(x).numpy(), x.mean(1), rtol=1e-5)


def test_global_average_pooling_respects_mask():
    pe.manual_seed(0)
    emb = L.Embedding(5, 2, mask_zero=True)
    tokens = np.array([[0, 0, 1, 2]])
    e = emb(tokens)
    np.testing.assert_allclose(L.GlobalAveragePooling1D()(e).numpy(),
                               e.numpy()[:, 2:].mean(1), rtol=1e-6)


def test_imdb_style_models_train():
    pe.manual_seed(0)
    rng = np.random.default_rng(14)
    tokens = keras.preprocessing.sequence.pad_sequences(
        [rng.integers(1, 50, rng.integers(3, 20)) for _ in range(32)], maxlen=16)
    y = rng.integers(0, 2, (32, 1)).astype(np.float32)
    model = keras.Sequential([
        keras.Input((16,)), L.Embedding(50, 8, input_length=16), L.Dropout(0.2),
        L.Conv1D(8, 3, padding="valid", activation="relu"), L.MaxPooling1D(2),
        L.Bidirectional(L.LSTM(4, dropout=0.1, recurrent_dropout=0.1)),
        L.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    hist = model.fit(tokens, y, epochs=2, batch_size=8, verbose=0)
    assert np.isfinite(hist.history["loss"]).all()


@pytest.mark.parametrize("make, x, message", [
    (lambda: L.LSTM(3), np.zeros((2, 5), np.float32), "expects .batch, time, features"),
    (lambda: L.LSTM(0), None, "units must be a positive integer"),
    (lambda: L.GRU(3, dropout=1.5), None, "dropout must be a float"),
    (lambda: L.LSTM(3, time_major=True), None, "time_major"),
    (lambda: L.Bidirectional(L.LSTM(3), merge_mode="max"), None, "merge_mode"),
    (lambda: L.Conv1D(2, 3, padding="full"), None, "padding must be"),
    (lambda: L.MaxPooling1D(2, padding="same"), None, "padding='valid'"),
    (lambda: L.RepeatVector(0), None, "n must be a positive integer"),
])
def test_bad_configuration_and_input(make, x, message):
    with pytest.raises(ValueError, match=message):
        layer = make()
        layer(x)


def test_bad_initial_state_and_feature_count():
    layer = built("LSTM")
    x = np.zeros((2, 7, 3), np.float32)
    with pytest.raises(ValueError, match="expects 2 initial state"):
        layer(x, initial_state=[np.zeros((2, 5), np.float32)])
    with pytest.raises(ValueError, match=r"initial state must have shape \(2, 5\)"):
        layer(x, initial_state=[np.zeros((3, 5), np.float32)] * 2)
    with pytest.raises(ValueError, match="input has 4 features"):
        layer(np.zeros((2, 7, 4), np.float32))
    with pytest.raises(ValueError, match="empty input"):
        layer(np.zeros((2, 0, 3), np.float32))
    with pytest.raises(ValueError, match="input_length=5"):
        L.Embedding(4, 2, input_length=5)(np.zeros((1, 3), np.int64))


def test_save_and_load_sequence_model(tmp_path):
    pe.manual_seed(0)
    model = keras.Sequential([
        keras.Input((12,)), L.Embedding(30, 6, mask_zero=True),
        L.Bidirectional(L.LSTM(4, return_sequences=True), merge_mode="sum"), L.Conv1D(3, 2),
        L.GlobalMaxPooling1D(), L.RepeatVector(2), L.GRU(3, reset_after=False,
                                                         return_sequences=True),
        L.TimeDistributed(L.Dense(1))])
    x = np.random.default_rng(15).integers(0, 30, (4, 12))
    path = str(tmp_path / "seq.keras")
    model.save(path)
    again = keras.load_model(path)
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize("name", ["SimpleRNN", "LSTM", "GRU"])
def test_recurrent_dropout_is_one_mask_on_the_state_before_the_recurrent_kernel(name):
    """Keras' recurrent_dropout: one dropout mask per sequence (batch, units), scaled by
    1 / (1 - rate), multiplying the state that enters the recurrent kernel at every step."""
    from pyengine.ops import dropout as _dropout
    from pyengine.ops.rnn import recurrence_composed
    layer = built(name, recurrent_dropout=0.5)
    x = np.random.default_rng(11).standard_normal((4, 7, 3)).astype(np.float32)
    plain = layer(x, training=False).numpy()
    pe.manual_seed(5)
    dropped = layer(x, training=True).numpy()
    assert not np.allclose(dropped, plain)
    pe.manual_seed(5)
    mask = _dropout.dropout(pe.tensor(np.ones((4, layer.units), np.float32)), 0.5, True)
    assert set(np.unique(mask.numpy())) == {0.0, 2.0}
    w_ih, w_hh, b_ih, b_hh, mode = layer.kernel_weights()
    _, h, _ = recurrence_composed(pe.tensor(x).transpose(0, 1), w_ih, w_hh, b_ih, b_hh,
                                  mode=mode, recurrent_mask=mask)
    np.testing.assert_allclose(dropped, h.detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("make", [lambda k: k.layers.LSTM(5), lambda k: k.layers.GRU(5),
                                  lambda k: k.layers.SimpleRNN(5),
                                  lambda k: k.layers.SimpleRNN(5, activation="relu"),
                                  lambda k: k.layers.LSTM(5, activation=k.activations.tanh,
                                                          recurrent_activation="sigmoid")])
def test_default_activations_take_the_kernel_path(monkeypatch, make):
    # keras.activations.tanh is a graph-recording wrapper of F.tanh: an identity test against
    # it once sent every Keras recurrent layer down the per-step Python path (4x slower)
    from pyengine import keras
    import pyengine.keras.layers.rnn as krnn

    def composed(*a, **k):
        raise AssertionError("per-step composed path taken")
    monkeypatch.setattr(krnn, "recurrence_composed", composed)
    layer = make(keras)
    assert layer.fast_path()
    x = pe.tensor(np.random.default_rng(0).normal(size=(3, 4, 2)).astype(np.float32))
    layer(x, training=True).sum().backward()
