"""Keras metrics with confusion-count state: Precision, Recall, AUC, F1Score, top-k, RMSE;
string names; sample weights; reset_state."""
import numpy as np
import pytest

from pyengine import keras
from pyengine.keras import metrics as M


def _exact_roc_auc(y, p):
    pos, neg = p[y == 1], p[y == 0]
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return wins / (len(pos) * len(neg))


def test_precision_recall_thresholds_weights_class_id():
    y = np.array([1, 0, 1, 1, 0])
    p = np.array([0.9, 0.6, 0.4, 0.7, 0.1])
    pr, rc = M.Precision(), M.Recall()
    pr.update_state(y, p)
    rc.update_state(y, p)
    assert pr.result() == pytest.approx(2 / 3) and rc.result() == pytest.approx(2 / 3)
    pr.reset_state()
    assert pr.result() == 0.0
    pr = M.Precision(thresholds=[0.3, 0.8])
    pr.update_state(y, p)
    assert pr.result() == pytest.approx([3 / 4, 1.0])
    w = np.array([1, 3, 1, 1, 1])
    pr = M.Precision()
    pr.update_state(y, p, sample_weight=w)
    assert pr.result() == pytest.approx(2 / 5)
    rc = M.Recall(class_id=1)
    rc.update_state(np.eye(3)[[1, 1, 2]], np.array([[0.1, 0.8, 0.1], [0.6, 0.3, 0.1],
                                                   [0.1, 0.1, 0.8]]))
    assert rc.result() == pytest.approx(0.5)
    rc = M.Recall(top_k=1)
    rc.update_state(np.eye(3)[[1, 0]], np.array([[0.1, 0.8, 0.7], [0.2, 0.9, 0.95]]))
    assert rc.result() == pytest.approx(0.5)
    with pytest.raises(ValueError, match="thresholds"):
        M.Precision(thresholds=1.5)
    with pytest.raises(ValueError, match="sample_weight"):
        M.Precision().update_state(y, p, sample_weight=np.ones(3))


def test_auc_roc_and_pr():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    p = np.clip(y * 0.3 + rng.random(400) * 0.7, 0, 1)
    auc = M.AUC(num_thresholds=1000)
    auc.update_state(y[:200], p[:200])
    auc.update_state(y[200:], p[200:])
    assert auc.result() == pytest.approx(_exact_roc_auc(y, p), abs=2e-3)
    pr = M.AUC(curve="PR", num_thresholds=500)
    pr.update_state(y, p)
    order = np.argsort(-p)
    prec = np.cumsum(y[order]) / np.arange(1, 401)
    ap = (prec * y[order]).sum() / y.sum()  # average precision, close to PR-AUC
    assert pr.result() == pytest.approx(ap, abs=0.03)
    logits = M.AUC(from_logits=True)
    logits.update_state(y, np.log(p + 1e-6) - np.log1p(-p + 1e-6))
    assert logits.result() == pytest.approx(_exact_roc_auc(y, p), abs=0.01)
    ml = M.AUC(multi_label=True)
    ml.update_state(np.stack([y, 1 - y], 1), np.stack([p, 1 - p], 1))
    assert ml.result() == pytest.approx(_exact_roc_auc(y, p), abs=0.01)
    with pytest.raises(ValueError, match="curve"):
        M.AUC(curve="XY")


def test_f1_topk_rmse():
    y = np.eye(3)[[0, 1, 2, 2]]
    p = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.5, 0.1, 0.4], [0.1, 0.2, 0.7]])
    f = M.F1Score()
    f.update_state(y, p)
    np.testing.assert_allclose(f.result(), [2 * 0.5 / 1.5, 1.0, 2 / 3 * 1 / 1])  # per class
    macro = M.F1Score(average="macro")
    macro.update_state(y, p)
    assert macro.result() == pytest.approx(np.mean(f.result()))
    micro = M.F1Score(average="micro")
    micro.update_state(y, p)
    assert micro.result() == pytest.approx(0.75)
    top = M.TopKCategoricalAccuracy(k=2)
    top.update_state(y, p)
    assert top.result() == pytest.approx(1.0)
    stop = M.SparseTopKCategoricalAccuracy(k=1)
    stop.update_state(np.array([0, 1, 2, 2]), p)
    assert stop.result() == pytest.approx(0.75)
    r = M.RootMeanSquaredError()
    r.update_state(np.array([1.0, 2.0]), np.array([1.0, 4.0]))
    assert r.result() == pytest.approx(np.sqrt(2.0))


@pytest.mark.parametrize("name,cls", [("AUC", M.AUC), ("auc", M.AUC), ("precision", M.Precision),
                                      ("recall", M.Recall), ("f1_score", M.F1Score),
                                      ("top_k_categorical_accuracy", M.TopKCategoricalAccuracy),
                                      ("mean", M.Mean), ("sum", M.Sum)])
def test_names_resolve(name, cls):
    assert isinstance(M.get(name), cls)


def test_unknown_metric_name_is_clear():
    with pytest.raises(ValueError, match="unknown metric 'acuracy'"):
        M.get("acuracy")


def test_metrics_in_fit_and_evaluate():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32)
    model = keras.Sequential([keras.layers.Dense(8, activation="relu", input_shape=(4,)),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy",
                  metrics=["accuracy", keras.metrics.AUC(), "precision", M.Recall(name="rec")])
    hist = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert {"auc", "precision", "rec"} <= set(hist.history)
    res = model.evaluate(x, y, verbose=0, return_dict=True)
    assert 0.0 <= res["auc"] <= 1.0
