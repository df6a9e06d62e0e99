"""TextVectorization, StringLookup and IntegerLookup against the outputs Keras documents for
them (index layout, adapt order, output modes, tf_idf weights) and the errors for what is not
implemented."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import keras
from pyengine.keras import layers

TEXTS = ["The cat sat on the mat.", "The dog ate my homework!", "Cats, and DOGS"]


def test_text_vectorization_int_mode():
    tv = layers.TextVectorization(max_tokens=10, output_sequence_length=6)
    tv.adapt(TEXTS)
    vocab = tv.get_vocabulary()
    # '' (mask) and '[UNK]' first; then by count ('the' 3x), ties by token descending
    assert vocab == ["", "[UNK]", "the", "sat", "on", "my", "mat", "homework", "dogs", "dog"]
    assert tv.vocabulary_size() == 10
    out = tv(TEXTS)
    assert out.dtype == pe.int64 and out.shape == (3, 6)
    np.testing.assert_array_equal(out.numpy(), [[2, 1, 3, 4, 2, 6], [2, 9, 1, 5, 7, 0],
                                                [1, 1, 8, 0, 0, 0]])
    # (n, 1) input, punctuation and case removed, truncation at output_sequence_length
    np.testing.assert_array_equal(tv(np.array([["MAT!! the the the the the the"]])).numpy(),
                                  [[6, 2, 2, 2, 2, 2]])
    assert tv.get_vocabulary(include_special_tokens=False)[0] == "the"


def test_text_vectorization_pads_to_the_longest_without_length():
    tv = layers.TextVectorization(vocabulary=["a", "b"], standardize=None)
    np.testing.assert_array_equal(tv(["a b a", "b"]).numpy(), [[2, 3, 2], [3, 0, 0]])
    assert tv(["A"]).numpy().tolist() == [[1]]  # standardize=None keeps the case: OOV


def test_text_vectorization_bag_modes_and_tf_idf():
    for mode, want in (("multi_hot", [1, 1, 0]), ("count", [1, 2, 0])):
        tv = layers.TextVectorization(output_mode=mode, vocabulary=["the", "cat"])
        np.testing.assert_array_equal(tv(["the the zebra"]).numpy(), [want])
    tv = layers.TextVectorization(output_mode="tf_idf")
    tv.adapt(TEXTS)
    idf = {t: np.log1p(3 / (1 + df)) for t, df in (("the", 2), ("cat", 1))}
    vocab = tv.get_vocabulary()
    assert vocab[0] == "[UNK]" and "" not in vocab
    out = tv(["the the cat"]).numpy()[0]
    assert out[vocab.index("the")] == pytest.approx(2 * idf["the"], rel=1e-6)
    assert out[vocab.index("cat")] == pytest.approx(idf["cat"], rel=1e-6)
    padded = layers.TextVectorization(max_tokens=50, output_mode="multi_hot",
                                      pad_to_max_tokens=True, vocabulary=["x"])
    assert padded(["x"]).shape == (1, 50)


def test_text_vectorization_callables_and_split_modes():
    tv = layers.TextVectorization(standardize=lambda a: np.char.upper(a.astype(str)),
                                  split=lambda s: s.split("-"), vocabulary=["A", "B"])
    np.testing.assert_array_equal(tv(["a-b-c"]).numpy(), [[2, 3, 1]])
    chars = layers.TextVectorization(split="character", vocabulary=["a", "b"])
    np.testing.assert_array_equal(chars(["ab"]).numpy(), [[2, 3]])


def test_text_vectorization_adapt_on_batches_and_in_a_model():
    pe.manual_seed(0)
    tv = layers.TextVectorization(max_tokens=20, output_sequence_length=5)
    tv.adapt(iter([np.array(TEXTS[:2]), np.array(TEXTS[2:])]))
    assert "the" in tv.get_vocabulary()
    model = keras.Sequential([layers.Embedding(20, 4), layers.GlobalAveragePooling1D(),
                              layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    model.fit(tv(TEXTS), np.array([1, 0, 1]), epochs=1, verbose=0)


def test_string_lookup_as_documented_by_keras():
    layer = layers.StringLookup(vocabulary=["a", "b", "c", "d"])
    data = [["a", "c", "d"], ["d", "z", "b"]]
    np.testing.assert_array_equal(layer(data).numpy(), [[1, 3, 4], [4, 0, 2]])
    adapted = layers.StringLookup()
    adapted.adapt([["a", "c", "d"], ["d", "z", "b"]])
    assert adapted.get_vocabulary() == ["[UNK]", "d", "z", "c", "b", "a"]
    tfidf = layers.StringLookup(output_mode="tf_idf", vocabulary=["a", "b", "c", "d"],
                                idf_weights=[0.25, 0.75, 0.6, 0.4])
    np.testing.assert_allclose(tfidf([["a", "c", "d", "d"], ["d", "z", "b", "z"]]).numpy(),
                               [[0, 0.25, 0, 0.6, 0.8], [1.0, 0, 0.75, 0, 0.4]], rtol=1e-6)
    counts = layers.StringLookup(output_mode="count", vocabulary=["a", "b", "c", "d"])
    np.testing.assert_array_equal(counts([["a", "c", "d", "d"], ["d", "z", "b", "z"]]).numpy(),
                                  [[0, 1, 0, 1, 2], [2, 0, 1, 0, 1]])
    one_hot = layers.StringLookup(output_mode="one_hot", vocabulary=["a", "b", "c"])
    np.testing.assert_array_equal(one_hot(["a", "z"]).numpy(), [[0, 1, 0, 0], [1, 0, 0, 0]])
    inverse = layers.StringLookup(vocabulary=["a", "b", "c", "d"], invert=True)
    assert inverse(np.array([[1, 3, 4], [4, 0, 2]])).tolist() == \
        [["a", "c", "d"], ["d", "[UNK]", "b"]]
    masked = layers.StringLookup(vocabulary=["a", "b"], mask_token="")
    assert masked.get_vocabulary() == ["", "[UNK]", "a", "b"]
    np.testing.assert_array_equal(masked(["", "a", "q"]).numpy(), [0, 2, 1])
    strict = layers.StringLookup(vocabulary=["a"], num_oov_indices=0)
    assert strict(["a"]).numpy().tolist() == [0]
    with pytest.raises(ValueError, match="'q' is not in the vocabulary"):
        strict(["q"])


def test_integer_lookup_as_documented_by_keras():
    layer = layers.IntegerLookup()
    layer.adapt(np.array([12, 36, 1138, 42]))
    assert layer.get_vocabulary() == [-1, 1138, 42, 36, 12]
    np.testing.assert_array_equal(layer(np.array([[12, 1138, 42], [42, 1000, 36]])).numpy(),
                                  [[4, 1, 2], [2, 0, 3]])
    masked = layers.IntegerLookup(vocabulary=[12, 1138, 42], mask_token=0)
    np.testing.assert_array_equal(masked(np.array([0, 42, 7])).numpy(), [0, 4, 1])
    inverse = layers.IntegerLookup(vocabulary=[12, 1138, 42], invert=True)
    np.testing.assert_array_equal(inverse(np.array([1, 0, 3])), [12, -1, 42])
    with pytest.raises(TypeError, match="expects integers"):
        layers.IntegerLookup(vocabulary=[1, 2])(np.array([1.5]))


@pytest.mark.parametrize("make, match", [
    (lambda: layers.StringLookup(num_oov_indices=2), "num_oov_indices must be 0 or 1"),
    (lambda: layers.StringLookup(output_mode="multi_hot", mask_token=""), "mask_token"),
    (lambda: layers.StringLookup(output_mode="bogus"), "output_mode must be one of"),
    (lambda: layers.StringLookup(invert=True, output_mode="count"), "invert=True needs"),
    (lambda: layers.StringLookup(sparse=True), "sparse=True"),
    (lambda: layers.StringLookup(encoding="latin-1"), "utf-8"),
    (lambda: layers.StringLookup(vocabulary=["a", "a"]), "repeated"),
    (lambda: layers.StringLookup(max_tokens=2, vocabulary=["a", "b"]), "more than max_tokens"),
    (lambda: layers.StringLookup(output_mode="tf_idf", vocabulary=["a"]), "idf_weights"),
    (lambda: layers.TextVectorization(ngrams=0), "ngrams must be None, a positive int"),
    (lambda: layers.TextVectorization(ngrams=(1, "2")), "ngrams must be None, a positive int"),
    (lambda: layers.TextVectorization(ragged=True), "ragged"),
    (lambda: layers.TextVectorization(standardize="upper"), "standardize must be"),
    (lambda: layers.TextVectorization(split="comma"), "split must be"),
    (lambda: layers.TextVectorization(output_mode="one_hot"), "output_mode must be"),
    (lambda: layers.TextVectorization(output_mode="count", output_sequence_length=3),
     "output_sequence_length needs"),
])
def test_unimplemented_options_are_rejected(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_calls_are_rejected():
    with pytest.raises(ValueError, match="no vocabulary"):
        layers.TextVectorization()(["a"])
    with pytest.raises(TypeError, match="expects strings"):
        layers.StringLookup(vocabulary=["a"])([1, 2])
    with pytest.raises(TypeError, match="expects strings"):  # a float keras.Input
        layers.StringLookup(vocabulary=["a"])(keras.Input(shape=(3,)))
    with pytest.raises(ValueError, match=r"indices must be in \[0, 2\)"):
        layers.StringLookup(vocabulary=["a"], invert=True)(np.array([2]))
    with pytest.raises(ValueError, match=r"shape \(n,\) or \(n, 1\)"):
        layers.TextVectorization(vocabulary=["a"])(np.array([["a", "b"]]))


def test_keras_io_spanish_custom_standardization():
    """keras-io English-to-Spanish: TextVectorization with a standardize callable written with
    tf.strings (`import pyengine.strings as tf_strings`)."""
    import re
    import string
    import pyengine.strings as tf_strings
    strip_chars = string.punctuation + "¿"
    strip_chars = strip_chars.replace("[", "")
    strip_chars = strip_chars.replace("]", "")

    def custom_standardization(input_string):
        lowercase = tf_strings.lower(input_string)
        return tf_strings.regex_replace(lowercase, "[%s]" % re.escape(strip_chars), "")

    spa_vectorization = layers.TextVectorization(max_tokens=50, output_mode="int",
                                                 output_sequence_length=6,
                                                 standardize=custom_standardization)
    spa = ["[start] ¿Dónde está Tom? [end]", "[start] Tom está aquí. [end]"]
    spa_vectorization.adapt(spa)
    vocab = spa_vectorization.get_vocabulary()
    assert "[start]" in vocab and "dónde" in vocab and "¿dónde" not in vocab
    out = spa_vectorization(spa).numpy()
    assert out.shape == (2, 6) and out[0, 0] == vocab.index("[start]")
    assert out[0, 4] == vocab.index("[end]") and out[0, 5] == 0


def test_strings_functions():
    from pyengine import strings
    assert strings.lower("ÀB") == "Àb" and strings.lower("ÀB", encoding="utf-8") == "àb"
    assert strings.upper(["a", b"b"]).tolist() == ["A", "B"]
    assert strings.strip(np.array([" a ", "b\n"])).tolist() == ["a", "b"]
    assert strings.regex_replace("a-b-c", "-", "+", replace_global=False) == "a+b-c"
    assert strings.regex_replace(np.array([["ab"]]), r"(a)(b)", r"\2\1").tolist() == [["ba"]]
    with pytest.raises(TypeError, match=r"\[strings.lower\] expects strings"):
        strings.lower([1])
    with pytest.raises(ValueError, match="encoding"):
        strings.lower("a", encoding="latin-1")


def test_text_vectorization_ngrams_tf_idf_matches_numpy():
    docs = ["a b a c", "b c", "c a b"]
    tv = layers.TextVectorization(ngrams=2, output_mode="tf_idf")
    tv.adapt(docs)
    grams = [d.split() + [" ".join(p) for p in zip(d.split(), d.split()[1:])] for d in docs]
    vocab = tv.get_vocabulary()
    assert vocab[0] == "[UNK]" and "a b" in vocab and "b c" in vocab and "c a" in vocab
    idf = {t: np.log1p(3 / (1 + sum(t in g for g in grams))) for t in vocab[1:]}
    ref = np.zeros((3, len(vocab)))
    for r, g in enumerate(grams):
        for t in g:
            ref[r, vocab.index(t)] += idf[t]
    np.testing.assert_allclose(tv(docs).numpy(), ref, rtol=1e-6)
    only_pairs = layers.TextVectorization(ngrams=(2,), output_mode="multi_hot")
    only_pairs.adapt(["x y z"])
    assert sorted(only_pairs.get_vocabulary()[1:]) == ["x y", "y z"]
    ints = layers.TextVectorization(ngrams=2, vocabulary=["a", "b", "a b"])
    assert ints(["a b c"]).numpy().tolist() == [[2, 3, 1, 4, 1]]  # a b c | a b, b c


def test_string_lookup_on_ragged_labels_and_a_text_sequential_predicts_strings():
    terms = pe.ragged.constant([["cs.LG", "stat.ML"], ["cs.CV"], ["cs.LG"]])
    lookup = layers.StringLookup(output_mode="multi_hot")
    lookup.adapt(terms)
    vocab = lookup.get_vocabulary()
    # most frequent first; ties in reverse token order, as Keras' lexsort(...)[::-1]
    assert vocab == ["[UNK]", "cs.LG", "stat.ML", "cs.CV"]
    hot = lookup(terms).numpy()
    np.testing.assert_array_equal(hot, [[0, 1, 1, 0], [0, 0, 0, 1], [0, 1, 0, 0]])
    np.testing.assert_array_equal(lookup([["cs.CV", "cs.LG"]]).numpy(), [[0, 1, 0, 1]])
    ints = layers.StringLookup(vocabulary=["cs.LG", "cs.CV"])(terms)
    assert isinstance(ints, pe.RaggedTensor) and ints.to_list() == [[1, 0], [2], [1]]
    with pytest.raises(NotImplementedError, match="RaggedTensor input"):
        layers.StringLookup(vocabulary=["a"], output_mode="one_hot")(terms)
    texts = np.array(["good fine", "bad awful", "fine good good", "awful bad"])
    tv = layers.TextVectorization(output_mode="multi_hot")
    with pe.device("/CPU:0"):  # TensorFlow's device scope
        tv.adapt(pe.data.Dataset.from_tensor_slices(texts).batch(2))
    clf = keras.Sequential([layers.Dense(1, activation="sigmoid")])
    clf.compile(loss="binary_crossentropy", optimizer="adam")
    clf.fit(tv(texts), np.array([1.0, 0.0, 1.0, 0.0]), epochs=2, verbose=0)
    inference = keras.Sequential([tv, clf])
    np.testing.assert_allclose(inference.predict(texts, verbose=0), clf.predict(tv(texts),
                                                                                verbose=0))
