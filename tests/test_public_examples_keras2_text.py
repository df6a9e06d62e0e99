"""The API patterns of the Keras 2 example programs on text and sequences (keras-team/keras
examples/: imdb_*, reuters_mlp, lstm_text_generation, lstm_stateful, addition_rnn, babi_*,
pretrained_word_embeddings, antirectifier, image_ocr, demo_functional; docs/public_examples.md),
with tiny synthetic data: the Keras 2 module paths, keras.utils.get_file on a local cache, the
text Tokenizer, Sequential.predict_classes, Model.reset_states, K.l2_normalize / K.function,
optimizer decay=, ctc_batch_cost with a blank label, a Lambda CTC loss trained from a
generator of dicts, and keras.config's traceback switches."""
import hashlib
import io
import json
import os
import tarfile
import warnings

import numpy as np
import pytest

import pyengine as pe
from pyengine import keras
from pyengine.keras import backend as K
from pyengine.keras import layers
from pyengine.nn import functional as F


# ---- Keras 2 module paths --------------------------------------------------------------------
def test_keras2_module_paths_are_the_same_classes():
    from pyengine.keras.layers import recurrent
    from pyengine.keras.layers.convolutional import Conv1D, Convolution1D, MaxPooling1D
    from pyengine.keras.layers.convolutional_recurrent import ConvLSTM2D
    from pyengine.keras.layers.embeddings import Embedding
    from pyengine.keras.layers.pooling import GlobalAveragePooling1D
    from pyengine.keras.utils import np_utils
    from pyengine.keras.utils.data_utils import get_file
    import pyengine.keras.layers.recurrent as rec

    assert recurrent.LSTM is layers.LSTM and rec.GRU is layers.GRU
    assert Convolution1D is Conv1D is layers.Conv1D and layers.Convolution2D is layers.Conv2D
    assert MaxPooling1D is layers.MaxPooling1D and ConvLSTM2D is layers.ConvLSTM2D
    assert Embedding is layers.Embedding
    assert GlobalAveragePooling1D is layers.GlobalAveragePooling1D
    assert get_file is keras.utils.get_file
    np.testing.assert_array_equal(np_utils.to_categorical([1, 0], 3), [[0, 1, 0], [1, 0, 0]])
    x = np.array([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(np_utils.normalize(x), [[0.6, 0.8], [0.0, 0.0]])


# ---- keras.utils.get_file ----------------------------------------------------------------------
def test_get_file_reads_the_cache_checks_hashes_and_untars(tmp_path, monkeypatch):
    monkeypatch.setenv("PYENGINE_HOME", str(tmp_path))
    folder = tmp_path / "datasets"
    folder.mkdir()
    (folder / "corpus.txt").write_text("abc")
    offline = "file:///nonexistent/corpus.txt"  # never reached: the cached file is used
    path = keras.utils.get_file("corpus.txt", origin=offline)
    assert path == str(folder / "corpus.txt")
    md5 = hashlib.md5(b"abc").hexdigest()
    sha = hashlib.sha256(b"abc").hexdigest()
    assert keras.utils.get_file("corpus.txt", origin=offline, md5_hash=md5) == path
    assert keras.utils.get_file("corpus.txt", origin=offline, file_hash=sha) == path
    with pytest.raises(ValueError, match=r"\[get_file\] .* does not match the expected hash"):
        keras.utils.get_file("corpus.txt", origin=offline, file_hash="0" * 64)

    buf = io.BytesIO()  # Keras 2's untar=True: <fname>.tar.gz unpacked into the folder
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for name, data in (("words/a.txt", b"one"), ("words/b.txt", b"two")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    (folder / "words.tar.gz").write_bytes(buf.getvalue())
    out = keras.utils.get_file("words", origin="file:///nonexistent/words.tgz", untar=True)
    assert out == str(folder / "words")
    assert (folder / "words" / "b.txt").read_text() == "two"


def test_get_file_downloads_a_local_origin_and_names_the_path_when_offline(tmp_path):
    src = tmp_path / "src.txt"
    src.write_text("hello")
    cache = tmp_path / "cache"
    path = keras.utils.get_file("copy.txt", origin=src.as_uri(), cache_dir=cache,
                                cache_subdir="texts")
    assert path == str(cache / "texts" / "copy.txt") and open(path).read() == "hello"
    assert keras.utils.get_file(origin=src.as_uri(), cache_dir=cache) == \
        str(cache / "datasets" / "src.txt")  # fname from the origin
    with pytest.raises(OSError, match=r"\[get_file\] .*missing.txt is missing"):
        keras.utils.get_file("missing.txt", origin=(tmp_path / "nope").as_uri(),
                             cache_dir=cache)
    with pytest.raises(ValueError, match="origin"):
        keras.utils.get_file("x.txt")


# ---- keras.preprocessing.text ------------------------------------------------------------------
from pyengine.keras.preprocessing.text import (Tokenizer, hashing_trick,  # noqa: E402
                                                 text_to_word_sequence, tokenizer_from_json)


def test_text_to_word_sequence_and_hashing_trick():
    assert text_to_word_sequence("The cat; the HAT!\tok") == ["the", "cat", "the", "hat", "ok"]
    assert text_to_word_sequence("a-b c", filters="", lower=False) == ["a-b", "c"]
    ids = hashing_trick("the cat the hat", 10, hash_function="md5")
    assert ids[0] == ids[2] and all(1 <= i < 10 for i in ids)
    assert ids == hashing_trick("The cat, the hat.", 10, hash_function="md5")
    with pytest.raises(ValueError, match=r"\[hashing_trick\] n"):
        hashing_trick("a", 1)


def test_tokenizer_indexes_by_count_and_limits_num_words():
    texts = ["b a b c", "c b d", "a e"]
    t = Tokenizer(num_words=4)
    t.fit_on_texts(texts)
    # counts b 3, a 2, c 2, d 1, e 1; ties keep the first-seen order
    assert t.word_index == {"b": 1, "a": 2, "c": 3, "d": 4, "e": 5}
    assert t.document_count == 3 and t.word_docs["b"] == 2 and t.index_docs[1] == 2
    assert t.texts_to_sequences(["e d c b a z"]) == [[3, 1, 2]]  # only indices < 4
    assert t.sequences_to_texts([[3, 1, 2, 4]]) == ["c b a"]
    oov = Tokenizer(num_words=4, oov_token="<unk>")
    oov.fit_on_texts(texts)
    assert oov.word_index["<unk>"] == 1 and oov.word_index["b"] == 2
    assert oov.texts_to_sequences(["b z d"]) == [[2, 1, 1]]
    chars = Tokenizer(char_level=True)
    chars.fit_on_texts(["abba"])
    assert chars.word_index == {"a": 1, "b": 2}
    with pytest.raises(TypeError, match="list of texts"):
        t.fit_on_texts("one string")


def test_sequences_to_matrix_modes_equal_numpy():
    t = Tokenizer()
    t.fit_on_texts(["x y y z", "y w", "z z"])
    seqs = t.texts_to_sequences(["y y z", "w", ""])
    n = len(t.word_index) + 1
    counts = np.zeros((3, n))
    for i, s in enumerate(seqs):
        for j in s:
            counts[i, j] += 1
    np.testing.assert_array_equal(t.sequences_to_matrix(seqs, "count"), counts)
    np.testing.assert_array_equal(t.sequences_to_matrix(seqs, "binary"), counts > 0)
    lengths = np.maximum([len(s) for s in seqs], 1)[:, None]
    np.testing.assert_allclose(t.sequences_to_matrix(seqs, "freq"), counts / lengths)
    docs = np.array([t.index_docs.get(j, 0) for j in range(n)])
    want = np.where(counts > 0, (1 + np.log(np.maximum(counts, 1)))
                    * np.log(1 + 3 / (1 + docs)), 0)
    np.testing.assert_allclose(t.sequences_to_matrix(seqs, "tfidf"), want)
    np.testing.assert_array_equal(t.texts_to_matrix(["y y z", "w", ""], "count"), counts)
    with pytest.raises(ValueError, match="Unknown vectorization mode"):
        t.sequences_to_matrix(seqs, "onehot")
    with pytest.raises(ValueError, match="num_words"):
        Tokenizer().sequences_to_matrix([[1]])


def test_tokenizer_json_round_trip():
    t = Tokenizer(num_words=10, oov_token="?")
    t.fit_on_texts(["red green green", "blue red"])
    back = tokenizer_from_json(t.to_json())
    assert json.loads(t.to_json())["class_name"] == "Tokenizer"
    assert back.word_index == t.word_index and back.index_word == t.index_word
    assert back.texts_to_sequences(["green blue pink"]) == t.texts_to_sequences(
        ["green blue pink"])
    np.testing.assert_array_equal(back.texts_to_matrix(["red red"], "tfidf"),
                                  t.texts_to_matrix(["red red"], "tfidf"))


def test_reuters_style_binary_matrix_mlp_learns():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 240)
    seqs = [list(rng.integers(10, 60, 12)) + [1 + 3 * int(c), 2 + 3 * int(c)] for c in labels]
    x = Tokenizer(num_words=64).sequences_to_matrix(seqs, mode="binary")
    y = keras.utils.to_categorical(labels, 3)
    pe.manual_seed(0)
    model = keras.Sequential([layers.Dense(16, input_shape=(64,), activation="relu"),
                              layers.Dense(3, activation="softmax")])
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    hist = model.fit(x, y, batch_size=16, epochs=15, verbose=0)
    assert hist.history["loss"][-1] < 0.5 * hist.history["loss"][0]
    assert hist.history["accuracy"][-1] > 0.9


# ---- Sequential.predict_classes / predict_proba (Keras 2) ------------------------------------
def test_predict_classes_and_proba():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(7, 5, 3)).astype("float32")
    model = keras.Sequential([layers.LSTM(4, input_shape=(5, 3), return_sequences=True),
                              layers.TimeDistributed(layers.Dense(6)),
                              layers.Activation("softmax")])
    probs = model.predict(x, verbose=0)
    np.testing.assert_array_equal(model.predict_classes(x), probs.argmax(-1))
    np.testing.assert_allclose(model.predict_proba(x), probs)
    binary = keras.Sequential([layers.Dense(1, activation="sigmoid", input_shape=(3,))])
    xb = rng.normal(size=(9, 3)).astype("float32")
    got = binary.predict_classes(xb)
    assert got.dtype == np.int32 and got.shape == (9, 1)
    np.testing.assert_array_equal(got, binary.predict(xb, verbose=0) > 0.5)
    linear = keras.Sequential([layers.Dense(2, input_shape=(3,))])
    linear.set_weights([np.full((3, 2), 5.0, "float32"), np.zeros(2, "float32")])
    with pytest.warns(UserWarning, match="invalid probability"):
        linear.predict_proba(np.ones((1, 3), "float32"))


# ---- Model.reset_states with a stateful LSTM (lstm_stateful.py) ------------------------------
def test_reset_states_forgets_the_carried_state():
    pe.manual_seed(0)
    model = keras.Sequential([layers.LSTM(5, batch_size=2, input_shape=(3, 1), stateful=True),
                              layers.Dense(1)])
    x = np.random.default_rng(2).normal(size=(2, 3, 1)).astype("float32")
    first = model.predict(x, batch_size=2, verbose=0)
    carried = model.predict(x, batch_size=2, verbose=0)
    assert not np.allclose(first, carried)  # the second call starts from the first's state
    model.reset_states()
    np.testing.assert_allclose(model.predict(x, batch_size=2, verbose=0), first, rtol=1e-6)
    inner = keras.Input(batch_shape=(2, 3, 1))
    wrapped = keras.Model(inner, model(inner))  # reset through a functional model too
    wrapped.predict(x, batch_size=2, verbose=0)
    wrapped.reset_states()
    np.testing.assert_allclose(wrapped.predict(x, batch_size=2, verbose=0), first, rtol=1e-6)


def test_stateful_lstm_learns_a_moving_average_that_spans_batches():
    # lstm_stateful.py's point: with one step per sample, only the carried state can see the
    # previous input that the two-point average needs
    rng = np.random.default_rng(3)
    u = rng.uniform(-1, 1, 301)
    x, y = u[1:].reshape(-1, 1, 1).astype("float32"), ((u[1:] + u[:-1]) / 2)[:, None]
    losses = {}
    for stateful in (True, False):
        pe.manual_seed(0)
        m = keras.Sequential([layers.LSTM(8, input_shape=(1, 1), batch_size=1,
                                          stateful=stateful), layers.Dense(1)])
        m.compile(loss="mse", optimizer=keras.optimizers.Adam(0.003))
        for _ in range(4):
            m.fit(x, y, batch_size=1, epochs=1, shuffle=False, verbose=0)
            m.reset_states()
        losses[stateful] = float(np.mean((m.predict(x, batch_size=1, verbose=0)[1:]
                                          - y[1:]) ** 2))
    assert losses[True] < 0.4 * losses[False]  # (measured 0.019 vs 0.072, the latter the
    # error of the best stateless answer u_t / 2: var(u) / 4 = 0.083)


# ---- keras.backend: l2_normalize, function (antirectifier.py, image_ocr.py) ----------------
def test_l2_normalize_equals_numpy():
    x = np.array([[3.0, -4.0, 0.0], [0.0, 0.0, 0.0]], "float32")
    got = K.l2_normalize(pe.tensor(x), axis=1).numpy()
    np.testing.assert_allclose(got, [[0.6, -0.8, 0.0], [0.0, 0.0, 0.0]], rtol=1e-6)
    flat = K.l2_normalize(pe.tensor(x)).numpy()
    np.testing.assert_allclose(flat, x / 5.0, rtol=1e-6)


def test_antirectifier_layer_on_backend_functions():
    class Antirectifier(layers.Layer):
        def compute_output_shape(self, input_shape):
            return (input_shape[0], 2 * input_shape[1])

        def call(self, inputs):
            inputs -= K.mean(inputs, axis=1, keepdims=True)
            inputs = K.l2_normalize(inputs, axis=1)
            return K.concatenate([K.relu(inputs), K.relu(-inputs)], axis=1)

    x = np.random.default_rng(4).normal(size=(6, 4)).astype("float32")
    model = keras.Sequential([layers.Input((4,)), Antirectifier()])
    c = x - x.mean(1, keepdims=True)
    c = c / np.linalg.norm(c, axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict(x, verbose=0),
                               np.concatenate([np.maximum(c, 0), np.maximum(-c, 0)], 1),
                               rtol=1e-5, atol=1e-6)
    assert model.output_shape == (None, 8)


def test_backend_function_reads_an_intermediate_layer():
    pe.manual_seed(0)
    inp = keras.Input((3,))
    hidden = layers.Dense(4, activation="relu")(inp)
    out = layers.Dense(2, activation="softmax")(layers.Dropout(0.5)(hidden))
    model = keras.Model(inp, out)
    x = np.random.default_rng(5).normal(size=(5, 3)).astype("float32")
    f = K.function([inp], [hidden, out])
    h, o = f([x])
    w, b = model.layers[1].get_weights()
    np.testing.assert_allclose(h, np.maximum(x @ w + b, 0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(o, model.predict(x, verbose=0), rtol=1e-5)  # inference mode
    single = K.function(inp, out)
    np.testing.assert_allclose(single(x), o, rtol=1e-6)
    with pytest.raises(ValueError, match=r"\[K.function\] expected 1 input"):
        f([x, x])
    with pytest.raises(NotImplementedError, match="updates"):
        K.function([inp], [out], updates=[(model.layers[1].kernel, None)])


# ---- optimizer decay= (Keras 2: lr / (1 + decay * iterations)) -------------------------------
def test_sgd_decay_follows_keras2_rule():
    w = keras.Variable(np.array([1.0], "float32"))
    opt = keras.optimizers.SGD(lr=0.5, decay=0.25)
    want = 1.0
    for t in range(4):
        grad = pe.tensor(np.array([2.0], "float32"))
        opt.apply_gradients([(grad, w)])
        want -= 0.5 / (1 + 0.25 * t) * 2.0
        np.testing.assert_allclose(np.asarray(w.numpy()), [want], rtol=1e-6)
    with pytest.raises(ValueError, match=r"\[SGD\] decay must be a number >= 0"):
        keras.optimizers.SGD(0.1, decay=-1.0)
    sched = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9)
    with pytest.raises(ValueError, match="cannot be combined"):
        keras.optimizers.Adam(sched, decay=0.1)


# ---- keras.config traceback switches (demo_functional.py) ------------------------------------
def test_traceback_filtering_switches():
    keras.config.disable_traceback_filtering()
    assert keras.config.is_traceback_filtering_enabled() is False
    with pytest.raises(NotImplementedError, match="does not filter tracebacks"):
        keras.config.enable_traceback_filtering()


# ---- CTC inside a Lambda, trained from a generator of dicts (image_ocr.py) -------------------
def test_ctc_batch_cost_accepts_the_blank_as_a_label():
    # TensorFlow's CTCLoss kernel (tf.compat.v1.nn.ctc_loss, which ctc_batch_cost calls) reads a
    # label >= num_classes - 1 as the end of the sequence: the one-label target [blank] is the
    # empty target, whose one alignment emits the blank at every step
    T, C = 5, 4
    rng = np.random.default_rng(6)
    p = rng.dirichlet(np.ones(C), size=(1, T)).astype("float32")
    got = K.ctc_batch_cost(np.array([[C - 1, 0]], "float32"), pe.tensor(p),
                           np.array([[T]]), np.array([[1]])).numpy()
    q = p[0].astype(np.float64) + 1e-7
    want = -np.log(q[:, C - 1] / q.sum(-1)).sum()
    np.testing.assert_allclose(got, [[want]], rtol=1e-5)
    with pytest.raises(ValueError, match="not the blank"):  # torch's F.ctc_loss keeps its rule
        F.ctc_loss(pe.tensor(np.log(p)).permute(1, 0, 2), [[C - 1]], [T], [1], blank=C - 1)


def _ocr_like_model(T=6, C=5):
    images = keras.Input(name="the_input", shape=(T, 3))
    y_pred = layers.Dense(C, activation="softmax")(layers.Dense(8, activation="relu")(images))
    labels = keras.Input(name="the_labels", shape=[2], dtype="float32")
    input_length = keras.Input(name="input_length", shape=[1], dtype="int64")
    label_length = keras.Input(name="label_length", shape=[1], dtype="int64")

    def ctc(args):
        yp, lab, il, ll = args
        return K.ctc_batch_cost(lab, yp, il, ll)
    # the all-zero examples that infer shapes have input lengths of 0, which CTC refuses: the
    # declared output_shape stands in, as Keras takes it from there
    loss_out = layers.Lambda(ctc, output_shape=(1,), name="ctc")(
        [y_pred, labels, input_length, label_length])
    return keras.Model([images, labels, input_length, label_length], loss_out), images, y_pred


def test_lambda_ctc_model_trains_from_a_generator_of_dicts():
    T, C = 6, 5
    model, images, y_pred = _ocr_like_model(T, C)
    assert model.output_shape == (None, 1)
    rng = np.random.default_rng(7)

    def batches():
        while True:
            lab = rng.integers(0, C - 1, (8, 2))
            x = np.zeros((8, T, 3), "float32")
            x[:, :3, 0] = lab[:, :1]  # the first label shows in the first frames
            x[:, 3:, 1] = lab[:, 1:]
            x += rng.normal(0, 0.05, x.shape)
            inputs = {"the_input": x, "the_labels": lab.astype("float32"),
                      "input_length": np.full((8, 1), T), "label_length": np.full((8, 1), 2),
                      "source_str": ["ab"] * 8}  # not a model input: dropped, as in Keras
            yield inputs, {"ctc": np.zeros(8)}
    pe.manual_seed(0)
    model.compile(loss={"ctc": lambda y_true, y_pred: y_pred},
                  optimizer=keras.optimizers.SGD(lr=0.05, decay=1e-6, momentum=0.9,
                                                 nesterov=True, clipnorm=5))
    with pytest.warns(UserWarning, match=r"\['source_str'\] which did not match any model input"):
        hist = model.fit(batches(), steps_per_epoch=10, epochs=6, verbose=0)
    assert hist.history["loss"][-1] < 0.7 * hist.history["loss"][0]
    probs = K.function([images], [y_pred])([np.zeros((2, T, 3), "float32")])[0]
    assert probs.shape == (2, T, C)
    np.testing.assert_allclose(probs.sum(-1), 1.0, rtol=1e-5)


def test_single_output_is_named_after_its_layer():
    inp = keras.Input((3,))
    out = layers.Dense(1, name="score")(inp)
    model = keras.Model(inp, out)
    model.compile(loss={"score": "mse"}, optimizer="sgd")
    x = np.ones((4, 3), "float32")
    model.fit(x, {"score": np.zeros((4, 1))}, epochs=1, verbose=0)
    bad = keras.Model(inp, out)
    with pytest.raises(ValueError, match=r"loss names outputs \['other'\]; the model's outputs "
                                         r"are \['score'\]"):
        bad.compile(loss={"other": "mse"}, optimizer="sgd")
        bad.fit(x, np.zeros((4, 1)), epochs=1, verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a dict of exactly the inputs warns about nothing
        model.predict({inp.name: x}, verbose=0)
