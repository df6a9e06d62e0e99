"""Keras 3 names added for programs that failed with AttributeError: losses (Poisson,
CategoricalHinge, the focal cross-entropies, Dice, Tversky), metrics (IoU family, R2Score,
per-sample metrics, the *At* confusion metrics), optimizers (Lion, Ftrl, Adafactor,
CosineDecayRestarts), mixed_precision, serialization utilities and 3-D / misc layers. Each is
checked against a NumPy float64 transcription of Keras 3's formula."""
import math

import numpy as np
import pytest

import pyengine as pe
from pyengine import keras

EPS = 1e-7
RNG = np.random.default_rng(0)


def _v(t):
    return np.asarray(t._data if isinstance(t, pe.Tensor) else t, np.float64)


def _reduce(per, w, reduction):
    per = per if w is None else per * (w.reshape(w.shape + (1,) * (per.ndim - w.ndim))
                                       if per.ndim else w)
    if reduction == "none":
        return per
    return per.sum() if reduction == "sum" else per.mean()


# ---- losses: NumPy float64 references of Keras 3's formulas ----------------------------------
def np_poisson(y, p):
    return (p - y * np.log(p + EPS)).mean(-1)


def np_categorical_hinge(y, p):
    return np.maximum(((1 - y) * p).max(-1) - (y * p).sum(-1) + 1.0, 0.0)


def np_bfce(y, p, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
            label_smoothing=0.0, axis=-1):
    if label_smoothing:
        y = y * (1 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        bce = np.maximum(p, 0) - p * y + np.log1p(np.exp(-np.abs(p)))
        p = 1 / (1 + np.exp(-p))
    else:
        o = np.clip(p, EPS, 1 - EPS)
        bce = -(y * np.log(o) + (1 - y) * np.log(1 - o))
    p_t = y * p + (1 - y) * (1 - p)
    f = (1 - p_t) ** gamma * bce
    if apply_class_balancing:
        f = (y * alpha + (1 - y) * (1 - alpha)) * f
    return f.mean(axis)


def np_cfce(y, p, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0):
    if label_smoothing:
        y = y * (1 - label_smoothing) + label_smoothing / y.shape[-1]
    if from_logits:
        e = np.exp(p - p.max(-1, keepdims=True))
        p = e / e.sum(-1, keepdims=True)
    q = np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)
    return (alpha * (1 - q) ** gamma * (-y * np.log(q))).sum(-1)


def np_dice(y, p, axis=None):
    return 1 - 2 * (y * p).sum(axis) / (y.sum(axis) + p.sum(axis) + EPS)


def np_tversky(y, p, alpha=0.5, beta=0.5, axis=None):
    inter = (y * p).sum(axis)
    fp = ((1 - p) * y).sum(axis)
    fn = (p * (1 - y)).sum(axis)
    return 1 - inter / (inter + alpha * fp + beta * fn + EPS)


def _probs(shape):
    return RNG.uniform(0.02, 0.98, shape)


def _onehot(n, c):
    return np.eye(c)[RNG.integers(0, c, n)]


LOSS_CASES = [
    (keras.losses.Poisson, {}, np_poisson, lambda: (RNG.integers(0, 4, (6, 3)) * 1.0,
                                                    RNG.uniform(0.1, 3, (6, 3)))),
    (keras.losses.CategoricalHinge, {}, np_categorical_hinge,
     lambda: (_onehot(6, 4), RNG.normal(size=(6, 4)))),
    (keras.losses.BinaryFocalCrossentropy, {}, np_bfce,
     lambda: (RNG.integers(0, 2, (6, 3)) * 1.0, _probs((6, 3)))),
    (keras.losses.BinaryFocalCrossentropy,
     dict(apply_class_balancing=True, alpha=0.4, gamma=1.5, label_smoothing=0.1), np_bfce,
     lambda: (RNG.integers(0, 2, (6, 3)) * 1.0, _probs((6, 3)))),
    (keras.losses.BinaryFocalCrossentropy, dict(from_logits=True, gamma=3.0), np_bfce,
     lambda: (RNG.integers(0, 2, (6, 3)) * 1.0, RNG.normal(size=(6, 3)) * 3)),
    (keras.losses.CategoricalFocalCrossentropy, {}, np_cfce,
     lambda: (_onehot(6, 4), _probs((6, 4)))),
    (keras.losses.CategoricalFocalCrossentropy,
     dict(alpha=0.5, gamma=1.0, from_logits=True, label_smoothing=0.2), np_cfce,
     lambda: (_onehot(6, 4), RNG.normal(size=(6, 4)) * 2)),
    (keras.losses.Dice, dict(axis=-1), np_dice, lambda: (RNG.integers(0, 2, (6, 5)) * 1.0,
                                                         _probs((6, 5)))),
    (keras.losses.Dice, dict(axis=(1, 2)), np_dice,
     lambda: (RNG.integers(0, 2, (4, 3, 5)) * 1.0, _probs((4, 3, 5)))),
    (keras.losses.Tversky, dict(alpha=0.3, beta=0.7, axis=-1), np_tversky,
     lambda: (RNG.integers(0, 2, (6, 5)) * 1.0, _probs((6, 5)))),
]


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "none"])
@pytest.mark.parametrize("cls,kw,ref,data", LOSS_CASES)
def test_loss_values_against_numpy(cls, kw, ref, data, reduction):
    y, p = data()
    w = RNG.uniform(0.1, 2.0, y.shape[0])
    loss = cls(reduction=reduction, **kw)
    for sw in (None, w):
        got = _v(loss(y.astype(np.float32), p.astype(np.float32), sample_weight=sw))
        want = _reduce(ref(y, p, **kw), sw, reduction)
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("cls,ref,kw", [(keras.losses.Dice, np_dice, {}),
                                        (keras.losses.Tversky, np_tversky,
                                         dict(alpha=0.7, beta=0.2))])
def test_overlap_losses_whole_batch(cls, ref, kw):
    """axis=None (Keras' default): one scalar over the batch; sample weights scale it by
    their mean (sum_over_batch_size), as Keras broadcasts them."""
    y, p = RNG.integers(0, 2, (4, 6)) * 1.0, _probs((4, 6))
    w = np.array([1.0, 2.0, 0.0, 0.5])
    np.testing.assert_allclose(_v(cls(**kw)(y, p)), ref(y, p, **kw), rtol=1e-5)
    np.testing.assert_allclose(_v(cls(**kw)(y, p, sample_weight=w)), ref(y, p, **kw) * w.mean(),
                               rtol=1e-5)


def test_loss_functions_and_names():
    y, p = RNG.integers(0, 2, (5, 3)) * 1.0, _probs((5, 3))
    L = keras.losses
    for fn, ref in [(L.poisson, np_poisson), (L.categorical_hinge, np_categorical_hinge),
                    (L.binary_focal_crossentropy, np_bfce),
                    (L.categorical_focal_crossentropy, np_cfce)]:
        np.testing.assert_allclose(_v(fn(y, p)), ref(y, p), rtol=2e-5, atol=1e-7)
    np.testing.assert_allclose(_v(L.binary_focal_crossentropy(y, p, gamma=1.0, from_logits=True)),
                               np_bfce(y, p, gamma=1.0, from_logits=True), rtol=2e-5)
    np.testing.assert_allclose(_v(L.dice(y, p, axis=-1)), np_dice(y, p, -1), rtol=2e-5)
    np.testing.assert_allclose(_v(L.tversky(y, p, 0.2, 0.8)), np_tversky(y, p, 0.2, 0.8),
                               rtol=2e-5)
    for name, cls in [("poisson", L.Poisson), ("categorical_hinge", L.CategoricalHinge),
                      ("binary_focal_crossentropy", L.BinaryFocalCrossentropy),
                      ("categorical_focal_crossentropy", L.CategoricalFocalCrossentropy),
                      ("dice", L.Dice), ("tversky", L.Tversky)]:
        assert type(L.get(name)) is cls and L.get(name).name == name
    assert L.get(L.poisson).name == "poisson"


def test_focal_loss_gradient_matches_finite_differences():
    y = RNG.integers(0, 2, (3, 4)) * 1.0
    x0 = RNG.normal(size=(3, 4))
    loss = keras.losses.BinaryFocalCrossentropy(from_logits=True, apply_class_balancing=True)
    x = pe.tensor(x0.astype(np.float64), requires_grad=True)
    loss(pe.tensor(y), x).backward()
    num = np.zeros_like(x0)
    for i in np.ndindex(x0.shape):
        d = np.zeros_like(x0)
        d[i] = 1e-6
        num[i] = (np_bfce(y, x0 + d, True, from_logits=True).mean() -
                  np_bfce(y, x0 - d, True, from_logits=True).mean()) / 2e-6
    np.testing.assert_allclose(_v(x.grad), num, rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("make,match", [
    (lambda: keras.losses.BinaryFocalCrossentropy(alpha=1.5), "alpha"),
    (lambda: keras.losses.BinaryFocalCrossentropy(gamma=-1), "gamma"),
    (lambda: keras.losses.BinaryFocalCrossentropy(apply_class_balancing="yes"),
     "apply_class_balancing"),
    (lambda: keras.losses.CategoricalFocalCrossentropy(label_smoothing=2), "label_smoothing"),
    (lambda: keras.losses.Dice(axis="x"), "axis"),
    (lambda: keras.losses.Tversky(alpha=-0.1), "alpha"),
    (lambda: keras.losses.Poisson(dtype="float16"), "dtype"),
    (lambda: keras.losses.Poisson(reduction="mean"), "reduction"),
])
def test_loss_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def _save_load(model, tmp_path, x):
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))
    return loaded


def test_losses_model_compiles_fits_saves(tmp_path):
    pe.manual_seed(0)
    x = RNG.normal(size=(64, 5)).astype(np.float32)
    y = (x[:, :1] + x[:, 1:2] > 0).astype(np.float32)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", metrics=["accuracy"],
                  loss=keras.losses.BinaryFocalCrossentropy(gamma=1.0,
                                                            apply_class_balancing=True))
    hist = model.fit(x, y, epochs=8, batch_size=16, verbose=0).history["loss"]
    assert hist[-1] < hist[0]
    loaded = _save_load(model, tmp_path, x)
    assert isinstance(loaded.loss, keras.losses.BinaryFocalCrossentropy)
    assert loaded.loss.gamma == 1.0 and loaded.loss.apply_class_balancing
    for name in ("poisson", "dice", "tversky"):  # string names in compile
        m = keras.Sequential([keras.Input((5,)), keras.layers.Dense(1, activation="sigmoid")])
        m.compile(optimizer="sgd", loss=name)
        h = m.fit(x, y, epochs=3, batch_size=64, verbose=0).history["loss"]
        assert np.isfinite(h).all()
