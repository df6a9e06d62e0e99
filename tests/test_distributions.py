"""pe.distributions against NumPy float64 formulas and (when installed) torch.distributions:
log_prob / entropy / mean / variance, shapes and broadcasting, gradients, sampling moments and
repeatability, and argument errors."""
import math

import numpy as np
import pytest

import pyengine as pe
from pyengine import distributions as D
from pyengine.testing import gradcheck


def f64(a, grad=False):
    return pe.tensor(np.asarray(a, dtype=np.float64), dtype=pe.float64, requires_grad=grad)


def npy(t):
    return np.asarray(t._data if isinstance(t, pe.Tensor) else t, dtype=np.float64)


RNG = np.random.default_rng(0)
LOC = RNG.standard_normal((3, 1))
SCALE = RNG.uniform(0.5, 2.0, (4,))
X = RNG.standard_normal((2, 3, 4))
PROBS = RNG.uniform(0.05, 0.95, (3, 4))
CAT = RNG.uniform(0.1, 1.0, (3, 5))


# --- closed forms against NumPy float64 ---------------------------------------------------

def test_normal_against_numpy():
    d = D.Normal(f64(LOC), f64(SCALE))
    assert d.batch_shape == (3, 4) and d.event_shape == ()
    lp = -(X - LOC) ** 2 / (2 * SCALE ** 2) - np.log(SCALE) - 0.5 * np.log(2 * np.pi)
    np.testing.assert_allclose(npy(d.log_prob(f64(X))), lp, rtol=1e-12)
    np.testing.assert_allclose(npy(d.entropy()), 0.5 * np.log(2 * np.pi * np.e * SCALE ** 2)
                               + 0 * LOC, rtol=1e-12)
    np.testing.assert_allclose(npy(d.mean), np.broadcast_to(LOC, (3, 4)))
    np.testing.assert_allclose(npy(d.variance), np.broadcast_to(SCALE ** 2, (3, 4)))
    np.testing.assert_allclose(npy(d.stddev), np.broadcast_to(SCALE, (3, 4)))
    from math import erf
    cdf = 0.5 * (1 + np.vectorize(erf)((X - LOC) / (SCALE * np.sqrt(2))))
    np.testing.assert_allclose(npy(d.cdf(f64(X))), cdf, rtol=1e-6, atol=1e-7)


def test_bernoulli_against_numpy():
    for d in (D.Bernoulli(probs=f64(PROBS)), D.Bernoulli(logits=f64(np.log(PROBS / (1 - PROBS))))):
        v = (X > 0).astype(np.float64)[:, :3, :]
        lp = v * np.log(PROBS) + (1 - v) * np.log1p(-PROBS)
        np.testing.assert_allclose(npy(d.log_prob(f64(v))), lp, rtol=1e-10)
        ent = -(PROBS * np.log(PROBS) + (1 - PROBS) * np.log1p(-PROBS))
        np.testing.assert_allclose(npy(d.entropy()), ent, rtol=1e-10)
        np.testing.assert_allclose(npy(d.mean), PROBS, rtol=1e-12)
        np.testing.assert_allclose(npy(d.variance), PROBS * (1 - PROBS), rtol=1e-12)
        np.testing.assert_array_equal(npy(d.mode), (PROBS > 0.5).astype(float))
    assert np.isnan(npy(D.Bernoulli(0.5).mode))


def test_categorical_against_numpy():
    p = CAT / CAT.sum(-1, keepdims=True)
    for d in (D.Categorical(probs=f64(CAT)), D.Categorical(logits=f64(np.log(CAT) + 3.0))):
        assert d.batch_shape == (3,) and d.event_shape == ()
        np.testing.assert_allclose(npy(d.probs), p, rtol=1e-12)
        np.testing.assert_allclose(npy(d.logits), np.log(p), rtol=1e-10, atol=1e-12)
        v = np.array([[0, 4, 2], [1, 1, 3]])                  # sample_shape (2,) + batch (3,)
        np.testing.assert_allclose(npy(d.log_prob(pe.tensor(v))),
                                   np.log(p[np.arange(3), v]), rtol=1e-10)
        np.testing.assert_allclose(npy(d.entropy()), -(p * np.log(p)).sum(-1), rtol=1e-10)
        np.testing.assert_array_equal(d.mode.numpy(), p.argmax(-1))
        assert np.isnan(npy(d.mean)).all() and d.mean.shape == (3,)
    # A zero probability: entropy counts 0 log 0 as 0, log_prob of it is very negative.
    d = D.Categorical(probs=f64([0.5, 0.5, 0.0]))
    np.testing.assert_allclose(npy(d.entropy()), np.log(2), rtol=1e-12)


def test_uniform_against_numpy():
    low, high = -SCALE, SCALE * 2
    d = D.Uniform(f64(low), f64(high))
    v = np.broadcast_to(low + 0.3 * (high - low), (2, 4))
    np.testing.assert_allclose(npy(d.log_prob(f64(v))), np.broadcast_to(-np.log(high - low),
                                                                         (2, 4)), rtol=1e-12)
    np.testing.assert_allclose(npy(d.entropy()), np.log(high - low), rtol=1e-12)
    np.testing.assert_allclose(npy(d.mean), (low + high) / 2, rtol=1e-12)
    np.testing.assert_allclose(npy(d.variance), (high - low) ** 2 / 12, rtol=1e-12)
    np.testing.assert_allclose(npy(d.cdf(f64(v))), np.full((2, 4), 0.3), rtol=1e-12)
    outside = D.Uniform(0.0, 1.0, validate_args=False).log_prob(pe.tensor([-0.5, 0.5, 1.0]))
    np.testing.assert_array_equal(npy(outside), [-np.inf, 0.0, -np.inf])


def test_independent_sums_event_axes():
    base = D.Normal(f64(np.zeros((3, 4))), f64(SCALE))
    d = D.Independent(base, 1)
    assert d.batch_shape == (3,) and d.event_shape == (4,)
    v = f64(X)
    np.testing.assert_allclose(npy(d.log_prob(v)), npy(base.log_prob(v)).sum(-1), rtol=1e-12)
    np.testing.assert_allclose(npy(d.entropy()), npy(base.entropy()).sum(-1), rtol=1e-12)
    assert d.sample((5,)).shape == (5, 3, 4) and d.has_rsample
    d2 = D.Independent(base, 2)
    assert d2.batch_shape == () and d2.log_prob(v).shape == (2,)


def _mvn_numpy(mu, cov, x):
    k = mu.shape[-1]
    diff = x - mu
    maha = np.einsum("...i,ij,...j->...", diff, np.linalg.inv(cov), diff)
    return -0.5 * (k * np.log(2 * np.pi) + np.linalg.slogdet(cov)[1] + maha)


def test_multivariate_normal_against_numpy():
    A = RNG.standard_normal((3, 3))
    cov = A @ A.T + 3 * np.eye(3)
    mu = RNG.standard_normal((2, 3))
    x = RNG.standard_normal((4, 2, 3))
    L = np.linalg.cholesky(cov)
    for d in (D.MultivariateNormal(f64(mu), covariance_matrix=f64(cov)),
              D.MultivariateNormal(f64(mu), scale_tril=f64(L)),
              D.MultivariateNormal(f64(mu), precision_matrix=f64(np.linalg.inv(cov)))):
        assert d.batch_shape == (2,) and d.event_shape == (3,)
        np.testing.assert_allclose(npy(d.log_prob(f64(x))), _mvn_numpy(mu, cov, x), rtol=1e-10)
        ent = 0.5 * (3 * (1 + np.log(2 * np.pi)) + np.linalg.slogdet(cov)[1])
        np.testing.assert_allclose(npy(d.entropy()), [ent, ent], rtol=1e-10)
        np.testing.assert_allclose(npy(d.covariance_matrix), np.broadcast_to(cov, (2, 3, 3)),
                                   rtol=1e-10)
        np.testing.assert_allclose(npy(d.precision_matrix)[0], np.linalg.inv(cov), rtol=1e-8,
                                   atol=1e-12)
        np.testing.assert_allclose(npy(d.variance)[1], np.diag(cov), rtol=1e-10)
        assert d.rsample((5,)).shape == (5, 2, 3)


def test_kl_against_numpy():
    m1, s1, m2, s2 = LOC, SCALE, -LOC, SCALE[::-1]
    kl = np.log(s2 / s1) + (s1 ** 2 + (m1 - m2) ** 2) / (2 * s2 ** 2) - 0.5
    got = D.kl_divergence(D.Normal(f64(m1), f64(s1)), D.Normal(f64(m2), f64(s2)))
    np.testing.assert_allclose(npy(got), kl, rtol=1e-10)
    p, q = PROBS, PROBS[::-1]
    kl = p * np.log(p / q) + (1 - p) * np.log((1 - p) / (1 - q))
    q_logits = f64(np.log(q / (1 - q)))
    np.testing.assert_allclose(npy(D.kl.kl_divergence(D.Bernoulli(f64(p)),
                                                      D.Bernoulli(logits=q_logits))),
                               kl, rtol=1e-8, atol=1e-15)
    p, q = CAT / CAT.sum(-1, keepdims=True), CAT[::-1] / CAT[::-1].sum(-1, keepdims=True)
    np.testing.assert_allclose(npy(D.kl_divergence(D.Categorical(f64(p)), D.Categorical(f64(q)))),
                               (p * np.log(p / q)).sum(-1), rtol=1e-10)
    kl = D.kl_divergence(D.Categorical(f64([0.5, 0.5, 0.0])), D.Categorical(f64([0.0, 0.5, 0.5])))
    assert npy(kl) == np.inf
    kl = D.kl_divergence(D.Uniform(f64([0.0, 0.0]), f64([1.0, 1.0])),
                         D.Uniform(f64([-1.0, 0.5]), f64([3.0, 2.0])))
    np.testing.assert_allclose(npy(kl), [np.log(4.0), np.inf])
    i = D.kl_divergence(D.Independent(D.Normal(f64(m1), f64(s1)), 1),
                        D.Independent(D.Normal(f64(m2), f64(s2)), 1))
    kl = np.log(s2 / s1) + (s1 ** 2 + (m1 - m2) ** 2) / (2 * s2 ** 2) - 0.5
    np.testing.assert_allclose(npy(i), kl.sum(-1), rtol=1e-10)
    # MVN vs MVN: a diagonal pair must agree with the sum of Normal KLs.
    mvn = D.kl_divergence(D.MultivariateNormal(f64(m1[:, 0]), scale_tril=f64(np.diag(s1[:3]))),
                          D.MultivariateNormal(f64(m2[:, 0]), scale_tril=f64(np.diag(s2[:3]))))
    kl = np.log(s2[:3] / s1[:3]) + (s1[:3] ** 2 + (m1[:, 0] - m2[:, 0]) ** 2) / (2 * s2[:3] ** 2)
    np.testing.assert_allclose(npy(mvn), (kl - 0.5).sum(), rtol=1e-10)


def test_kl_unsupported_pair_raises():
    with pytest.raises(NotImplementedError, match="Normal.*Bernoulli"):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Bernoulli(0.5))


# --- against torch.distributions ----------------------------------------------------------

def _torch_pairs():
    """(name, pe factory, torch factory, value) over scalar, broadcast and float parameters."""
    v = X
    return [
        ("normal scalar", lambda m: m.Normal(0.3, 1.7), v),
        ("normal broadcast", lambda m, T=None: m.Normal(T(LOC), T(SCALE)), v),
        ("bernoulli probs", lambda m, T=None: m.Bernoulli(probs=T(PROBS)),
         (X[:, :3] > 0).astype(float)),
        ("bernoulli logits", lambda m, T=None: m.Bernoulli(logits=T(PROBS * 4 - 2)),
         (X[:, :3] > 0).astype(float)),
        ("categorical", lambda m, T=None: m.Categorical(probs=T(CAT)),
         np.array([[0, 4, 2], [1, 1, 3]])),
        ("categorical logits", lambda m, T=None: m.Categorical(logits=T(CAT * 3)),
         np.array([[0, 4, 2], [1, 1, 3]])),
        ("uniform", lambda m, T=None: m.Uniform(T(-SCALE), T(SCALE)), 0.3 * X[:, :1]),
        ("independent", lambda m, T=None: m.Independent(m.Normal(T(LOC), T(SCALE)), 1), v),
    ]


@pytest.mark.parametrize("case", range(8))
def test_matches_torch(case):
    torch = pytest.importorskip("torch")
    name, make, value = _torch_pairs()[case]
    td = make(torch.distributions, T=lambda a: torch.tensor(a, dtype=torch.float64)) \
        if "scalar" not in name else make(torch.distributions)
    pd = make(D, T=f64) if "scalar" not in name else make(D)
    assert tuple(pd.batch_shape) == tuple(td.batch_shape), name
    assert tuple(pd.event_shape) == tuple(td.event_shape), name
    is_int = value.dtype.kind == "i"
    tv = torch.tensor(value) if is_int else torch.tensor(value, dtype=td.mean.dtype
                                                         if td.mean.dtype.is_floating_point
                                                         else torch.float64)
    pv = pe.tensor(value) if is_int else pe.tensor(value, dtype=pe.float64 if "scalar" not in name
                                                   else pe.float32)
    tol = dict(rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(npy(pd.log_prob(pv)), td.log_prob(tv).double().numpy(), **tol)
    np.testing.assert_allclose(npy(pd.entropy()), td.entropy().double().numpy(), **tol)
    if "categorical" not in name:
        np.testing.assert_allclose(npy(pd.mean), td.mean.double().numpy(), **tol)
        np.testing.assert_allclose(npy(pd.variance), td.variance.double().numpy(), **tol)
    for shape in ((), (5,), (2, 3)):
        assert tuple(pd.sample(shape).shape) == tuple(td.sample(shape).shape), (name, shape)


def test_kl_matches_torch():
    torch = pytest.importorskip("torch")
    T = lambda a: torch.tensor(a, dtype=torch.float64)  # noqa: E731
    td, tk = torch.distributions, torch.distributions.kl_divergence
    A = RNG.standard_normal((3, 3))
    cov1, cov2 = A @ A.T + np.eye(3), A.T @ A + 2 * np.eye(3)
    pairs = [
        (lambda m, t: (m.Normal(t(LOC), t(SCALE)), m.Normal(t(-LOC), 1.5))),
        (lambda m, t: (m.Bernoulli(t(PROBS)), m.Bernoulli(t(PROBS[::-1].copy())))),
        (lambda m, t: (m.Categorical(t(CAT)), m.Categorical(logits=t(CAT[::-1].copy())))),
        (lambda m, t: (m.Uniform(t(-SCALE), t(SCALE)), m.Uniform(t(-2 * SCALE), t(3 * SCALE)))),
        (lambda m, t: (m.MultivariateNormal(t(LOC[:, 0]), covariance_matrix=t(cov1)),
                       m.MultivariateNormal(t(-LOC[:, 0]), covariance_matrix=t(cov2)))),
    ]
    for make in pairs:
        p, q = make(D, f64)
        tp, tq = make(td, T)
        np.testing.assert_allclose(npy(D.kl_divergence(p, q)), tk(tp, tq).numpy(), rtol=1e-8)


def test_gradients_match_torch():
    """The policy-gradient and VAE patterns give PyTorch's gradients."""
    torch = pytest.importorskip("torch")
    logits = RNG.standard_normal((4, 3))
    actions = np.array([0, 2, 1, 2])
    reward = np.array([1.0, -0.5, 2.0, 0.3])
    pl = f64(logits, grad=True)
    m = D.Categorical(pl.softmax(-1))
    (-m.log_prob(pe.tensor(actions)) * f64(reward)).sum().backward()
    tl = torch.tensor(logits, requires_grad=True)
    tm = torch.distributions.Categorical(tl.softmax(-1))
    (-tm.log_prob(torch.tensor(actions)) * torch.tensor(reward)).sum().backward()
    np.testing.assert_allclose(npy(pl.grad), tl.grad.numpy(), rtol=1e-8, atol=1e-12)

    mu, logvar = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3))
    pm, pv = f64(mu, grad=True), f64(logvar, grad=True)
    q = D.Normal(pm, (0.5 * pv).exp())
    D.kl_divergence(q, D.Normal(0.0, 1.0)).sum().backward()
    tm_, tv = torch.tensor(mu, requires_grad=True), torch.tensor(logvar, requires_grad=True)
    tq = torch.distributions.Normal(tm_, (0.5 * tv).exp())
    torch.distributions.kl_divergence(tq, torch.distributions.Normal(0.0, 1.0)).sum().backward()
    np.testing.assert_allclose(npy(pm.grad), tm_.grad.numpy(), rtol=1e-8)
    np.testing.assert_allclose(npy(pv.grad), tv.grad.numpy(), rtol=1e-8)


# --- gradients by finite differences ------------------------------------------------------

def test_gradcheck_log_prob_entropy_kl():
    loc, scale = f64(LOC, grad=True), f64(SCALE, grad=True)
    x = f64(X)
    assert gradcheck(lambda m, s: D.Normal(m, s).log_prob(x), [loc, scale])
    assert gradcheck(lambda s: D.Normal(0.0, s).entropy(), [scale])
    assert gradcheck(lambda m, s: D.kl_divergence(D.Normal(m, s), D.Normal(1.0, 2.0)),
                     [loc, scale])
    p = f64(PROBS, grad=True)
    v = f64((X[:, :3] > 0).astype(float))
    assert gradcheck(lambda p: D.Bernoulli(p).log_prob(v), [p])
    assert gradcheck(lambda p: D.Bernoulli(p).entropy(), [p])
    lg = f64(PROBS * 4 - 2, grad=True)
    assert gradcheck(lambda lg: D.kl_divergence(D.Bernoulli(logits=lg), D.Bernoulli(0.3)), [lg])
    c = f64(CAT, grad=True)
    idx = pe.tensor(np.array([[0, 4, 2], [1, 1, 3]]))
    assert gradcheck(lambda c: D.Categorical(c).log_prob(idx), [c])
    assert gradcheck(lambda c: D.Categorical(logits=c).entropy(), [c])
    assert gradcheck(lambda c: D.kl_divergence(D.Categorical(logits=c),
                                               D.Categorical(f64(CAT[::-1].copy()))), [c])
    lo, hi = f64(-SCALE, grad=True), f64(SCALE, grad=True)
    assert gradcheck(lambda a, b: D.Uniform(a, b).log_prob(f64(np.zeros(4))), [lo, hi])
    assert gradcheck(lambda a, b: D.kl_divergence(D.Uniform(a, b), D.Uniform(-9.0, 9.0)),
                     [lo, hi])


def test_gradcheck_rsample():
    loc, scale = f64(LOC, grad=True), f64(SCALE, grad=True)
    # rsample draws fresh noise per call: reseed so every finite-difference call sees the same.
    def normal(m, s):
        pe.manual_seed(3)
        return D.Normal(m, s).rsample((2,))

    def uniform(a, b):
        pe.manual_seed(3)
        return D.Uniform(a, b).rsample((2,))
    assert gradcheck(normal, [loc, scale])
    assert gradcheck(uniform, [f64(-SCALE, grad=True), f64(SCALE, grad=True)])


def test_gradcheck_multivariate_normal():
    A = RNG.standard_normal((3, 3))
    cov = f64(A @ A.T + 2 * np.eye(3), grad=True)
    L = f64(np.linalg.cholesky(A @ A.T + np.eye(3)), grad=True)
    mu = f64(RNG.standard_normal((2, 3)), grad=True)
    x = f64(RNG.standard_normal((4, 2, 3)))
    sym = lambda c: (c + c.transpose(-1, -2)) * 0.5  # noqa: E731  (perturb symmetrically)
    assert gradcheck(lambda m, c: D.MultivariateNormal(m, sym(c)).log_prob(x), [mu, cov])
    assert gradcheck(lambda m, l: D.MultivariateNormal(m, scale_tril=pe.tril(l)).log_prob(x),
                     [mu, L])
    assert gradcheck(lambda c: D.MultivariateNormal(f64(np.zeros(3)), sym(c)).entropy(), [cov])

    def rs(m, l):
        pe.manual_seed(1)
        return D.MultivariateNormal(m, scale_tril=pe.tril(l)).rsample((2,))
    assert gradcheck(rs, [mu, L])
    assert gradcheck(lambda m, c: D.kl_divergence(
        D.MultivariateNormal(m, sym(c)), D.MultivariateNormal(f64(np.ones(3)), scale_tril=L)),
        [mu, cov])


# --- sampling -----------------------------------------------------------------------------

def test_sampling_moments():
    pe.manual_seed(0)
    n = 20000
    d = D.Normal(pe.tensor([1.0, -2.0]), pe.tensor([0.5, 3.0]))
    s = npy(d.sample((n,)))
    assert s.shape == (n, 2)
    np.testing.assert_allclose(s.mean(0), [1.0, -2.0], atol=0.08)
    np.testing.assert_allclose(s.std(0), [0.5, 3.0], rtol=0.03)
    s = npy(D.Uniform(-1.0, pe.tensor([1.0, 5.0])).rsample((n,)))
    np.testing.assert_allclose(s.mean(0), [0.0, 2.0], atol=0.06)
    np.testing.assert_allclose(s.var(0), [4 / 12, 36 / 12], rtol=0.05)
    assert s.min() >= -1.0 and (s[:, 0] < 1.0).all()
    s = npy(D.Bernoulli(pe.tensor([0.1, 0.5, 0.9])).sample((n,)))
    assert set(np.unique(s)) <= {0.0, 1.0}
    np.testing.assert_allclose(s.mean(0), [0.1, 0.5, 0.9], atol=0.015)
    c = D.Categorical(pe.tensor([[0.2, 0.0, 0.8], [0.25, 0.5, 0.25]]))
    s = c.sample((n,))
    assert s.shape == (n, 2) and s.dtype == pe.int64
    freq = np.stack([(s.numpy() == k).mean(0) for k in range(3)], -1)
    np.testing.assert_allclose(freq, [[0.2, 0.0, 0.8], [0.25, 0.5, 0.25]], atol=0.015)
    A = np.array([[2.0, 0.6], [0.6, 1.0]])
    s = npy(D.MultivariateNormal(pe.tensor([1.0, 0.0]), covariance_matrix=pe.tensor(A))
            .sample((n,)))
    np.testing.assert_allclose(np.cov(s.T), A, atol=0.06)
    s = D.OneHotCategorical(pe.tensor([0.3, 0.7])).sample((n,)).numpy()
    assert (s.sum(-1) == 1).all()
    np.testing.assert_allclose(s.mean(0), [0.3, 0.7], atol=0.015)


def test_sampling_repeatable_and_detached():
    dists = [D.Normal(0.0, 1.0), D.Bernoulli(0.4), D.Categorical(pe.tensor([0.2, 0.3, 0.5])),
             D.Uniform(0.0, 2.0), D.MultivariateNormal(pe.zeros(2), scale_tril=pe.eye(2))]
    for d in dists:
        pe.manual_seed(7)
        a = d.sample((6,)).numpy()
        pe.manual_seed(7)
        b = d.sample((6,)).numpy()
        np.testing.assert_array_equal(a, b)
    loc = pe.tensor([0.0, 1.0], requires_grad=True)
    assert not D.Normal(loc, 1.0).sample().requires_grad
    assert D.Normal(loc, 1.0).rsample().requires_grad
    assert not D.Bernoulli(0.5).has_rsample and D.Normal(0.0, 1.0).has_rsample
    with pytest.raises(NotImplementedError, match="rsample"):
        D.Categorical(pe.tensor([0.5, 0.5])).rsample()


def test_reinforce_pattern():
    """pytorch/examples reinforcement_learning: sample an action, log_prob, backward."""
    pe.manual_seed(0)
    w = pe.tensor(RNG.standard_normal((4, 2)), dtype=pe.float32, requires_grad=True)
    state = pe.tensor(RNG.standard_normal((1, 4)), dtype=pe.float32)
    probs = (state @ w).softmax(-1)
    m = D.Categorical(probs)
    action = m.sample()
    assert action.shape == (1,) and action.dtype == pe.int64
    loss = (-m.log_prob(action) * 2.0).sum()
    loss.backward()
    p = npy(probs)[0]
    onehot = np.eye(2)[int(action.item())]
    np.testing.assert_allclose(npy(w.grad), -2.0 * np.outer(npy(state)[0], onehot - p),
                               rtol=1e-5, atol=1e-6)


def test_shapes_expand_and_repr():
    d = D.Normal(pe.zeros(3), 1.0)
    assert d.sample((2, 5)).shape == (2, 5, 3) and d.sample_n(4).shape == (4, 3)
    e = d.expand((4, 3))
    assert e.batch_shape == (4, 3) and e.log_prob(pe.zeros(4, 3)).shape == (4, 3)
    assert D.Categorical(pe.ones(2, 4)).expand((5, 2)).sample().shape == (5, 2)
    assert D.Independent(D.Normal(pe.zeros(2, 3), 1.0), 1).expand((4, 2)).batch_shape == (4, 2)
    assert repr(D.Normal(0.0, 1.0)) == "Normal(loc: 0.0, scale: 1.0)"
    assert repr(D.Bernoulli(logits=pe.zeros(3))) == "Bernoulli(logits: shape (3,))"
    assert D.Normal(0.0, 1.0).log_prob(0.5).dtype == pe.float32
    assert D.Normal(pe.zeros(2, dtype=pe.float64), 1.0).mean.dtype == pe.float64
    assert D.Normal(np.zeros(2), np.ones(2)).mean.dtype == pe.float64  # NumPy keeps float64
    np.testing.assert_array_equal(D.Bernoulli(pe.tensor([0.3, 0.6])).enumerate_support().numpy(),
                                  [[0, 0], [1, 1]])
    assert D.Categorical(pe.ones(2, 3)).enumerate_support().shape == (3, 2)


# --- argument errors ----------------------------------------------------------------------

@pytest.mark.parametrize("make, match", [
    (lambda: D.Normal(0.0, -1.0), r"\[Normal\] scale must be positive"),
    (lambda: D.Normal(float("nan"), 1.0), r"\[Normal\] loc"),
    (lambda: D.Normal(pe.zeros(2), pe.ones(3)), r"\[Normal\] parameter shapes do not broadcast"),
    (lambda: D.Bernoulli(1.5), r"\[Bernoulli\] probs must be in \[0.0, 1.0\]"),
    (lambda: D.Bernoulli(), r"\[Bernoulli\] give exactly one of probs or logits"),
    (lambda: D.Bernoulli(0.5, 0.0), r"\[Bernoulli\] give exactly one"),
    (lambda: D.Categorical(pe.tensor([0.5, -0.1])), r"\[Categorical\] probs must be non-neg"),
    (lambda: D.Categorical(pe.tensor(0.5)), r"\[Categorical\] probs must have at least one"),
    (lambda: D.Uniform(1.0, 0.0), r"\[Uniform\] low must be less than high"),
    (lambda: D.Independent(D.Normal(0.0, 1.0), 1), r"\[Independent\] reinterpreted_batch"),
    (lambda: D.MultivariateNormal(pe.zeros(2), pe.tensor([[1.0, 2.0], [2.0, 1.0]])),
     r"\[MultivariateNormal\] covariance_matrix must be symmetric positive definite"),
    (lambda: D.MultivariateNormal(pe.zeros(2), scale_tril=pe.tensor([[1.0, 1.0], [0.0, 1.0]])),
     r"\[MultivariateNormal\] scale_tril must be lower triangular"),
    (lambda: D.MultivariateNormal(pe.zeros(2)), r"give exactly one of covariance_matrix"),
    (lambda: D.MultivariateNormal(pe.zeros(3), pe.eye(2)), r"must be square .* k = "),
    (lambda: D.Bernoulli(0.5).log_prob(pe.tensor(0.5)), r"\[Bernoulli.log_prob\] value must "
                                                         r"be within the support"),
    (lambda: D.Categorical(pe.ones(3)).log_prob(pe.tensor(3)), r"\[Categorical.log_prob\]"),
    (lambda: D.Uniform(0.0, 1.0).log_prob(pe.tensor(2.0)), r"\[Uniform.log_prob\] value"),
    (lambda: D.Normal(pe.zeros(3), 1.0).log_prob(pe.zeros(2)), r"does not broadcast"),
    (lambda: D.Normal(0.0, 1.0).sample((-1,)), r"sample_shape must be non-negative"),
])
def test_bad_arguments_raise(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_validate_args_off():
    d = D.Normal(0.0, -1.0, validate_args=False)      # allowed, as in PyTorch
    assert d.scale.item() == -1.0
    assert D.Uniform(0.0, 1.0, validate_args=False).log_prob(pe.tensor(2.0)).item() == -math.inf
    D.Distribution.set_default_validate_args(False)
    try:
        D.Bernoulli(2.0)
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        D.Bernoulli(2.0)
