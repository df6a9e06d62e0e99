"""keras.layers.RNN with SimpleRNNCell / LSTMCell / GRUCell (the per-step general path) against
SimpleRNN / LSTM / GRU (the C++ sequence kernel) on the same weights: outputs, states, masks,
go_backwards and gradients; a user cell (keras-io's MinimalRNNCell) in a functional model that
trains; stacked cells; stateful; errors."""
import numpy as np
import pytest

import pyengine as pe
import pyengine.keras as keras
from pyengine.keras import layers, ops

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 6, 4)).astype(np.float32)

PAIRS = {
    "simple": (lambda: layers.SimpleRNNCell(5), lambda **k: layers.SimpleRNN(5, **k)),
    "lstm": (lambda: layers.LSTMCell(5), lambda **k: layers.LSTM(5, **k)),
    "gru": (lambda: layers.GRUCell(5), lambda **k: layers.GRU(5, **k)),
    "gru_reset_before": (lambda: layers.GRUCell(5, reset_after=False),
                         lambda **k: layers.GRU(5, reset_after=False, **k)),
}


@pytest.mark.parametrize("name", sorted(PAIRS))
@pytest.mark.parametrize("go_backwards", [False, True])
def test_cell_matches_fused_layer(name, go_backwards):
    make_cell, make_layer = PAIRS[name]
    kw = dict(return_sequences=True, return_state=True, go_backwards=go_backwards)
    rnn, fused = layers.RNN(make_cell(), **kw), make_layer(**kw)
    fused(X)
    rnn(X)
    rnn.set_weights(fused.get_weights())
    got, want = rnn(X), fused(X)
    assert len(got) == len(want)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)
    # gradients of the same loss reach the same kernel gradients
    xs = pe.tensor(X)
    (rnn(xs)[0] ** 2).sum().backward()
    (fused(xs)[0] ** 2).sum().backward()
    for wa, wb in zip(rnn.trainable_weights, fused.trainable_weights):
        np.testing.assert_allclose(wa.grad.numpy(), wb.grad.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["lstm", "gru"])
def test_masks_carry_states_as_the_fused_layer(name):
    make_cell, make_layer = PAIRS[name]
    ids = np.array([[3, 1, 2, 0, 0, 0], [1, 1, 1, 1, 2, 0], [4, 0, 0, 0, 0, 0]])
    emb = layers.Embedding(5, 4, mask_zero=True)
    rnn, fused = layers.RNN(make_cell(), return_sequences=True), make_layer(return_sequences=True)
    e = emb(ids)
    fused(e)
    rnn(e)
    rnn.set_weights(fused.get_weights())
    np.testing.assert_allclose(rnn(e).numpy(), fused(e).numpy(), rtol=1e-5, atol=1e-6)
    last = layers.RNN(make_cell())
    last(e)
    last.set_weights(fused.get_weights())
    np.testing.assert_allclose(last(e).numpy(), fused(e).numpy()[:, -1], rtol=1e-5, atol=1e-6)


class MinimalRNNCell(layers.Layer):
    """keras-io "Working with RNNs": a cell with one state and its own weights."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                      initializer="uniform", name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units),
                                                initializer="uniform", name="recurrent_kernel")

    def call(self, inputs, states):
        prev_output = states[0]
        h = ops.matmul(inputs, self.kernel)
        output = h + ops.matmul(prev_output, self.recurrent_kernel)
        return output, [output]


def test_user_cell_and_stacked_cells_train():
    pe.manual_seed(0)
    inp = keras.Input((None, 4))
    h = layers.RNN([MinimalRNNCell(8), layers.LSTMCell(6)], return_sequences=True)(inp)
    out = layers.Dense(1)(layers.RNN(layers.GRUCell(4))(h))
    model = keras.Model(inp, out)
    assert len(model.trainable_weights) == 2 + 3 + 3 + 2
    model.compile("adam", "mse")
    y = X.sum((1, 2))[:, None] / 10
    hist = model.fit(X, y, epochs=15, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]


def test_stateful_and_initial_state():
    rnn = layers.RNN(layers.LSTMCell(3), stateful=True, return_state=True)
    _, h1, c1 = rnn(X[:, :3])
    _, h2, _ = rnn(X[:, 3:])
    whole = layers.RNN(layers.LSTMCell(3), return_state=True)
    whole(X)
    whole.set_weights(rnn.get_weights())
    np.testing.assert_allclose(whole(X)[1].numpy(), h2.numpy(), rtol=1e-5, atol=1e-6)
    again = whole(X[:, 3:], initial_state=[h1, c1])[1]
    np.testing.assert_allclose(again.numpy(), h2.numpy(), rtol=1e-5, atol=1e-6)
    rnn.reset_states()
    assert rnn.states is None


def test_errors():
    with pytest.raises(ValueError, match="needs a state_size"):
        layers.RNN(layers.Dense(3))
    with pytest.raises(ValueError, match=r"\[LSTMCell\] dropout / recurrent_dropout in a cell"):
        layers.LSTMCell(3, dropout=0.2)
    with pytest.raises(ValueError, match="expects 2 initial state"):
        layers.RNN(layers.LSTMCell(3))(X, initial_state=[pe.zeros(3, 3)])


def test_save_and_load(tmp_path):
    m = keras.Sequential([keras.Input((6, 4)),
                          layers.RNN([layers.LSTMCell(3), layers.GRUCell(2)],
                                     return_sequences=True),
                          layers.RNN(cell=layers.SimpleRNNCell(2)), layers.Dense(1)])
    m.compile("adam", "mse")
    m.save(tmp_path / "m.keras")
    back = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(back.predict(X, verbose=0), m.predict(X, verbose=0))


def test_cell_seed_and_forget_bias():
    with pytest.raises(ValueError, match=r"\[GRUCell\] seed is not supported"):
        layers.GRUCell(3, seed=1)
    cell = layers.RNN(layers.LSTMCell(3))
    cell(X)
    b = cell.cell.bias.numpy()
    assert (b[3:6] == 1).all() and (b[:3] == 0).all() and (b[6:] == 0).all()
