"""keras.utils.text_dataset_from_directory: folders of .txt files to (texts, labels) batches
(class inference, label modes, max_length, validation subsets, seeded shuffles, errors), and
an original test of the code path of keras-io's "Text classification from scratch" on a tiny
IMDB-like folder: a TextVectorization with a tf.strings standardization adapted on the
text-only dataset, map / cache / prefetch, an Embedding + strided Conv1D classifier fitted on
the dataset, and the end-to-end model that takes raw strings. No program text of the example
is used."""
import re
import string

import numpy as np
import pytest

import pyengine as tf
from pyengine import keras
from pyengine.keras import layers

text_dataset_from_directory = keras.utils.text_dataset_from_directory


def write_folder(root, counts, nested=True):
    """root/<class>/<i>.txt holding '<class> <i>' (the last file of a class in a subfolder),
    plus a non-.txt file that must be ignored. Returns {path: text}."""
    texts = {}
    for name, n in counts.items():
        for i in range(n):
            where = root / name / ("deeper" if nested and i == n - 1 and n > 1 else "")
            where.mkdir(parents=True, exist_ok=True)
            path = where / f"{i:02d}.txt"
            path.write_text(f"{name} {i}", encoding="utf-8")
            texts[str(path)] = f"{name} {i}"
    (root / next(iter(counts)) / "README.md").write_text("not a sample")
    return texts


def all_items(ds):
    """(text, label) pairs of one pass, texts as str."""
    out = []
    for texts, labels in ds.as_numpy_iterator():
        out += list(zip(texts.tolist(), labels.tolist()))
    return out


def test_classes_inferred_from_sorted_subfolders(tmp_path, capsys):
    texts = write_folder(tmp_path, {"pos": 3, "neg": 2, "mid": 1})
    ds = text_dataset_from_directory(tmp_path, batch_size=4, seed=3)
    assert "Found 6 files belonging to 3 classes." in capsys.readouterr().out
    assert ds.class_names == ["mid", "neg", "pos"] and len(ds) == 2
    assert sorted(ds.file_paths) == sorted(texts)
    seen = all_items(ds)
    assert sorted(t for t, _ in seen) == sorted(texts.values())
    for text, label in seen:  # each text labelled by its class folder
        assert text.split()[0] == ds.class_names[label]
    texts_batch, labels_batch = next(iter(ds))  # what user code sees: tf.string / Tensor
    assert texts_batch.dtype == tf.string and texts_batch.shape == (4,)
    assert isinstance(texts_batch.numpy()[0], str) and labels_batch.numpy().dtype == np.int32


def test_shuffle_false_keeps_class_then_path_order(tmp_path):
    write_folder(tmp_path, {"b": 3, "a": 2})
    ds = text_dataset_from_directory(tmp_path, shuffle=False, batch_size=10, verbose=False)
    texts, labels = next(ds.as_numpy_iterator())
    assert texts.tolist() == ["a 0", "a 1", "b 0", "b 1", "b 2"]
    assert labels.tolist() == [0, 0, 1, 1, 1]
    again = next(ds.as_numpy_iterator())[0]
    assert again.tolist() == texts.tolist()


def test_text_is_read_as_utf8_and_cut_to_max_length(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "a.txt").write_text("café ☕ au lait\r\nsecond line", encoding="utf-8")
    (tmp_path / "x" / "b.txt").write_bytes(b"bad \xff byte")
    full = text_dataset_from_directory(tmp_path, shuffle=False, verbose=False)
    texts = next(full.as_numpy_iterator())[0].tolist()
    assert texts == ["café ☕ au lait\r\nsecond line", "bad \ufffd byte"]
    cut = text_dataset_from_directory(tmp_path, shuffle=False, max_length=6, verbose=False)
    assert next(cut.as_numpy_iterator())[0].tolist() == ["café ☕", "bad \ufffd "]  # characters


@pytest.mark.parametrize("mode, shape, dtype", [
    ("int", (5,), np.int32), ("categorical", (5, 2), np.float32),
    ("binary", (5, 1), np.float32)])
def test_label_modes(tmp_path, mode, shape, dtype):
    write_folder(tmp_path, {"neg": 2, "pos": 3})
    ds = text_dataset_from_directory(tmp_path, label_mode=mode, shuffle=False, verbose=False)
    texts, labels = next(ds.as_numpy_iterator())
    assert labels.shape == shape and labels.dtype == dtype
    ids = [0, 0, 1, 1, 1]
    expected = {"int": ids, "categorical": np.eye(2)[ids].tolist(),
                "binary": [[v] for v in ids]}[mode]
    assert labels.tolist() == expected


def test_label_mode_none_and_labels_none_give_texts_only(tmp_path):
    texts = write_folder(tmp_path, {"neg": 2, "pos": 2})
    for kw in (dict(label_mode=None), dict(labels=None)):
        ds = text_dataset_from_directory(tmp_path, shuffle=False, verbose=False, **kw)
        batch = next(ds.as_numpy_iterator())
        assert isinstance(batch, np.ndarray) and sorted(batch.tolist()) == sorted(texts.values())
    assert ds.class_names is None  # labels=None: no classes


def test_listed_labels_follow_sorted_paths(tmp_path):
    write_folder(tmp_path, {"a": 2, "b": 2}, nested=False)
    ds = text_dataset_from_directory(tmp_path, labels=[2, 0, 1, 2], shuffle=False,
                                     verbose=False)
    texts, labels = next(ds.as_numpy_iterator())
    assert texts.tolist() == ["a 0", "a 1", "b 0", "b 1"] and labels.tolist() == [2, 0, 1, 2]
    assert ds.class_names == ["0", "1", "2"]


def test_class_names_pick_and_order_the_classes(tmp_path):
    write_folder(tmp_path, {"a": 1, "b": 2, "c": 1})
    ds = text_dataset_from_directory(tmp_path, class_names=["c", "a"], shuffle=False,
                                     verbose=False)
    assert all_items(ds) == [("c 0", 0), ("a 0", 1)]


def test_batch_size_none_yields_single_texts(tmp_path):
    write_folder(tmp_path, {"a": 2, "b": 1})
    ds = text_dataset_from_directory(tmp_path, batch_size=None, shuffle=False, verbose=False)
    items = list(ds.as_numpy_iterator())
    assert len(ds) == 3 and items[0][0] == "a 0" and items[2][1] == 1


def test_validation_subsets_are_disjoint_and_cover_every_file(tmp_path, capsys):
    texts = write_folder(tmp_path, {"neg": 6, "pos": 4})
    kw = dict(validation_split=0.3, seed=11, batch_size=4)
    train = text_dataset_from_directory(tmp_path, subset="training", **kw)
    val = text_dataset_from_directory(tmp_path, subset="validation", **kw)
    out = capsys.readouterr().out
    assert "Using 7 files for training." in out and "Using 3 files for validation." in out
    assert len(train.file_paths) == 7 and len(val.file_paths) == 3
    assert not set(train.file_paths) & set(val.file_paths)
    assert sorted(train.file_paths + val.file_paths) == sorted(texts)
    both = text_dataset_from_directory(tmp_path, subset="both", verbose=False, **kw)
    assert both[0].file_paths == train.file_paths and both[1].file_paths == val.file_paths
    assert sorted(t for t, _ in all_items(train) + all_items(val)) == sorted(texts.values())
    assert train.class_names == val.class_names == ["neg", "pos"]


def test_seeded_shuffle_is_reproducible(tmp_path):
    write_folder(tmp_path, {"a": 8, "b": 8})
    one = text_dataset_from_directory(tmp_path, seed=5, batch_size=4, verbose=False)
    two = text_dataset_from_directory(tmp_path, seed=5, batch_size=4, verbose=False)
    other = text_dataset_from_directory(tmp_path, seed=6, batch_size=4, verbose=False)
    assert one.file_paths == two.file_paths != other.file_paths
    first, second = all_items(one), all_items(two)
    assert first == second  # the same order pass for pass
    again = all_items(one)
    assert again != first and sorted(again) == sorted(first)  # a new order each pass


@pytest.mark.parametrize("kw, match", [
    (dict(label_mode="sparse"), "label_mode must be"),
    (dict(label_mode="binary"), "needs exactly 2 classes; found 3"),
    (dict(validation_split=0.2, subset="training"), "pass a seed"),
    (dict(subset="training", seed=1), "subset and validation_split go together"),
    (dict(validation_split=0.2, subset="test", seed=1), "subset must be"),
    (dict(validation_split=1.5, subset="training", seed=1), "validation_split must be"),
    (dict(class_names=["a", "zebra"]), "class_names must be distinct names of subfolders"),
    (dict(labels=None, class_names=["a"]), "class_names is only valid"),
    (dict(labels="folders"), "labels must be 'inferred', None, or a list"),
    (dict(labels=[0, 1]), "6 integers, one per text file"),
    (dict(batch_size=0), "batch_size must be a positive int"),
    (dict(max_length=0), "max_length must be a positive int"),
])
def test_bad_arguments_name_the_function(tmp_path, kw, match):
    write_folder(tmp_path, {"a": 2, "b": 2, "c": 2})
    with pytest.raises(ValueError, match=r"\[text_dataset_from_directory\].*" + match):
        text_dataset_from_directory(tmp_path, verbose=False, **kw)


def test_missing_or_empty_directory(tmp_path):
    with pytest.raises(ValueError, match="directory not found"):
        text_dataset_from_directory(tmp_path / "missing")
    (tmp_path / "empty" / "a").mkdir(parents=True)
    with pytest.raises(ValueError, match="no text files found"):
        text_dataset_from_directory(tmp_path / "empty")


# ---- keras-io "Text classification from scratch", on a tiny IMDB-like folder ----------------
_GOOD = ["wonderful", "superb", "brilliant", "loved", "masterpiece", "delightful"]
_BAD = ["awful", "boring", "dreadful", "hated", "worst", "tedious"]
_FILLER = ["the", "film", "movie", "plot", "actors", "was", "and", "a", "story", "this", "i",
           "scenes", "ending", "really", "director"]


def write_reviews(root, per_class, rng):
    for split in ("train", "test"):
        for label, words in (("neg", _BAD), ("pos", _GOOD)):
            (root / split / label).mkdir(parents=True)
            for i in range(per_class):
                toks = list(rng.choice(_FILLER, rng.integers(8, 16)))
                for w in rng.choice(words, 3):
                    toks.insert(int(rng.integers(len(toks) + 1)), w)
                text = " ".join(toks).capitalize() + ".<br /><br />" + \
                    f"{rng.choice(words).upper()}!"
                (root / split / label / f"{i}_{rng.integers(1, 10)}.txt").write_text(text)


def tidy(texts):  # the example's custom_standardization, with the tf.strings replacement
    lowered = tf.strings.lower(texts)
    no_breaks = tf.strings.regex_replace(lowered, "<br />", " ")
    return tf.strings.regex_replace(no_breaks, f"[{re.escape(string.punctuation)}]", "")


def test_text_classification_from_scratch_pattern(tmp_path):
    keras.utils.set_random_seed(7)
    write_reviews(tmp_path, 48, np.random.default_rng(7))
    kw = dict(batch_size=16, validation_split=0.2, seed=1337, verbose=False)
    raw_train = text_dataset_from_directory(tmp_path / "train", subset="training", **kw)
    raw_val = text_dataset_from_directory(tmp_path / "train", subset="validation", **kw)
    raw_test = text_dataset_from_directory(tmp_path / "test", batch_size=16, verbose=False)
    assert raw_train.cardinality() == 5 and raw_val.cardinality() == 2
    for text_batch, label_batch in raw_train.take(1):
        assert "<br />" in text_batch.numpy()[0] and label_batch.numpy()[0] in (0, 1)

    vectorizer = layers.TextVectorization(standardize=tidy, max_tokens=200, output_mode="int",
                                          output_sequence_length=40)
    vectorizer.adapt(raw_train.map(lambda x, y: x))
    vocab = vectorizer.get_vocabulary()
    assert "wonderful" in vocab and "br" not in vocab and "<br" not in " ".join(vocab)

    def vectorize(text, label):
        return vectorizer(tf.expand_dims(text, -1)), label
    train = raw_train.map(vectorize).cache().prefetch(buffer_size=10)
    val = raw_val.map(vectorize).cache().prefetch(buffer_size=10)
    test = raw_test.map(vectorize).cache().prefetch(buffer_size=10)
    x, y = next(iter(train))
    assert x.shape == (16, 40) and str(x.dtype).endswith("int64")

    ids = keras.Input(shape=(None,), dtype="int64")
    h = layers.Dropout(0.2)(layers.Embedding(200, 32)(ids))
    # kernel 7, stride 3, twice: longer than the 8-step examples a None length starts with
    h = layers.Conv1D(32, 7, padding="valid", activation="relu", strides=3)(h)
    h = layers.Conv1D(32, 7, padding="valid", activation="relu", strides=3)(h)
    h = layers.Dense(16, activation="relu")(layers.GlobalMaxPooling1D()(h))
    out = layers.Dense(1, activation="sigmoid", name="predictions")(layers.Dropout(0.2)(h))
    model = keras.Model(ids, out)
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    hist = model.fit(train, validation_data=val, epochs=15, verbose=0)
    assert hist.history["loss"][-1] < 0.5 * hist.history["loss"][0]
    assert len(hist.history["val_accuracy"]) == 15
    loss, acc = model.evaluate(test, verbose=0)
    assert acc > 0.8

    raw = keras.Input(shape=(1,), dtype="string")
    end_to_end = keras.Model(raw, model(vectorizer(raw)))
    end_to_end.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    e2e_loss, e2e_acc = end_to_end.evaluate(raw_test, verbose=0)
    np.testing.assert_allclose([e2e_loss, e2e_acc], [loss, acc], rtol=1e-5)
    probs = end_to_end.predict(np.array(["A wonderful, superb film; I loved it.",
                                         "Awful and boring. I hated this dreadful plot."]),
                               verbose=0)
    assert probs.shape == (2, 1) and probs[0, 0] > 0.5 > probs[1, 0]
