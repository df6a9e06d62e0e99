"""keras.layers.CategoryEncoding, Hashing, Discretization against NumPy float64 references
(the references below are written from the formulas, loop by loop), TensorFlow's documented
bins for Hashing, and their use inside a functional model."""
import numpy as np
import pytest

from pyengine import keras
from pyengine.keras.layers.string_hashes import farmhash64, siphash64

L = keras.layers
rng = np.random.default_rng(0)


def ref_encode(ids, mode, depth, weights=None):
    ids = np.atleast_1d(np.asarray(ids, np.int64))
    if mode == "one_hot":
        if ids.shape[-1] != 1:
            ids = ids[..., None]
        out = np.zeros(ids.shape[:-1] + (depth,))
        for idx in np.ndindex(ids.shape[:-1]):
            out[idx + (ids[idx + (0,)],)] = 1
        return out
    out = np.zeros(ids.shape[:-1] + (depth,))
    w = np.ones(ids.shape) if weights is None else np.asarray(weights, np.float64)
    for idx in np.ndindex(ids.shape):
        k = idx[:-1] + (ids[idx],)
        out[k] = 1 if mode == "multi_hot" else out[k] + w[idx]
    return out


@pytest.mark.parametrize("shape", [(), (1,), (5,), (4, 1), (4, 3), (2, 3, 4), (0, 3)])
@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
def test_category_encoding_matches_reference(shape, mode):
    ids = rng.integers(0, 6, size=shape)
    got = L.CategoryEncoding(num_tokens=6, output_mode=mode)(ids).numpy()
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, ref_encode(ids, mode, 6))


def test_category_encoding_count_weights_and_lists():
    ids = [[0, 1, 1], [3, 3, 2]]
    w = rng.random((2, 3))
    got = L.CategoryEncoding(4, output_mode="count")(ids, count_weights=w).numpy()
    np.testing.assert_allclose(got, ref_encode(ids, "count", 4, w), rtol=1e-6)
    got = L.CategoryEncoding(4, output_mode="binary")(ids).numpy()  # Keras' old name
    np.testing.assert_array_equal(got, [[1, 1, 0, 0], [0, 0, 1, 1]])


def test_category_encoding_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"CategoryEncoding.*sparse=True"):
        L.CategoryEncoding(4, sparse=True)
    with pytest.raises(ValueError, match=r"CategoryEncoding.*num_tokens=0"):
        L.CategoryEncoding(0)
    with pytest.raises(ValueError, match=r"CategoryEncoding.*output_mode='tf_idf'"):
        L.CategoryEncoding(4, output_mode="tf_idf")
    with pytest.raises(ValueError, match=r"0 <= values < num_tokens=4.*\[0, 4\]"):
        L.CategoryEncoding(4)([0, 4])
    with pytest.raises(ValueError, match="non-integer"):
        L.CategoryEncoding(4)(np.array([0.5]))
    with pytest.raises(ValueError, match="count_weights is only used"):
        L.CategoryEncoding(4, output_mode="one_hot")([1], count_weights=[1.0])


# ---- Hashing ---------------------------------------------------------------------------
def test_hashing_gives_tensorflows_documented_bins():
    letters = [["A"], ["B"], ["C"], ["D"], ["E"]]
    np.testing.assert_array_equal(L.Hashing(3)(letters).numpy().ravel(), [1, 0, 1, 1, 2])
    np.testing.assert_array_equal(
        L.Hashing(3, mask_value="")([["A"], ["B"], [""], ["C"], ["D"]]).numpy().ravel(),
        [1, 1, 0, 2, 2])
    np.testing.assert_array_equal(L.Hashing(3, salt=[133, 137])(letters).numpy().ravel(),
                                  [1, 2, 1, 0, 2])
    # tf.strings.to_hash_bucket_fast / _strong documented examples
    assert [farmhash64(s.encode()) % 3 for s in ("Hello", "TensorFlow", "2.x")] == [0, 2, 2]
    assert [siphash64(1, 2, s.encode()) % 3 for s in ("Hello", "TF")] == [2, 0]


def test_siphash_reference_vector_and_empty_farmhash():
    key = bytes(range(16))
    k0, k1 = int.from_bytes(key[:8], "little"), int.from_bytes(key[8:], "little")
    assert siphash64(k0, k1, bytes(range(15))) == 0xa129ca6149be45e5
    assert farmhash64(b"") == 0x9ae16a3b2f90404f


def test_farmhash_every_length_against_pyfarmhash():
    farmhash = pytest.importorskip("farmhash")  # optional cross-check (pip install pyfarmhash)
    r = np.random.default_rng(1)
    for n in range(0, 300, 7):
        b = r.integers(0, 256, n, dtype=np.uint8).tobytes()
        assert farmhash64(b) == farmhash.fingerprint64(b), n


def test_hashing_integers_masks_and_modes():
    ints = np.array([[7, 12345678901234], [-3, 7]], np.int64)
    layer = L.Hashing(11, mask_value=7)
    got = layer(ints).numpy()
    want = [[0 if v == 7 else farmhash64(str(v).encode()) % 10 + 1 for v in row]
            for row in ints.tolist()]
    np.testing.assert_array_equal(got, want)
    assert got.dtype == np.int64
    hot = L.Hashing(11, mask_value=7, output_mode="multi_hot")(ints).numpy()
    np.testing.assert_array_equal(hot, ref_encode(want, "multi_hot", 11))
    one = L.Hashing(5, output_mode="one_hot")(["x", "y"]).numpy()
    assert one.shape == (2, 5) and np.all(one.sum(-1) == 1)
    salted = L.Hashing(5, salt=9)(["x"]).numpy()
    assert salted[0] == siphash64(9, 9, b"x") % 5


def test_hashing_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"Hashing.*num_bins=0"):
        L.Hashing(0)
    with pytest.raises(ValueError, match=r"Hashing.*num_bins=1"):
        L.Hashing(1, mask_value="")
    with pytest.raises(ValueError, match=r"Hashing.*salt="):
        L.Hashing(3, salt="abc")
    with pytest.raises(ValueError, match=r"Hashing.*sparse=True"):
        L.Hashing(3, sparse=True)
    with pytest.raises(TypeError, match="non-integer"):
        L.Hashing(3)(np.array([0.5]))


# ---- Discretization --------------------------------------------------------------------
def test_discretization_given_boundaries():
    x = np.array([[-1.5, 1.0, 3.4, 0.5], [0.0, 3.0, 1.3, 0.0]])
    layer = L.Discretization(bin_boundaries=[0.0, 1.0, 2.0])
    want = [[sum(v >= b for b in (0.0, 1.0, 2.0)) for v in row] for row in x.tolist()]
    np.testing.assert_array_equal(layer(x).numpy(), want)
    got = L.Discretization([0.0, 1.0, 2.0], output_mode="count")(x).numpy()
    np.testing.assert_array_equal(got, ref_encode(want, "count", 4))


def ref_quantile_boundaries(values, num_bins, eps):
    """The summary of the module docstring, with explicit weights and a plain loop."""
    v = sorted(values)
    stride = len(v) * eps
    step = max(int(max(stride, 1.0)), 1)
    samples = v[int(stride)::step]
    if len(samples) < num_bins:
        return samples[:-1]
    total = step * len(samples)
    out = []
    for k in range(1, num_bins):
        q = k / num_bins
        for i in range(len(samples)):  # linear interpolation between cumulative weights
            hi = step * (i + 1) / total
            if hi >= q:
                lo = step * i / total
                if i == 0:
                    out.append(samples[0])
                else:
                    t = (q - lo) / (hi - lo)
                    out.append(samples[i - 1] + t * (samples[i] - samples[i - 1]))
                break
    return out


@pytest.mark.parametrize("n,num_bins,eps", [(8, 4, 0.01), (1000, 5, 0.01), (997, 7, 0.05),
                                            (3, 5, 0.01)])
def test_discretization_adapt_matches_reference(n, num_bins, eps):
    x = rng.normal(size=n)
    layer = L.Discretization(num_bins=num_bins, epsilon=eps)
    layer.adapt(x.reshape(-1, 1))
    np.testing.assert_allclose(layer.bin_boundaries, ref_quantile_boundaries(x, num_bins, eps),
                               rtol=1e-12)


def test_discretization_adapt_learns_quantiles_and_batches():
    x = rng.uniform(0, 1, size=(4000, 1))
    layer = L.Discretization(num_bins=4)
    layer.adapt(iter([x[:1000], x[1000:]]))  # an iterable of batches
    np.testing.assert_allclose(layer.bin_boundaries, [0.25, 0.5, 0.75], atol=0.03)
    counts = np.bincount(layer(x).numpy().ravel(), minlength=4)
    assert counts.min() > 900


def test_discretization_rejects_bad_arguments():
    with pytest.raises(ValueError, match="exactly one of bin_boundaries and num_bins"):
        L.Discretization()
    with pytest.raises(ValueError, match="sorted"):
        L.Discretization(bin_boundaries=[1.0, 0.0])
    with pytest.raises(ValueError, match=r"Discretization.*epsilon=2"):
        L.Discretization(num_bins=3, epsilon=2)
    with pytest.raises(ValueError, match="adapt"):
        L.Discretization(num_bins=3)([1.0])
    with pytest.raises(ValueError, match=r"Discretization.*sparse=True"):
        L.Discretization(num_bins=3, sparse=True)


def test_layers_inside_a_functional_model_train():
    """An integer feature one-hot encoded, a numeric one bucketed and a hashed id, joined and
    fed to Dense: the structured-data pattern of keras-io, with synthetic data."""
    n = 256
    cat = rng.integers(0, 5, size=(n, 1))
    num = rng.normal(size=(n, 1))
    hid = rng.integers(0, 1000, size=(n, 1))
    y = ((cat[:, 0] % 2 == 0) ^ (num[:, 0] > 0)).astype(np.float32)[:, None]
    disc = L.Discretization(num_bins=4)
    disc.adapt(num)
    a = keras.Input(shape=(1,), dtype="int64")
    b = keras.Input(shape=(1,))
    c = keras.Input(shape=(1,), dtype="int64")
    ea = L.CategoryEncoding(num_tokens=5, output_mode="one_hot")(a)
    eb = L.CategoryEncoding(num_tokens=4, output_mode="one_hot")(disc(b))
    ec = L.Hashing(8, output_mode="one_hot")(c)
    assert tuple(ea.shape) == (None, 5) and tuple(ec.shape) == (None, 8)
    h = L.Dense(16, activation="relu")(L.concatenate([ea, eb, ec]))
    model = keras.Model([a, b, c], L.Dense(1, activation="sigmoid")(h))
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="binary_crossentropy")
    hist = model.fit([cat, num, hid], y, epochs=15, batch_size=64, verbose=0)
    assert hist.history["loss"][-1] < 0.5 * hist.history["loss"][0]
