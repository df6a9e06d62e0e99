"""keras.constraints (MaxNorm, NonNeg, UnitNorm, MinMaxNorm) against NumPy float64 formulas,
their application by every optimizer step (fit, apply_gradients, custom subclasses, with
use_ema), the layers that take them, and models holding constraint / regularizer /
initializer objects saved and loaded (keras/config_objects.py)."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import keras

L = keras.layers
C = keras.constraints
EPS = 1e-7


def ref_norms(w, axis):
    return np.sqrt(np.sum(np.square(w.astype(np.float64)), axis=axis, keepdims=True))


@pytest.mark.parametrize("axis", [0, 1, [0, 1, 2]])
def test_norm_constraints_match_numpy(axis):
    rng = np.random.default_rng(0)
    w = (rng.standard_normal((3, 4, 5, 6)) * 2).astype(np.float32)
    n = ref_norms(w, tuple(axis) if isinstance(axis, list) else axis)
    np.testing.assert_allclose(C.MaxNorm(1.5, axis=axis)(w), w * np.clip(n, 0, 1.5) / (EPS + n),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(C.UnitNorm(axis=axis)(w), w / (EPS + n), rtol=1e-5, atol=1e-6)
    want = 0.3 * np.clip(n, 0.5, 1.0) + 0.7 * n
    np.testing.assert_allclose(C.MinMaxNorm(0.5, 1.0, rate=0.3, axis=axis)(w),
                               w * want / (EPS + n), rtol=1e-5, atol=1e-6)


def test_non_neg_and_max_norm_on_a_tensor():
    w = pe.tensor(np.array([[-1.0, 2.0], [3.0, -4.0]], np.float32))
    np.testing.assert_array_equal(C.NonNeg()(w), [[0, 2], [3, 0]])
    out = C.MaxNorm(1.0)(w)  # columns of norm sqrt(10) and sqrt(20) scaled to ~1
    np.testing.assert_allclose(np.sqrt((out ** 2).sum(0)), [1.0, 1.0], rtol=1e-6)
    small = C.MaxNorm(10.0)(w)  # already within the bound: unchanged up to epsilon
    np.testing.assert_allclose(small, w.numpy(), rtol=1e-6)


def test_get_names_dicts_and_errors():
    assert isinstance(C.get("max_norm"), C.MaxNorm)
    assert isinstance(C.get("NonNeg"), C.NonNeg)
    assert isinstance(C.get("unit_norm"), C.UnitNorm)
    m = C.get({"class_name": "MinMaxNorm", "config": {"min_value": 0.1, "max_value": 2.0}})
    assert (m.min_value, m.max_value, m.rate) == (0.1, 2.0, 1.0)
    assert C.get(None) is None
    fn = lambda w: w  # noqa: E731
    assert C.get(fn) is fn
    assert C.max_norm is C.MaxNorm and C.non_neg is C.NonNeg
    assert C.deserialize(C.serialize(C.MaxNorm(3, axis=[0, 1]))).get_config() == \
        {"max_value": 3.0, "axis": (0, 1)}
    with pytest.raises(ValueError, match="unknown constraint"):
        C.get("maxi")
    with pytest.raises(ValueError, match=r"\[MaxNorm\] max_value"):
        C.MaxNorm(-1)
    with pytest.raises(ValueError, match=r"\[MinMaxNorm\] max_value must be >= min_value"):
        C.MinMaxNorm(2.0, 1.0)
    with pytest.raises(ValueError, match=r"\[UnitNorm\] axis"):
        C.UnitNorm(axis="rows")


def _fusable_model(**dense_kw):
    """A model the fused Dense trainer would take without constraints (relu Dense, sigmoid
    output, binary cross-entropy, SGD)."""
    pe.manual_seed(0)
    m = keras.Sequential([keras.Input((6,)), L.Dense(16, activation="relu", **dense_kw),
                          L.Dense(1, activation="sigmoid")])
    m.compile(keras.optimizers.SGD(0.5), "binary_crossentropy")
    return m


def _data():
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((128, 6)) * 3).astype(np.float32)
    return x, (x[:, :1] > 0).astype(np.float32)


def test_fit_keeps_max_norm_on_a_model_the_fused_trainer_would_take():
    x, y = _data()
    from pyengine.keras import fused
    free = _fusable_model()
    assert fused.plan(free, y) is not None  # the fused trainer takes it...
    free.fit(x, y, epochs=5, batch_size=16, verbose=0)
    assert np.sqrt((free.layers[0].kernel.numpy() ** 2).sum(0)).max() > 0.6  # would exceed
    m = _fusable_model(kernel_constraint=C.MaxNorm(0.6), bias_constraint="non_neg")
    assert fused.plan(m, y) is None  # ...but not with a constraint, which it cannot apply
    hist = m.fit(x, y, epochs=5, batch_size=16, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    assert np.sqrt((m.layers[0].kernel.numpy() ** 2).sum(0)).max() <= 0.6 + 1e-5
    assert (m.layers[0].bias.numpy() >= 0).all()
    assert m.layers[0].kernel.constraint is m.layers[0].kernel_constraint


def test_apply_gradients_projects_after_the_update_and_after_ema():
    layer = L.Dense(3, kernel_constraint=C.UnitNorm(), bias_constraint=C.NonNeg())
    layer(np.zeros((1, 4), np.float32))
    opt = keras.optimizers.Adam(0.1, use_ema=True, ema_momentum=0.5)
    grads = [np.ones((4, 3), np.float32), np.ones(3, np.float32)]
    for _ in range(3):
        opt.apply_gradients(zip(grads, [layer.kernel, layer.bias]))
        np.testing.assert_allclose(np.sqrt((layer.kernel.numpy() ** 2).sum(0)), 1.0, rtol=1e-5)
        assert (layer.bias.numpy() >= 0).all()


def test_custom_constraint_with_keras_ops_and_a_bad_one():
    class ClipTo(C.Constraint):
        def __init__(self, v):
            self.v = v

        def __call__(self, w):
            return keras.ops.clip(w, -self.v, self.v)

        def get_config(self):
            return {"v": self.v}

    layer = L.Dense(2, kernel_constraint=ClipTo(0.01))
    layer(np.zeros((1, 2), np.float32))
    keras.optimizers.SGD(1.0).apply_gradients([(np.full((2, 2), -5.0, np.float32),
                                                layer.kernel)])
    np.testing.assert_allclose(layer.kernel.numpy(), 0.01)
    bad = L.Dense(2, kernel_constraint=lambda w: w[:1])
    bad(np.zeros((1, 2), np.float32))
    with pytest.raises(ValueError, match=r"\[constraints\].*kernel.*shape"):
        keras.optimizers.SGD(1.0).apply_gradients([(np.ones((2, 2), np.float32), bad.kernel)])


@pytest.mark.parametrize("make, x, attrs", [
    (lambda: L.Conv2D(2, 3, kernel_constraint="max_norm", bias_constraint="non_neg"),
     np.zeros((1, 5, 5, 3)), ("kernel", "bias")),
    (lambda: L.Conv1D(2, 3, kernel_constraint="max_norm", bias_constraint="non_neg"),
     np.zeros((1, 5, 3)), ("kernel", "bias")),
    (lambda: L.Conv2DTranspose(2, 3, kernel_constraint="max_norm", bias_constraint="non_neg"),
     np.zeros((1, 5, 5, 3)), ("kernel", "bias")),
    (lambda: L.DepthwiseConv2D(3, depthwise_constraint="max_norm", bias_constraint="non_neg"),
     np.zeros((1, 5, 5, 3)), ("depthwise_kernel", "bias")),
    (lambda: L.SeparableConv2D(2, 3, depthwise_constraint="max_norm",
                               pointwise_constraint="unit_norm", bias_constraint="non_neg"),
     np.zeros((1, 5, 5, 3)), ("depthwise_kernel", "pointwise_kernel", "bias")),
    (lambda: L.Embedding(10, 4, embeddings_constraint="unit_norm"), np.zeros((2, 3)),
     ("embeddings",)),
    (lambda: L.LSTM(3, kernel_constraint="max_norm", recurrent_constraint="unit_norm",
                    bias_constraint="non_neg"), np.zeros((2, 4, 5)),
     ("kernel", "recurrent_kernel", "bias")),
    (lambda: L.GRUCell(3, kernel_constraint="max_norm", recurrent_constraint="unit_norm",
                       bias_constraint="non_neg"), None, ("kernel", "recurrent_kernel", "bias")),
    (lambda: L.BatchNormalization(gamma_constraint="non_neg", beta_constraint="max_norm"),
     np.zeros((2, 4)), ("gamma", "beta")),
    (lambda: L.LayerNormalization(gamma_constraint="non_neg", beta_constraint="max_norm"),
     np.zeros((2, 4)), ("gamma", "beta")),
    (lambda: L.GroupNormalization(2, gamma_constraint="non_neg", beta_constraint="max_norm"),
     np.zeros((2, 4)), ("gamma", "beta")),
    (lambda: L.EinsumDense("ab,bc->ac", 3, bias_axes="c", kernel_constraint="max_norm",
                           bias_constraint="non_neg"), np.zeros((2, 4)), ("kernel", "bias")),
    (lambda: L.PReLU(alpha_constraint="non_neg"), np.zeros((2, 4)), ("alpha",)),
    (lambda: L.Conv3D(2, 2, kernel_constraint="max_norm", bias_constraint="non_neg"),
     np.zeros((1, 3, 3, 3, 2)), ("kernel", "bias")),
    (lambda: L.Conv1DTranspose(2, 3, kernel_constraint="max_norm", bias_constraint="non_neg"),
     np.zeros((1, 5, 3)), ("bias",)),
    (lambda: L.SimpleRNN(3, kernel_constraint="max_norm", recurrent_constraint="unit_norm",
                         bias_constraint="non_neg"), np.zeros((2, 4, 5)),
     ("kernel", "recurrent_kernel", "bias")),
])
def test_layers_put_their_constraints_on_their_weights(make, x, attrs):
    layer = make()
    if x is None:
        layer.build((2, 5))
    else:
        layer(x.astype(np.float32))
    for a in attrs:
        w = getattr(layer, a)
        assert isinstance(w.constraint, C.Constraint), a


def test_multi_head_attention_constraints_reach_every_projection():
    mha = L.MultiHeadAttention(2, 4, kernel_constraint=C.MaxNorm(1.0), bias_constraint="non_neg")
    q = np.zeros((2, 3, 8), np.float32)
    mha(q, q)
    kernels = [w for w in mha.trainable_weights if w.path.endswith("kernel")]
    assert len(kernels) == 4 and all(isinstance(w.constraint, C.MaxNorm) for w in kernels)


def test_saved_model_keeps_constraint_regularizer_initializer_and_activation_objects(tmp_path):
    pe.manual_seed(0)
    m = keras.Sequential([
        keras.Input((5,)),
        L.Dense(8, activation=keras.activations.relu,
                kernel_initializer=keras.initializers.HeNormal(seed=3),
                kernel_regularizer=keras.regularizers.l2(1e-3),
                kernel_constraint=C.MaxNorm(2.0, axis=0)),
        L.Dense(1, bias_constraint=C.MinMaxNorm(0.0, 1.0, rate=0.5)),
    ])
    m.compile("adam", "mse")
    x = np.random.default_rng(0).standard_normal((16, 5)).astype(np.float32)
    m.fit(x, x[:, :1], epochs=1, verbose=0)
    path = tmp_path / "m.keras"
    m.save(path)
    m2 = keras.models.load_model(path)
    d0, d1 = m2.layers[0], m2.layers[1]
    assert d0.kernel.constraint.get_config() == {"max_value": 2.0, "axis": 0}
    assert d1.bias.constraint.get_config() == {"min_value": 0.0, "max_value": 1.0, "rate": 0.5,
                                               "axis": 0}
    assert d0.kernel_regularizer.get_config() == {"l2": 1e-3}   # Keras 3: L2's own config
    assert keras.activations.name_of(d0.activation) == "relu"
    np.testing.assert_allclose(m2.predict(x, verbose=0), m.predict(x, verbose=0), rtol=1e-6)
    assert len(m2.losses) == 1  # the regularizer's penalty


def test_custom_constraint_needs_custom_objects_to_load(tmp_path):
    class Halve(C.Constraint):
        def __call__(self, w):
            return w * 0.5

    m = keras.Sequential([keras.Input((2,)), L.Dense(1, kernel_constraint=Halve())])
    path = tmp_path / "c.keras"
    m.save(path)
    with pytest.raises(ValueError, match="unknown constraints class 'Halve'"):
        keras.models.load_model(path)
    m2 = keras.models.load_model(path, custom_objects={"Halve": Halve})
    assert isinstance(m2.layers[0].kernel.constraint, Halve)


def test_regularizer_without_get_config_is_a_clear_save_error(tmp_path):
    class Mine(keras.regularizers.Regularizer):
        def __call__(self, w):
            return (w * w).sum()

    m = keras.Sequential([keras.Input((2,)), L.Dense(1, kernel_regularizer=Mine())])
    with pytest.raises(ValueError, match=r"\[save\].*Mine.*get_config"):
        m.save(tmp_path / "r.keras")


def test_normalization_gamma_beta_regularizers_add_their_penalties():
    bn = L.BatchNormalization(gamma_regularizer=keras.regularizers.l2(0.5),
                              beta_regularizer=keras.regularizers.l1(0.25))
    ln = L.LayerNormalization(gamma_regularizer=keras.regularizers.l2(0.5))
    m = keras.Sequential([keras.Input((4,)), bn, ln])
    m(np.zeros((2, 4), np.float32))
    # gamma = ones(4), beta = zeros(4): 0.5 * 4 + 0 from bn, 0.5 * 4 from ln
    np.testing.assert_allclose(sorted(float(v) for v in m.losses), [0.0, 2.0, 2.0])
