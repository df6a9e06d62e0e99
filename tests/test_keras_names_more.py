"""Keras 3 names added for programs that failed with AttributeError: losses (Poisson,
CategoricalHinge, the focal cross-entropies, Dice, Tversky), metrics (IoU family, R2Score,
per-sample metrics, the *At* confusion metrics), optimizers (Lion, Ftrl, Adafactor,
CosineDecayRestarts), mixed_precision and the serialization utilities (layers:
test_keras_names_more_layers.py). Each is checked against a NumPy float64 transcription of
Keras 3's formula."""
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


# ---- metrics -----------------------------------------------------------------------------------
def _batches(k, make):
    return [make() for _ in range(k)]


def np_per_sample(name, y, p):
    if name in ("hinge", "squared_hinge"):
        y = 2 * y - 1 if np.isin(y, (0, 1)).all() else y
        h = np.maximum(1 - y * p, 0)
        return (h if name == "hinge" else h * h).mean(-1)
    if name == "categorical_hinge":
        return np_categorical_hinge(y, p)
    if name == "kl_divergence":
        yc = np.clip(y, EPS, 1)
        return (yc * np.log(yc / np.clip(p, EPS, 1))).sum(-1)
    if name == "poisson":
        return np_poisson(y, p)
    if name == "logcosh":
        return np.log(np.cosh(p - y)).mean(-1)
    if name == "cosine_similarity":  # Keras' l2_normalize (epsilon 1e-12): an all-zero row is 0
        def norm(a):
            return np.sqrt(np.maximum((a * a).sum(-1), 1e-12))
        return (y * p).sum(-1) / norm(y) / norm(p)
    raise KeyError(name)


@pytest.mark.parametrize("cls", ["Hinge", "SquaredHinge", "CategoricalHinge", "KLDivergence",
                                 "Poisson", "LogCoshError", "CosineSimilarity"])
def test_per_sample_metrics_over_batches(cls):
    m = getattr(keras.metrics, cls)()
    batches = _batches(3, lambda: (RNG.integers(0, 2, (5, 4)) * 1.0, _probs((5, 4)),
                                   RNG.uniform(0.1, 2, 5)))
    vals, ws = [], []
    for i, (y, p, w) in enumerate(batches):
        m.update_state(y, p, sample_weight=w if i else None)  # mixed: weighted and not
        vals.append(np_per_sample(m.name, y, p))
        ws.append(w if i else np.ones(5))
    vals, ws = np.concatenate(vals), np.concatenate(ws)
    np.testing.assert_allclose(m.result(), (vals * ws).sum() / ws.sum(), rtol=1e-6)
    assert keras.metrics.get(m.name).name == m.name
    m.reset_state()
    assert m.result() == 0.0


def np_r2(ys, ps, ws, aggregation="uniform_average", k=0):
    y, p, w = np.concatenate(ys), np.concatenate(ps), np.concatenate(ws)
    mean = (w[:, None] * y).sum(0) / w.sum()
    ss_tot = (w[:, None] * (y - mean) ** 2).sum(0)
    ss_res = (w[:, None] * (y - p) ** 2).sum(0)
    raw = 1 - ss_res / ss_tot
    r2 = raw.mean() if aggregation == "uniform_average" else (
        (raw * ss_tot).sum() / ss_tot.sum() if aggregation else raw)
    n = len(y)
    return 1 - (1 - r2) * (n - 1) / (n - k - 1) if k else r2


@pytest.mark.parametrize("aggregation,k", [("uniform_average", 0),
                                           ("variance_weighted_average", 0), (None, 0),
                                           ("uniform_average", 2)])
def test_r2_score(aggregation, k):
    m = keras.metrics.R2Score(class_aggregation=aggregation, num_regressors=k)
    ys, ps, ws = [], [], []
    for _ in range(3):
        y = RNG.normal(size=(6, 3)) * [1, 2, 3]
        p = y + RNG.normal(size=(6, 3)) * 0.5
        w = RNG.uniform(0.2, 2, 6)
        m.update_state(y, p, sample_weight=w)
        ys.append(y), ps.append(p), ws.append(w)
    np.testing.assert_allclose(m.result(), np_r2(ys, ps, ws, aggregation, k), rtol=1e-9)
    m1 = keras.metrics.R2Score()
    m1.update_state(np.array([1.0, 4, 3]), np.array([2.0, 4, 4]))  # Keras' example
    assert abs(m1.result() - 0.5714286) < 1e-6
    with pytest.raises(ValueError, match="R2Score.*class_aggregation"):
        keras.metrics.R2Score(class_aggregation="mean")


def np_iou(ys, ps, ws, n, ids):
    cm = np.zeros((n, n))
    for y, p, w in zip(ys, ps, ws):
        for a, b, c in zip(y.ravel(), p.ravel(), w.ravel()):
            cm[int(a), int(b)] += c
    out = []
    for c in ids:
        tp, fp, fn = cm[c, c], cm[:, c].sum() - cm[c, c], cm[c, :].sum() - cm[c, c]
        if tp + fp + fn > 0:
            out.append(tp / (tp + fp + fn))
    return np.mean(out) if out else 0.0


def test_iou_family_over_batches():
    n = 4
    ys = [RNG.integers(0, n, (3, 5)) for _ in range(3)]
    ps = [RNG.integers(0, n, (3, 5)) for _ in range(3)]
    ws = [np.broadcast_to(RNG.uniform(0.1, 2, (3, 1)), (3, 5)) for _ in range(3)]
    cases = [(keras.metrics.MeanIoU(n), list(range(n)), lambda y: y, lambda p: p),
             (keras.metrics.IoU(n, [0, 2]), [0, 2], lambda y: y, lambda p: p),
             (keras.metrics.OneHotIoU(n, [1, 3]), [1, 3], lambda y: np.eye(n)[y],
              lambda p: np.eye(n)[p] + 0.01 * RNG.uniform(size=p.shape + (n,))),
             (keras.metrics.OneHotMeanIoU(n), list(range(n)), lambda y: np.eye(n)[y],
              lambda p: np.eye(n)[p] * 0.9)]
    for m, ids, fy, fp in cases:
        for y, p, w in zip(ys, ps, ws):
            m.update_state(fy(y), fp(p), sample_weight=w[:, 0])  # one weight per sample
        np.testing.assert_allclose(m.result(), np_iou(ys, ps, ws, n, ids), rtol=1e-6)
    ign = keras.metrics.MeanIoU(n, ignore_class=0)
    for y, p in zip(ys, ps):
        ign.update_state(y, p)
    keep = [(y != 0).astype(float) for y in ys]
    np.testing.assert_allclose(ign.result(), np_iou(ys, ps, keep, n, range(n)), rtol=1e-6)


def test_binary_iou_thresholds_predictions():
    m = keras.metrics.BinaryIoU(target_class_ids=[1], threshold=0.4)
    ys, ps = [], []
    for _ in range(3):
        y, p = RNG.integers(0, 2, 8), RNG.uniform(size=8)
        m.update_state(y, p)
        ys.append(y), ps.append((p >= 0.4).astype(int))
    np.testing.assert_allclose(m.result(), np_iou(ys, ps, [np.ones(8)] * 3, 2, [1]), rtol=1e-6)
    with pytest.raises(ValueError, match=r"\[IoU\] target_class_ids"):
        keras.metrics.IoU(3, [0, 3])
    with pytest.raises(ValueError, match=r"\[MeanIoU\] y_pred labels must be in \[0, 2\)"):
        keras.metrics.MeanIoU(2).update_state([0, 1], [0, 2])


def np_at_value(kind, value, ys, ps, ws, num_thresholds):
    t = np.array([0.5]) if num_thresholds == 1 else np.array(
        [0.0] + [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)] + [1.0])
    y = np.concatenate(ys).astype(bool)
    p, w = np.concatenate(ps), np.concatenate(ws)
    best = 0.0
    for th in t:
        pos = p > th
        tp, fp = w[pos & y].sum(), w[pos & ~y].sum()
        fn, tn = w[~pos & y].sum(), w[~pos & ~y].sum()
        rate = {"recall": tp / (tp + fn) if tp + fn else 0.0,
                "precision": tp / (tp + fp) if tp + fp else 0.0,
                "specificity": tn / (tn + fp) if tn + fp else 0.0}
        rate["sensitivity"] = rate["recall"]
        constrained, dependent = {"PrecisionAtRecall": ("recall", "precision"),
                                  "RecallAtPrecision": ("precision", "recall"),
                                  "SensitivityAtSpecificity": ("specificity", "sensitivity"),
                                  "SpecificityAtSensitivity": ("sensitivity", "specificity")}[kind]
        if rate[constrained] >= value:
            best = max(best, rate[dependent])
    return best


@pytest.mark.parametrize("kind", ["PrecisionAtRecall", "RecallAtPrecision",
                                  "SensitivityAtSpecificity", "SpecificityAtSensitivity"])
@pytest.mark.parametrize("num_thresholds", [1, 3, 17, 200])
def test_at_value_metrics_against_numpy(kind, num_thresholds):
    for value in (0.3, 0.6, 0.9):
        m = getattr(keras.metrics, kind)(value, num_thresholds=num_thresholds)
        ys, ps, ws = [], [], []
        for _ in range(3):
            y, p, w = RNG.integers(0, 2, 12), RNG.uniform(size=12), RNG.uniform(0.1, 2, 12)
            m.update_state(y, p, sample_weight=w)
            ys.append(y), ps.append(p), ws.append(w)
        np.testing.assert_allclose(m.result(), np_at_value(kind, value, ys, ps, ws,
                                                           num_thresholds), rtol=1e-9)
    with pytest.raises(ValueError, match=rf"\[{kind}\].*must be in the range \[0, 1\]"):
        getattr(keras.metrics, kind)(1.5)
    with pytest.raises(ValueError, match=rf"\[{kind}\] num_thresholds"):
        getattr(keras.metrics, kind)(0.5, num_thresholds=0)


def test_at_value_class_id_and_keras_examples():
    m = keras.metrics.PrecisionAtRecall(0.5)
    m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8], sample_weight=[2, 2, 2, 1, 1])
    assert abs(m.result() - 1 / 3) < 1e-9
    m = keras.metrics.RecallAtPrecision(0.8, class_id=1)
    y = np.stack([1 - np.array([0, 0, 1, 1]), [0, 0, 1, 1]], -1)
    p = np.stack([np.zeros(4), [0, 0.5, 0.3, 0.9]], -1)
    m.update_state(y, p)
    assert m.result() == 0.5


def test_metrics_model_compiles_fits_saves(tmp_path):
    pe.manual_seed(1)
    x = RNG.normal(size=(64, 4)).astype(np.float32)
    y = (x[:, 0] - x[:, 1] > 0).astype(np.float32)[:, None]
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="tanh"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=[keras.metrics.PrecisionAtRecall(0.5, num_thresholds=50),
                           keras.metrics.BinaryIoU(target_class_ids=[1]),
                           keras.metrics.R2Score(), "poisson", keras.metrics.Hinge()])
    hist = model.fit(x, y, epochs=8, batch_size=16, verbose=0).history
    assert hist["loss"][-1] < hist["loss"][0]
    for key in ("precision_at_recall", "binary_io_u", "r2_score", "poisson", "hinge"):
        assert np.isfinite(hist[key]).all()
    ev = model.evaluate(x, y, verbose=0, return_dict=True)
    p = model.predict(x, verbose=0)
    np.testing.assert_allclose(ev["binary_io_u"],
                               np_iou([y], [(p >= 0.5).astype(int)], [np.ones_like(y)], 2, [1]),
                               rtol=1e-5)
    loaded = _save_load(model, tmp_path, x)
    ev2 = loaded.evaluate(x, y, verbose=0, return_dict=True)
    for key in ev:
        np.testing.assert_allclose(ev2[key], ev[key], rtol=1e-6)


# ---- optimizers ------------------------------------------------------------------------------
def np_lion(ws, gs, lr=0.001, b1=0.9, b2=0.99, **_):
    ws = [w.copy() for w in ws]
    m = [np.zeros_like(w) for w in ws]
    for g_step in gs:
        for i, g in enumerate(g_step):
            ws[i] -= lr * np.sign(b1 * m[i] + (1 - b1) * g)
            m[i] = b2 * m[i] + (1 - b2) * g
    return ws


def np_ftrl(ws, gs, lr=0.001, power=-0.5, init=0.1, l1=0.0, l2=0.0, shrink=0.0, beta=0.0):
    ws = [w.copy() for w in ws]
    acc = [np.full_like(w, init) for w in ws]
    lin = [np.zeros_like(w) for w in ws]
    l2 = l2 + beta / (2 * lr)
    for g_step in gs:
        for i, g in enumerate(g_step):
            g2 = g + 2 * shrink * ws[i]
            new_acc = acc[i] + g * g
            lin[i] = lin[i] + g2 - (new_acc ** -power - acc[i] ** -power) / lr * ws[i]
            quad = new_acc ** -power / lr + 2 * l2
            ws[i] = (np.clip(lin[i], -l1, l1) - lin[i]) / quad
            acc[i] = new_acc
    return ws


def np_adafactor(ws, gs, lr=0.001, decay=-0.8, e1=1e-30, e2=1e-3, clip=1.0, relative=True):
    ws = [w.copy() for w in ws]
    r = [np.zeros(w.shape[:-1]) if w.ndim >= 2 else None for w in ws]
    c = [np.zeros(w.shape[:-2] + w.shape[-1:]) if w.ndim >= 2 else None for w in ws]
    v = [np.zeros_like(w) for w in ws]
    rms = lambda x: np.sqrt(np.mean(x * x))  # noqa: E731
    for t, g_step in enumerate(gs, 1):
        for i, g in enumerate(g_step):
            lr_t = min(lr, 1 / math.sqrt(t)) if relative else lr
            alpha = max(e2, rms(ws[i])) * min(lr_t, 1 / math.sqrt(t))
            G = g * g + e1
            b = 1 - t ** decay
            if ws[i].ndim >= 2:
                r[i] = b * r[i] + (1 - b) * G.mean(-1)
                c[i] = b * c[i] + (1 - b) * G.mean(-2)
                v[i] = (r[i] / r[i].mean(-1, keepdims=True))[..., None] * c[i][..., None, :]
            else:
                v[i] = b * v[i] + (1 - b) * G
            u = g / np.sqrt(v[i])
            ws[i] = ws[i] - alpha * u / max(1.0, rms(u) / clip)
    return ws


def _run_optimizer(opt, ws0, gs):
    vs = [keras.Variable(w.astype(np.float32)) for w in ws0]
    for g_step in gs:
        opt.apply_gradients(zip([g.astype(np.float32) for g in g_step], vs))
    return [_v(v) for v in vs]


OPT_CASES = [
    (lambda: keras.optimizers.Lion(), np_lion, {}),
    (lambda: keras.optimizers.Lion(learning_rate=0.05, beta_1=0.5, beta_2=0.9), np_lion,
     dict(lr=0.05, b1=0.5, b2=0.9)),
    (lambda: keras.optimizers.Ftrl(learning_rate=0.1), np_ftrl, dict(lr=0.1)),
    (lambda: keras.optimizers.Ftrl(learning_rate=0.2, learning_rate_power=-0.7,
                                   initial_accumulator_value=0.5, l1_regularization_strength=0.01,
                                   l2_regularization_strength=0.1,
                                   l2_shrinkage_regularization_strength=0.05, beta=0.3),
     np_ftrl, dict(lr=0.2, power=-0.7, init=0.5, l1=0.01, l2=0.1, shrink=0.05, beta=0.3)),
    (lambda: keras.optimizers.Adafactor(), np_adafactor, {}),
    (lambda: keras.optimizers.Adafactor(learning_rate=0.5, beta_2_decay=-0.5, epsilon_2=1e-2,
                                        clip_threshold=0.5, relative_step=False), np_adafactor,
     dict(lr=0.5, decay=-0.5, e2=1e-2, clip=0.5, relative=False)),
]


@pytest.mark.parametrize("make,ref,kw", OPT_CASES)
def test_optimizer_first_steps_against_numpy(make, ref, kw):
    ws0 = [RNG.normal(size=(3, 4)), RNG.normal(size=(5,)), RNG.normal(size=(2, 3, 4))]
    gs = [[RNG.normal(size=w.shape) for w in ws0] for _ in range(3)]
    for got, want in zip(_run_optimizer(make(), ws0, gs), ref(ws0, gs, **kw)):
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-6)


def test_optimizer_names_config_and_bad_arguments():
    for name, cls in [("lion", keras.optimizers.Lion), ("ftrl", keras.optimizers.Ftrl),
                      ("adafactor", keras.optimizers.Adafactor)]:
        assert type(keras.optimizers.get(name)) is cls and cls().name == name
    cfg = keras.optimizers.Ftrl(l1_regularization_strength=0.2).get_config()
    assert cfg["l1_regularization_strength"] == 0.2 and cfg["learning_rate_power"] == -0.5
    for make, match in [(lambda: keras.optimizers.Lion(beta_1=0), r"\[Lion\] beta_1"),
                        (lambda: keras.optimizers.Ftrl(learning_rate_power=0.5),
                         r"\[Ftrl\] learning_rate_power"),
                        (lambda: keras.optimizers.Ftrl(l1_regularization_strength=-1),
                         r"\[Ftrl\] l1_regularization_strength"),
                        (lambda: keras.optimizers.Adafactor(beta_2_decay=0.5),
                         r"\[Adafactor\] beta_2_decay"),
                        (lambda: keras.optimizers.Adafactor(clip_threshold=0),
                         r"\[Adafactor\] clip_threshold")]:
        with pytest.raises(ValueError, match=match):
            make()


def test_adafactor_with_a_schedule():
    """The schedule's rate at step 0 drives the first update (Keras' relative_step caps only
    a constant rate; the cap by 1 / sqrt(t) in rho_t applies either way)."""
    sched = keras.optimizers.schedules.ExponentialDecay(0.5, 10, 0.9)
    ws0 = [RNG.normal(size=(3, 4))]
    gs = [[RNG.normal(size=(3, 4))]]
    got = _run_optimizer(keras.optimizers.Adafactor(learning_rate=sched), ws0, gs)[0]
    np.testing.assert_allclose(got, np_adafactor(ws0, gs, lr=0.5)[0], rtol=2e-5, atol=2e-6)


def np_sgdr(step, lr0, first, t_mul=2.0, m_mul=1.0, alpha=0.0):
    # walk the periods one by one (independent of Keras' closed form)
    start, length, i = 0.0, float(first), 0
    while step >= start + length:
        start, length, i = start + length, length * t_mul, i + 1
    frac = (step - start) / length
    return lr0 * ((1 - alpha) * 0.5 * m_mul ** i * (1 + math.cos(math.pi * frac)) + alpha)


@pytest.mark.parametrize("t_mul,m_mul,alpha", [(2.0, 1.0, 0.0), (1.0, 0.5, 0.1),
                                               (1.5, 0.8, 0.05)])
def test_cosine_decay_restarts(t_mul, m_mul, alpha):
    s = keras.optimizers.schedules.CosineDecayRestarts(0.1, 10, t_mul=t_mul, m_mul=m_mul,
                                                       alpha=alpha)
    for step in [0, 1, 5, 9, 10, 11, 29, 30, 31, 55, 100, 137]:
        assert abs(s(step) - np_sgdr(step, 0.1, 10, t_mul, m_mul, alpha)) < 1e-9, step
    again = keras.optimizers.schedules.deserialize(keras.optimizers.schedules.serialize(s))
    assert again.get_config() == s.get_config() and again(37) == s(37)
    assert s.get_config()["name"] == "SGDRDecay"


def test_mixed_precision_policy():
    mp = keras.mixed_precision
    assert mp.global_policy().name == "float32"
    mp.set_global_policy("float32")
    assert mp.global_policy().compute_dtype == "float32" == mp.Policy("float32").variable_dtype
    for name in ("mixed_float16", "mixed_bfloat16"):
        with pytest.raises(NotImplementedError, match="float16 / bfloat16 kernels"):
            mp.set_global_policy(name)
    with pytest.raises(ValueError, match="DTypePolicy"):
        mp.Policy("int8_from_float32")
    assert mp.global_policy().name == "float32"


def test_optimizers_model_compiles_fits_saves_and_continues(tmp_path):
    x = RNG.normal(size=(48, 4)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5], [0.0]])).astype(np.float32)

    def build(opt):
        pe.manual_seed(3)
        m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(6, activation="tanh"),
                              keras.layers.Dense(1)])
        m.compile(optimizer=opt, loss="mse")
        return m
    for opt in (keras.optimizers.Adafactor(learning_rate=0.05),
                keras.optimizers.Lion(learning_rate=0.01),
                keras.optimizers.Ftrl(learning_rate=0.5)):
        m = build(opt)
        hist = m.fit(x, y, epochs=6, batch_size=16, shuffle=False, verbose=0).history["loss"]
        assert hist[-1] < hist[0], type(opt).__name__
        loaded = _save_load(m, tmp_path, x)
        assert type(loaded.optimizer) is type(opt) and loaded.optimizer.iterations == 18
        m.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
        loaded.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
        for a, b in zip(m.get_weights(), loaded.get_weights()):
            np.testing.assert_array_equal(a, b)


# ---- serialization utilities -----------------------------------------------------------------
class _Scaled(keras.layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return x * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def _scaled_model():
    pe.manual_seed(5)
    inp = keras.Input((3,))
    return keras.Model(inp, keras.layers.Dense(2)(_Scaled(3.0, name="scaled")(inp)))


def test_custom_object_scope_and_get_custom_objects(tmp_path):
    x = RNG.normal(size=(4, 3)).astype(np.float32)
    model = _scaled_model()
    path = tmp_path / "custom.keras"
    keras.models.save_model(model, path)
    with pytest.raises(ValueError, match="unknown class '_Scaled'"):
        keras.models.load_model(path)
    with keras.utils.custom_object_scope({"_Scaled": _Scaled}):
        loaded = keras.saving.load_model(path)
        again = keras.saving.deserialize_keras_object(
            keras.saving.serialize_keras_object(model.get_layer("scaled")))
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert isinstance(again, _Scaled) and again.factor == 3.0
    with pytest.raises(ValueError, match="unknown class"):  # the scope has closed
        keras.models.load_model(path)
    keras.utils.get_custom_objects()["_Scaled"] = _Scaled
    try:
        assert keras.saving.get_custom_objects() is keras.utils.get_custom_objects()
        np.testing.assert_array_equal(keras.models.load_model(path).predict(x, verbose=0),
                                      model.predict(x, verbose=0))
    finally:
        del keras.utils.get_custom_objects()["_Scaled"]
    assert keras.utils.register_keras_serializable is keras.saving.register_keras_serializable
    with pytest.raises(TypeError, match="custom_object_scope"):
        keras.utils.custom_object_scope(["_Scaled"])


def test_serialize_deserialize_keras_objects():
    S, D = keras.utils.serialize_keras_object, keras.utils.deserialize_keras_object
    objs = [keras.layers.Dense(3, activation="relu", name="d"), keras.losses.Dice(axis=(1, 2)),
            keras.losses.BinaryFocalCrossentropy(gamma=3.0), keras.metrics.MeanIoU(3),
            keras.metrics.PrecisionAtRecall(0.7, num_thresholds=9), keras.optimizers.Lion(0.01),
            keras.optimizers.schedules.CosineDecayRestarts(0.1, 10, m_mul=0.5),
            keras.initializers.HeNormal(seed=2), keras.regularizers.L2(0.1),
            keras.mixed_precision.Policy("float32")]
    for o in objs:
        cfg = S(o)
        import json
        cfg = json.loads(json.dumps(cfg))
        back = D(cfg)
        assert type(back) is type(o)
        assert S(back)["config"] == cfg["config"]
    assert D(S(keras.losses.poisson)) is keras.losses.poisson
    assert type(D({"class_name": "Poisson", "config": {}, "module": "keras.metrics"})) is \
        keras.metrics.Poisson
    assert D(S(np.arange(3.0))).tolist() == [0.0, 1.0, 2.0]
    assert D([1, "relu", None]) == [1, "relu", None]
    with pytest.raises(ValueError, match="unknown class 'os.system'"):
        D({"class_name": "os.system", "config": {}, "module": "os"})
    with pytest.raises(TypeError, match="serialize_keras_object"):
        S(object())


def test_save_model_functions(tmp_path):
    x = RNG.normal(size=(4, 3)).astype(np.float32)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    for fn in (keras.models.save_model, keras.saving.save_model):
        path = tmp_path / f"{fn.__module__}.keras"
        fn(model, path)
        np.testing.assert_array_equal(keras.models.load_model(path).predict(x, verbose=0),
                                      model.predict(x, verbose=0))
    with pytest.raises(ValueError, match="include_optimizer"):
        keras.models.save_model(model, tmp_path / "a.keras", include_optimizer=False)
    with pytest.raises(ValueError, match="save_format"):
        keras.models.save_model(model, tmp_path / "a.h5", save_format="tf")
    with pytest.raises(ValueError, match="save_format"):
        keras.models.save_model(model, tmp_path / "a.keras", save_format="h5")
    with pytest.raises(FileExistsError):
        keras.models.save_model(model, tmp_path / "pyengine.keras.saving.keras", overwrite=False)


def test_keras_core_0_1_names_operations_and_backend_variable():
    # keras-team/keras examples of the keras_core 0.1 release: `from keras_core import
    # operations as ops` and `backend.Variable(initializer_value, name=...)` in a layer's build
    import importlib
    from pyengine import keras as K
    assert K.operations is K.ops and importlib.import_module("pyengine.keras.operations") is K.ops
    assert K.backend.Variable is K.Variable

    class MyDense(K.layers.Layer):
        def build(self, input_shape):
            self.w = K.backend.Variable(K.initializers.GlorotUniform(seed=1)((input_shape[-1], 3)),
                                        name="kernel")

        def call(self, x):
            return K.operations.matmul(x, self.w)
    layer = MyDense()
    out = layer(np.ones((2, 4), np.float32))
    assert tuple(out.shape) == (2, 3) and [w.name for w in layer.trainable_weights] == ["kernel"]
