"""pyengine.models: BernoulliRBM as a scikit-learn estimator, DBN, fine-tuning, bad input."""
import numpy as np
import pytest

import pyengine as pe
from pyengine.models import (DBN, BernoulliRBM, GaussianBernoulliRBM, NotFittedError, error_rate,
                             fine_tune)


def bars(n=200, side=6, seed=0):
    """Binary images of horizontal or vertical bars: a structure an RBM learns in a few epochs."""
    rng = np.random.default_rng(seed)
    X = np.zeros((n, side, side))
    y = rng.integers(0, 2, n)
    for i in range(n):
        lines = rng.random(side) < 0.4
        if y[i]:
            X[i][:, lines] = 1
        else:
            X[i][lines, :] = 1
    return X.reshape(n, -1), y


def test_estimator_params_round_trip():
    rbm = BernoulliRBM(n_components=7, learning_rate=0.02, random_state=3, k=2)
    p = rbm.get_params()
    assert p["n_components"] == 7 and p["k"] == 2 and p["random_state"] == 3
    assert BernoulliRBM(**p).get_params() == p
    assert rbm.set_params(n_iter=4) is rbm and rbm.n_iter == 4
    with pytest.raises(ValueError, match="unknown parameter 'n_hidden'"):
        rbm.set_params(n_hidden=3)
    assert "n_components=7" in repr(rbm)


def test_fit_learns_and_records_history():
    X, _ = bars()
    rbm = BernoulliRBM(n_components=16, learning_rate=0.5, n_iter=15, random_state=0,
                       persistent=False).fit(X)
    h = rbm.history_
    assert len(h["reconstruction_error"]) == 15 and len(h["pseudo_likelihood"]) == 15
    assert h["reconstruction_error"][-1] < 0.6 * h["reconstruction_error"][0]
    assert h["pseudo_likelihood"][-1] > h["pseudo_likelihood"][0]
    assert rbm.components_.shape == (16, 36) and rbm.intercept_hidden_.shape == (16,)
    assert rbm.intercept_visible_.shape == (36,) and rbm.n_features_in_ == 36
    T = rbm.transform(X)
    assert T.shape == (200, 16) and (0 <= T).all() and (T <= 1).all()
    g = rbm.gibbs(X[:5])
    assert g.shape == (5, 36) and set(np.unique(g)) <= {0.0, 1.0}
    assert rbm.sample(3, n_steps=20).shape == (3, 36)
    assert rbm.score_samples(X).shape == (200,)


@pytest.mark.parametrize("options", [dict(persistent=False, k=1), dict(persistent=False, k=3),
                                     dict(persistent=True, momentum=0.5, weight_decay=1e-3),
                                     dict(persistent=False, sparsity_cost=0.5,
                                          sparsity_target=0.05)])
def test_training_options_learn(options):
    X, _ = bars()
    rbm = BernoulliRBM(n_components=16, learning_rate=0.05, n_iter=10, random_state=1,
                       **options).fit(X)
    err = rbm.history_["reconstruction_error"]
    assert err[-1] < err[0]
    if options.get("sparsity_cost"):
        dense = BernoulliRBM(n_components=16, learning_rate=0.05, n_iter=10, random_state=1,
                             persistent=False).fit(X)
        assert rbm.transform(X).mean() < dense.transform(X).mean()


def test_gaussian_visible_units():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 8)) @ rng.normal(size=(8, 8))
    X = (X - X.mean(0)) / X.std(0)
    rbm = GaussianBernoulliRBM(n_components=6, learning_rate=0.01, n_iter=10, random_state=0)
    rbm.fit(X)  # real values outside [0, 1] are fine here
    err = rbm.history_["reconstruction_error"]
    assert err[-1] < err[0]
    fe = rbm.free_energy(X)
    pre = X @ rbm.components_.T + rbm.intercept_hidden_
    want = 0.5 * ((X - rbm.intercept_visible_) ** 2).sum(1) - np.logaddexp(0, pre).sum(1)
    np.testing.assert_allclose(fe, want, rtol=1e-10)
    with pytest.raises(ValueError, match="Bernoulli visible units only"):
        rbm.score_samples(X)


def test_free_energy_reference():
    X, _ = bars(50)
    rbm = BernoulliRBM(n_components=5, n_iter=2, random_state=0).fit(X)
    pre = X @ rbm.components_.T + rbm.intercept_hidden_
    want = -X @ rbm.intercept_visible_ - np.logaddexp(0, pre).sum(1)
    np.testing.assert_allclose(rbm.free_energy(X), want, rtol=1e-10)


def test_reproducible_under_seed():
    X, _ = bars(100)
    a = BernoulliRBM(n_components=8, n_iter=3, random_state=5).fit(X)
    b = BernoulliRBM(n_components=8, n_iter=3, random_state=5).fit(X)
    np.testing.assert_array_equal(a.components_, b.components_)
    np.testing.assert_array_equal(a.gibbs(X[:4]), b.gibbs(X[:4]))
    c = BernoulliRBM(n_components=8, n_iter=3, random_state=6).fit(X)
    assert not np.array_equal(a.components_, c.components_)
    runs = []
    for _ in range(2):
        pe.manual_seed(123)
        runs.append(BernoulliRBM(n_components=8, n_iter=3).fit(X).components_)
    np.testing.assert_array_equal(*runs)


def test_fit_one_vs_two_threads_bitwise(threads):
    X, _ = bars(400, side=12)
    out = []
    for n in (1, 2):
        threads(n)
        out.append(BernoulliRBM(n_components=300, batch_size=200, n_iter=2, random_state=0,
                                dtype="float32").fit(X).components_)
    np.testing.assert_array_equal(*out)


def test_partial_fit_is_one_update():
    X, _ = bars(30)
    rbm = BernoulliRBM(n_components=4, random_state=0).partial_fit(X)
    w0 = rbm.components_.copy()
    rbm.partial_fit(X)
    assert rbm.components_.shape == (4, 36) and not np.array_equal(w0, rbm.components_)


@pytest.mark.parametrize("persistent", [False, True])
def test_fit_epoch_call_equals_updates_one_batch_at_a_time(persistent):
    # fit runs a whole epoch in one kernel call; partial_fit on the same batches, one by one,
    # must give bitwise the same model (same initial weights, chains and random streams).
    X, _ = bars(47)  # 5 batches of 9 or 10 rows
    kw = dict(n_components=6, batch_size=10, random_state=3, persistent=persistent, k=2,
              momentum=0.5, weight_decay=1e-3, sparsity_cost=0.1)
    fitted = BernoulliRBM(n_iter=1, **kw).fit(X)
    stepped = BernoulliRBM(**kw)
    bounds = [47 * i // 5 for i in range(6)]
    for a, b in zip(bounds[:-1], bounds[1:]):
        stepped.partial_fit(X[a:b])
    for name in ("components_", "intercept_hidden_", "intercept_visible_", "h_samples_"):
        np.testing.assert_array_equal(getattr(fitted, name), getattr(stepped, name))


def test_momentum_schedule():
    # a sequence gives each epoch its momentum, the last value repeating (Hinton's 0.5 then 0.9)
    X, _ = bars(40)
    kw = dict(n_components=5, batch_size=10, random_state=0)
    one = BernoulliRBM(n_iter=1, momentum=[0.3, 0.9], **kw).fit(X)
    np.testing.assert_array_equal(
        one.components_, BernoulliRBM(n_iter=1, momentum=0.3, **kw).fit(X).components_)
    two = BernoulliRBM(n_iter=3, momentum=[0.3, 0.9], **kw).fit(X)
    assert not np.array_equal(
        two.components_, BernoulliRBM(n_iter=3, momentum=0.3, **kw).fit(X).components_)
    np.testing.assert_array_equal(
        two.components_, BernoulliRBM(n_iter=3, momentum=(0.3, 0.9, 0.9), **kw).fit(X).components_)
    for bad in ([], [0.5, 1.2], "fast"):
        with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\) or a non-empty"):
            BernoulliRBM(momentum=bad, **kw).fit(X)


def test_fine_tune_keeps_the_best_validation_epoch():
    X, y = bars(200)
    dbn = DBN([12], learning_rate=0.5, batch_size=10, n_iter=2, random_state=0).fit(X[:150])
    net = dbn.to_module(n_classes=2, random_state=0)
    hist = fine_tune(net, X[:150], y[:150], epochs=8, batch_size=20, learning_rate=2.0,
                     random_state=0, X_val=X[150:], y_val=y[150:])
    best = int(np.argmin(hist["val_error"]))
    assert hist["best_epoch"] == best + 1 and len(hist["val_error"]) == 8
    assert error_rate(net, X[150:], y[150:]) == hist["val_error"][best]


@pytest.mark.parametrize("bad, match", [
    (dict(n_components=0), "n_components must be an int >= 1"),
    (dict(learning_rate=-1.0), "learning_rate must be > 0"),
    (dict(k=0), "k must be an int >= 1"),
    (dict(momentum=1.0), r"momentum must be in \[0, 1\)"),
    (dict(visible="poisson"), "visible must be one of"),
])
def test_bad_parameters(bad, match):
    with pytest.raises(ValueError, match=match):
        BernoulliRBM(**bad).fit(np.zeros((4, 3)))


def test_bad_input():
    X, _ = bars(20)
    rbm = BernoulliRBM(n_components=3, n_iter=1, random_state=0)
    with pytest.raises(NotFittedError, match=r"\[BernoulliRBM.transform\] .* not fitted"):
        rbm.transform(X)
    with pytest.raises(ValueError, match=r"Bernoulli visible units need values in \[0, 1\], "
                                         r"got values in \[0, 255\]"):
        rbm.fit(X * 255)
    nan = X.copy()
    nan[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"\[BernoulliRBM.fit\] X contains NaN"):
        rbm.fit(nan)
    with pytest.raises(ValueError, match=r"expected a 2-D array"):
        rbm.fit(X[0])
    rbm.fit(X)
    with pytest.raises(ValueError, match=r"\[BernoulliRBM.transform\] X has 35 features, but "
                                         r"BernoulliRBM was fitted with 36 features"):
        rbm.transform(X[:, :35])
    with pytest.raises(ValueError, match=r"\[BernoulliRBM.score_samples\] X contains NaN"):
        rbm.score_samples(nan)


def test_dbn_pretrain_module_keras_and_samples():
    X, y = bars(200)
    dbn = DBN([20, 10], learning_rate=0.5, batch_size=10, n_iter=5, random_state=0).fit(X)
    assert len(dbn.rbms_) == 2 and dbn.transform(X).shape == (200, 10)
    net = dbn.to_module(n_classes=2, random_state=0)
    with pe.no_grad():
        hidden = net[:-1](pe.from_numpy(X.astype(np.float32))).numpy()
    np.testing.assert_allclose(hidden, dbn.transform(X), rtol=1e-4, atol=1e-5)
    hist = fine_tune(net, X, y, epochs=20, batch_size=20, learning_rate=0.5, random_state=0)
    assert hist["loss"][-1] < 0.5 * hist["loss"][0]
    keras_model = dbn.to_keras(n_classes=2, random_state=0)
    probs = keras_model.predict(X.astype(np.float32), verbose=0)
    assert probs.shape == (200, 2)
    np.testing.assert_allclose(probs.sum(1), 1, rtol=1e-5)
    pics = dbn.sample(4, n_steps=10)
    assert pics.shape == (4, 36) and (0 <= pics).all() and (pics <= 1).all()
    assert dbn.sample(2, n_steps=3, init=X[:2]).shape == (2, 36)


def test_dbn_dropout_layers_for_fine_tuning():
    X, y = bars(200)
    dbn = DBN([20, 10], learning_rate=0.5, batch_size=10, n_iter=5, random_state=0).fit(X)
    net = dbn.to_module(n_classes=2, random_state=0, dropout=0.5, input_dropout=0.2)
    kinds = [(type(m).__name__, getattr(m, "p", None)) for m in net]
    assert kinds == [("Dropout", 0.2), ("Linear", None), ("Sigmoid", None), ("Dropout", 0.5),
                     ("Linear", None), ("Sigmoid", None), ("Dropout", 0.5), ("Linear", None)]
    x = pe.from_numpy(X.astype(np.float32))
    plain = dbn.to_module(n_classes=2, random_state=0)
    net.eval()
    with pe.no_grad():  # eval mode: the dropout layers are the identity, the net is the up-pass
        np.testing.assert_array_equal(net(x).numpy(), plain(x).numpy())
        net.train()
        pe.manual_seed(3)
        a = net(x).numpy()
        pe.manual_seed(3)
        b = net(x).numpy()
    np.testing.assert_array_equal(a, b)  # the masks come from the seeded generator
    assert not np.allclose(a, plain(x).detach().numpy())
    # the pixel mask: a fifth of the inputs zeroed, the rest scaled by 1 / 0.8
    with pe.no_grad():
        dropped = net[0](pe.from_numpy(np.ones((100, 36), np.float32))).numpy()
    assert set(np.unique(dropped)) <= {0.0, np.float32(1 / 0.8)}
    assert 0.15 < np.mean(dropped == 0) < 0.25
    # rates this small net (10 top units) can learn through; the MNIST net uses 0.5 / 0.2
    net = dbn.to_module(n_classes=2, random_state=0, dropout=0.2, input_dropout=0.1)
    hist = fine_tune(net, X, y, epochs=20, batch_size=20, learning_rate=0.5, random_state=0)
    assert hist["loss"][-1] < 0.5 * hist["loss"][0] and error_rate(net, X, y) < 0.05
    keras_model = dbn.to_keras(n_classes=2, random_state=0, dropout=0.5, input_dropout=0.2)
    names = [type(layer).__name__ for layer in keras_model.layers]
    assert names == ["Dropout", "Dense", "Dropout", "Dense", "Dropout", "Dense"]
    np.testing.assert_allclose(keras_model.predict(X.astype(np.float32), verbose=0),
                               dbn.to_keras(n_classes=2, random_state=0).predict(
                                   X.astype(np.float32), verbose=0), rtol=1e-6)
    for bad in (dict(dropout=1.0), dict(input_dropout=-0.1), dict(dropout="half")):
        with pytest.raises(ValueError, match=r"\[DBN.to_module\] (input_)?dropout must be a "
                                             r"probability in \[0, 1\)"):
            dbn.to_module(2, **bad)


def test_dbn_bad_sizes():
    with pytest.raises(ValueError, match=r"\[DBN.fit\] hidden_layer_sizes"):
        DBN([10, 0]).fit(np.zeros((4, 3)))


def test_dbn_save_load_round_trip(tmp_path):
    X, _ = bars(60)
    dbn = DBN([8, 4], batch_size=10, n_iter=2, random_state=0).fit(X)
    path = str(tmp_path / "dbn.npz")
    dbn.save(path)
    back = DBN.load(path)
    assert back.hidden_layer_sizes == [8, 4] or tuple(back.hidden_layer_sizes) == (8, 4)
    np.testing.assert_array_equal(back.transform(X), dbn.transform(X))
