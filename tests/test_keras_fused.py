"""The fused MLP trainer (csrc/fused, keras/fused.py) against the generic autograd train_step:
same weights after N steps, for each loss, optimizer and activation it supports."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import keras
from pyengine.keras import layers


def _data(n=64, d=5, k=1, kind="bce", seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    if kind == "bce":
        y = (x[:, :k].sum(1, keepdims=True) > 0).astype(np.float32).repeat(k, 1)
    elif kind == "mse":
        y = rng.normal(size=(n, k)).astype(np.float32)
    elif kind == "scce":
        y = rng.integers(0, k, size=n)
    else:
        y = keras.utils.to_categorical(rng.integers(0, k, size=n), k)
    return x, y


def _model(acts, widths, d, seed=0, dropout=None):
    pe.manual_seed(seed)
    m = keras.Sequential([keras.Input(shape=(d,))])
    for i, (a, w) in enumerate(zip(acts, widths)):
        m.add(layers.Dense(w, activation=a))
        if dropout and i < len(acts) - 1:
            m.add(layers.Dropout(dropout))
    return m


def _train(fused, acts, widths, loss, opt, kind, metrics=(), epochs=2, batch=8, trainable=None):
    k = widths[-1]
    x, y = _data(k=k if kind != "bce" else widths[-1], kind=kind)
    m = _model(acts, widths, x.shape[1])
    if trainable is not None:
        m.layers[trainable].trainable = False
    m.compile(optimizer=opt(), loss=loss, metrics=list(metrics), jit_compile="auto" if fused else False)
    from pyengine.keras import fused as fz
    assert (fz.plan(m, y) is not None) == fused
    h = m.fit(x, y, batch_size=batch, epochs=epochs, shuffle=False, verbose=0)
    return m.get_weights(), h.history


CASES = [  # the losses with a shared C++ kernel (csrc/loss), which the fused trainer composes
    (["relu", "relu", "sigmoid"], [6, 6, 1], "binary_crossentropy", "bce"),
    (["tanh", "linear"], [7, 1], keras.losses.BinaryCrossentropy(from_logits=True), "bce"),
    (["sigmoid", "softmax"], [5, 3], "binary_crossentropy", "bce"),
    (["relu", "linear"], [8, 4], keras.losses.CategoricalCrossentropy(from_logits=True), "cce"),
    (["relu", None], [8, 4], keras.losses.SparseCategoricalCrossentropy(from_logits=True), "scce"),
]
GENERIC_ONLY = [(["sigmoid", "linear"], [4, 3], "mse", "mse"),
                (["relu", "softmax"], [8, 4], "categorical_crossentropy", "cce"),
                (["relu", "softmax"], [8, 4], "sparse_categorical_crossentropy", "scce")]
OPTS = [lambda: keras.optimizers.Adam(learning_rate=0.01), lambda: keras.optimizers.SGD(0.05),
        lambda: keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
        lambda: keras.optimizers.RMSprop(0.01), lambda: keras.optimizers.RMSprop(0.01, momentum=0.5)]


@pytest.mark.parametrize("acts,widths,loss,kind", CASES)
@pytest.mark.parametrize("opt", OPTS)
def test_fused_matches_generic(acts, widths, loss, kind, opt):
    wf, hf = _train(True, acts, widths, loss, opt, kind, metrics=["accuracy"])
    wg, hg = _train(False, acts, widths, loss, opt, kind, metrics=["accuracy"])
    for a, b in zip(wf, wg):
        np.testing.assert_allclose(a, b, rtol=2e-4, atol=2e-5)
    np.testing.assert_allclose(hf["loss"], hg["loss"], rtol=1e-4)
    np.testing.assert_allclose(hf["accuracy"], hg["accuracy"])


@pytest.mark.parametrize("acts,widths,loss,kind", GENERIC_ONLY)
def test_losses_without_a_kernel_take_the_generic_path(acts, widths, loss, kind):
    _train(False, acts, widths, loss, OPTS[0], kind)
    from pyengine.keras import fused as fz
    m = _model(acts, widths, 5)
    m.compile("adam", loss)
    assert fz.plan(m, None) is None


def test_fused_honours_trainable_false():
    w0 = _model(["relu", "sigmoid"], [6, 1], 5).get_weights()
    wf, _ = _train(True, ["relu", "sigmoid"], [6, 1], "binary_crossentropy",
                   lambda: keras.optimizers.Adam(0.01), "bce", trainable=0)
    wg, _ = _train(False, ["relu", "sigmoid"], [6, 1], "binary_crossentropy",
                   lambda: keras.optimizers.Adam(0.01), "bce", trainable=0)
    np.testing.assert_array_equal(wf[0], w0[0])
    np.testing.assert_array_equal(wf[1], w0[1])
    for a, b in zip(wf, wg):
        np.testing.assert_allclose(a, b, rtol=2e-4, atol=2e-5)


def test_fused_partial_last_batch_and_shuffle_reproducible():
    def run():
        x, y = _data(n=37)
        m = _model(["relu", "sigmoid"], [5, 1], 5, dropout=0.3)
        m.compile("adam", "binary_crossentropy")
        pe.manual_seed(3)
        m.fit(x, y, batch_size=8, epochs=3, verbose=0)
        return m.get_weights()
    for a, b in zip(run(), run()):
        np.testing.assert_array_equal(a, b)


def test_fused_dropout_scales_kept_units():
    # with dropout, training still lowers the loss and eval is deterministic
    x, y = _data(n=256)
    m = _model(["relu", "sigmoid"], [32, 1], 5, dropout=0.5)
    m.compile(keras.optimizers.Adam(0.01), "binary_crossentropy", metrics=["accuracy"])
    h = m.fit(x, y, batch_size=16, epochs=10, verbose=0)
    assert h.history["loss"][-1] < h.history["loss"][0]
    np.testing.assert_array_equal(m.predict(x), m.predict(x))


def test_unsupported_models_fall_back():
    from pyengine.keras import fused as fz
    x, y = _data()
    m = keras.Sequential([layers.Dense(4, activation="elu", input_shape=(5,)), layers.Dense(1)])
    m.compile("adam", "mse")
    assert fz.plan(m, y) is None
    m.fit(x, y, epochs=1, verbose=0)  # generic path works
    m2 = keras.Sequential([layers.Dense(4, input_shape=(5,), kernel_regularizer="l2"),
                           layers.Dense(1)])
    m2.compile("adam", "mse")
    assert fz.plan(m2, y) is None


def test_binding_validates_arrays():
    w = np.zeros((3, 2), np.float32)
    args = dict(batch_size=2, kernels=[w], biases=[None], activations=[0], dropouts=[0.0],
                trainable=[True], state1=[None, None], state2=[None, None], loss=0, metric=0,
                optimizer=0, hyper=[0.1, 0, 0, 0, 0, 0], step=0, seed=0)
    x, y = np.zeros((4, 3), np.float32), np.zeros((4, 2), np.float32)
    with pytest.raises(TypeError, match="must be a NumPy array, got list"):
        pe._C.mlp_train(x, y, np.arange(4), **{**args, "kernels": [[[0.0] * 2] * 3]})
    with pytest.raises(TypeError, match="must be a NumPy array"):
        pe._C.mlp_train(x, y, np.arange(4), **{**args, "state1": [[0.0] * 6, None]})
    with pytest.raises(ValueError, match="not a class index"):
        pe._C.mlp_train(x, np.array([[0], [1], [2], [1]], np.float32), np.arange(4),
                        **{**args, "loss": 3})
    with pytest.raises(ValueError, match="not a class index"):
        pe._C.mlp_train(x, np.array([[0], [0.5], [1], [1]], np.float32), np.arange(4),
                        **{**args, "loss": 3})
    with pytest.raises(ValueError, match="out of range"):
        pe._C.mlp_train(x, y, np.array([0, 9], np.int64), **args)
    with pytest.raises(ValueError, match="kernel has shape"):
        pe._C.mlp_train(np.zeros((4, 5), np.float32), y, np.arange(4), **args)
    with pytest.raises(TypeError, match="float32"):
        pe._C.mlp_train(x.astype(np.float64), y, np.arange(4), **args)
    with pytest.raises(ValueError, match="missing optimizer state"):
        pe._C.mlp_train(x, y, np.arange(4), **{**args, "optimizer": 1})


def test_seed_tutorial_models_take_the_fused_path():
    from pyengine.keras import fused as fz
    churn = keras.Sequential([layers.Dense(6, kernel_initializer="uniform", activation="relu",
                                           input_dim=11),
                              layers.Dense(6, kernel_initializer="uniform", activation="relu"),
                              layers.Dense(1, kernel_initializer="uniform", activation="sigmoid")])
    churn.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    assert fz.plan(churn, None) is not None
    mnist = keras.Sequential([layers.Flatten(input_shape=(28, 28)),
                              layers.Dense(128, activation="relu"), layers.Dropout(0.2),
                              layers.Dense(10)])
    mnist.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  ["accuracy"])
    p = fz.plan(mnist, None)
    assert p is not None and [d[2] for d in p["layers"]] == [0.2, 0.0]


def test_fused_plan_only_when_provably_equivalent():
    from pyengine.keras import fused as fz

    def churn(cls=keras.Sequential):
        return cls([keras.Input((5,)), layers.Dense(4, activation="relu"),
                    layers.Dense(1, activation="sigmoid")])
    m = churn()
    m.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    assert fz.plan(m, None) is not None

    class OwnStep(keras.Sequential):
        def train_step(self, data):
            return super().train_step(data)
    m = churn(OwnStep)
    m.compile("adam", "binary_crossentropy")
    assert fz.plan(m, None) is None

    class MyBCE(keras.losses.BinaryCrossentropy):
        pass
    m = churn()
    m.compile("adam", MyBCE())
    assert fz.plan(m, None) is None

    class MyDense(layers.Dense):
        def call(self, x):
            return super().call(x) * 2.0
    m = keras.Sequential([keras.Input((5,)), MyDense(1, activation="sigmoid")])
    m.compile("adam", "binary_crossentropy")
    assert fz.plan(m, None) is None
    m = churn()
    m.compile(keras.optimizers.Adam(clipnorm=1.0), "binary_crossentropy")
    assert fz.plan(m, None) is None


def test_batch_size_checks_and_numpy_ints():
    x, y = _data()
    m = _model(["relu", "sigmoid"], [4, 1], 5)
    m.compile("adam", "binary_crossentropy")
    m.fit(x, y, batch_size=np.int64(8), epochs=1, verbose=0)
    for call in (lambda: m.predict(x, batch_size=-1), lambda: m.evaluate(x, y, batch_size=-1),
                 lambda: m.fit(x, y, batch_size=0, verbose=0),
                 lambda: m.fit(x, y, batch_size=2.5, verbose=0)):
        with pytest.raises(ValueError, match="batch_size must be a positive integer"):
            call()


@pytest.mark.parametrize("jit", ["auto", False])
def test_both_paths_stop_alike_on_nonfinite_loss(jit):
    x, y = _data(n=40)
    x[13, 0] = np.nan
    m = _model(["relu", "sigmoid"], [4, 1], 5)
    m.compile("adam", "binary_crossentropy", jit_compile=jit)
    with pytest.raises(FloatingPointError, match="batch 1; training stopped and that batch's "
                                                 "update was not applied"):
        m.fit(x, y, batch_size=8, shuffle=False, verbose=0)


def test_bce_kernel_keeps_nan():
    # csrc/loss's bce clamps logs at -100; a NaN probability must still give NaN, not 100
    p = pe.tensor(np.array([np.nan, 0.5], np.float32))
    out = pe.nn.functional.binary_cross_entropy(p, pe.tensor(np.ones(2, np.float32)),
                                                reduction="none")
    assert np.isnan(out.numpy()[0]) and np.isfinite(out.numpy()[1])
