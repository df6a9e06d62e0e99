"""Against scikit-learn (skipped without it): the pseudo-likelihood on the same weights, and the
estimator inside a Pipeline / clone."""
import numpy as np
import pytest

from pyengine.models import BernoulliRBM

sklearn = pytest.importorskip("sklearn")


def binary_data(n=60, d=20, seed=0):
    return (np.random.default_rng(seed).random((n, d)) < 0.3).astype(np.float64)


def test_pseudo_likelihood_matches_sklearn_on_same_weights():
    from sklearn.neural_network import BernoulliRBM as SkRBM
    X = binary_data()
    sk = SkRBM(n_components=7, n_iter=3, random_state=0).fit(X)
    ours = BernoulliRBM(n_components=7, random_state=0)
    ours.components_ = sk.components_.copy()
    ours.intercept_hidden_ = sk.intercept_hidden_.copy()
    ours.intercept_visible_ = sk.intercept_visible_.copy()
    ours.n_features_in_ = X.shape[1]
    np.testing.assert_allclose(ours.score_samples(X), sk.score_samples(X), rtol=1e-10)
    np.testing.assert_allclose(ours.transform(X), sk.transform(X), rtol=1e-10)


def test_same_initial_weights_as_sklearn():
    from sklearn.neural_network import BernoulliRBM as SkRBM
    X = binary_data()
    sk = SkRBM(n_components=5, n_iter=0, random_state=4).fit(X)
    ours = BernoulliRBM(n_components=5, n_iter=0, random_state=4).fit(X)
    np.testing.assert_array_equal(ours.components_, sk.components_)


def test_in_pipeline_and_clone():
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    X = (rng.random((200, 16)) < np.where(y[:, None] == 1, 0.7, 0.2)).astype(np.float64)
    pipe = Pipeline([("rbm", BernoulliRBM(n_components=8, n_iter=5, random_state=0,
                                          learning_rate=0.05)),
                     ("logistic", LogisticRegression())])
    pipe.set_params(rbm__n_components=10)
    assert pipe.fit(X, y).score(X, y) > 0.8
    assert pipe.named_steps["rbm"].components_.shape == (10, 16)
    c = clone(pipe.named_steps["rbm"])
    assert c.get_params() == pipe.named_steps["rbm"].get_params()
    assert not hasattr(c, "components_")
