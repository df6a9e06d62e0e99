"""Original tests of the pattern of keras-io nlp/lstm_seq2seq (an encoder LSTM whose final
states start a decoder LSTM under teacher forcing; after save / load, inference models are
built from `model.input[i]`, `model.layers[i].output` and the trained decoder layers called
again on new state Inputs). No program text of the example is used."""
import numpy as np

from pyengine import keras

E, D, L = 6, 7, 12  # encoder / decoder vocabularies, latent size


def _one_hot(ids, n):
    return np.eye(n, dtype="float32")[ids]


def _data(rng, n=48, t_in=5, t_out=6):
    src = rng.integers(0, E, (n, t_in))
    # target: the source tokens shifted by one id, with a start token (0) in front
    tgt = np.concatenate([np.zeros((n, 1), int), (src[:, :t_out - 1] % (D - 1)) + 1], 1)
    dec_in = _one_hot(tgt, D)
    dec_out = np.zeros_like(dec_in)
    dec_out[:, :-1] = dec_in[:, 1:]
    dec_out[:, -1, 0] = 1.0
    return _one_hot(src, E), dec_in, dec_out


def _training_model():
    enc_in = keras.Input(shape=(None, E))
    _, h, c = keras.layers.LSTM(L, return_state=True)(enc_in)
    dec_in = keras.Input(shape=(None, D))
    seq, _, _ = keras.layers.LSTM(L, return_sequences=True, return_state=True)(
        dec_in, initial_state=[h, c])
    out = keras.layers.Dense(D, activation="softmax")(seq)
    return keras.Model([enc_in, dec_in], out)


def test_functional_model_input_and_output_are_the_constructor_structures():
    model = _training_model()
    assert isinstance(model.input, list) and len(model.input) == 2
    assert model.input[0] is model.inputs[0] and model.input[1] is model.inputs[1]
    assert model.input[1].shape == (None, None, D)
    assert model.output is model.outputs[0]  # a single output stays a tensor
    one_in = keras.Input((3,))
    listed = keras.Model(one_in, [keras.layers.Dense(2)(one_in)])
    assert listed.input is one_in and isinstance(listed.output, list)
    seq = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    assert seq.input.shape == (None, 3) and seq.output.shape == (None, 2)


def test_seq2seq_trains_and_inference_models_from_the_loaded_model_match(tmp_path):
    rng = np.random.default_rng(0)
    enc_x, dec_x, dec_y = _data(rng)
    model = _training_model()
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    hist = model.fit([enc_x, dec_x], dec_y, batch_size=16, epochs=6, validation_split=0.25,
                     verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    assert set(hist.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    path = str(tmp_path / "s2s.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    full = model.predict([enc_x, dec_x], verbose=0)
    np.testing.assert_array_equal(loaded.predict([enc_x, dec_x], verbose=0), full)

    # the layer order the program indexes: two Inputs, encoder LSTM, decoder LSTM, Dense
    kinds = [type(lyr).__name__ for lyr in loaded.layers]
    assert kinds == ["InputLayer", "InputLayer", "LSTM", "LSTM", "Dense"]
    _, h_enc, c_enc = loaded.layers[2].output
    encoder = keras.Model(loaded.input[0], [h_enc, c_enc])
    h_in, c_in = keras.Input(shape=(L,)), keras.Input(shape=(L,))
    seq, h_dec, c_dec = loaded.layers[3](loaded.input[1], initial_state=[h_in, c_in])
    decoder = keras.Model([loaded.input[1], h_in, c_in],
                          [loaded.layers[4](seq), h_dec, c_dec])

    states = encoder.predict(enc_x, verbose=0)
    assert isinstance(states, list) and [s.shape for s in states] == [(48, L), (48, L)]
    steps = []
    for t in range(dec_x.shape[1]):  # one step at a time, states carried by hand
        probs, h, c = decoder.predict([dec_x[:, t:t + 1]] + states, verbose=0)
        assert probs.shape == (48, 1, D)
        steps.append(probs[:, 0])
        states = [h, c]
    np.testing.assert_allclose(np.stack(steps, 1), full, rtol=1e-5, atol=1e-6)
    # the training model is unchanged by the new calls of its layers
    np.testing.assert_array_equal(loaded.predict([enc_x, dec_x], verbose=0), full)
