"""csrc/rbm kernels (through backend.cpu): the CD-k / PCD update and the layer pass against a
NumPy float64 reference written here, on every ISA path and for 1 vs 2 threads."""
import numpy as np
import pytest

from pyengine import _C
from pyengine.backend import cpu as backend


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def uniforms(n, seed, stream):
    return backend.rbm_uniform(n, np.float64, seed, stream)




def reference_cd(v, W, bh, bv, vel, chain, k, visible, lr, mom, wd, target, cost, seed, stream):
    """The CD-k / PCD update of rbm.h in float64 NumPy; returns new (W, bh, bv, vel, chain, err)."""
    b, nv = v.shape
    nh = W.shape[0]
    vW, vh, vv = (x.copy() for x in vel)
    h_pos = sigmoid(v @ W.T + bh)
    if chain is None:
        h_chain = (uniforms(b * nh, seed, stream).reshape(b, nh) < h_pos).astype(float)
    else:
        h_chain = chain.copy()
    bc = h_chain.shape[0]
    for s in range(k):
        pre = h_chain @ W + bv
        if visible == "bernoulli":
            v_mean = sigmoid(pre)
            v_drive = (uniforms(bc * nv, seed, stream + 1 + 2 * s).reshape(bc, nv) < v_mean) * 1.0
        else:
            v_mean = v_drive = pre
        h_neg = sigmoid(v_drive @ W.T + bh)
        if s + 1 < k or chain is not None:
            u = uniforms(bc * nh, seed, stream + 2 + 2 * s).reshape(bc, nh)
            h_chain = (u < h_neg).astype(float)
    q = h_pos.mean(0)
    shift = cost * (target - q)
    G = h_pos.T @ v / b - h_neg.T @ v_drive / bc + shift[:, None] * v.mean(0)[None, :]
    vW = mom * vW + lr * (G - wd * W)
    vh = mom * vh + lr * (h_pos.mean(0) - h_neg.mean(0) + shift)
    vv = mom * vv + lr * (v.mean(0) - v_drive.mean(0))
    err = float(((v - v_mean) ** 2).sum()) if chain is None else 0.0
    return W + vW, bh + vh, bv + vv, (vW, vh, vv), (h_chain if chain is not None else None), err


def make_problem(b, nv, nh, dtype, seed=0, binary=True):
    rng = np.random.default_rng(seed)
    v = (rng.random((b, nv)) < 0.4).astype(dtype) if binary else rng.normal(size=(b, nv))
    W = rng.normal(0, 0.3, (nh, nv))
    bh, bv = rng.normal(0, 0.1, nh), rng.normal(0, 0.1, nv)
    vel = (rng.normal(0, 0.01, (nh, nv)), rng.normal(0, 0.01, nh), rng.normal(0, 0.01, nv))
    return [np.ascontiguousarray(x, dtype) for x in (v, W, bh, bv)], \
        [np.ascontiguousarray(x, dtype) for x in vel]


def run_kernel(v, W, bh, bv, vel, chain, k, visible, hyper, seed, stream):
    W, bh, bv = W.copy(), bh.copy(), bv.copy()
    vel = [x.copy() for x in vel]
    chain = None if chain is None else chain.copy()
    err = backend.rbm_cd_step(v, W, bh, bv, *vel, chain, k, visible, *hyper, seed, stream)
    return W, bh, bv, vel, chain, err


HYPER = (0.05, 0.5, 0.01, 0.2, 0.3)  # lr, momentum, weight decay, sparsity target, sparsity cost


@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("persistent", [False, True])
@pytest.mark.parametrize("visible", ["bernoulli", "gaussian"])
def test_cd_update_matches_float64_reference(isa, k, persistent, visible):
    (v, W, bh, bv), vel = make_problem(7, 13, 5, np.float64, binary=visible == "bernoulli")
    chain = ((np.random.default_rng(1).random((4, 5)) < 0.5) * 1.0) if persistent else None
    got = run_kernel(v, W, bh, bv, vel, chain, k, visible, HYPER, 42, 1000)
    want = reference_cd(v, W, bh, bv, vel, chain, k, visible, *HYPER, 42, 1000)
    for g, w in zip(got[:3], want[:3]):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)
    for g, w in zip(got[3], want[3]):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)
    if persistent:
        np.testing.assert_array_equal(got[4], want[4])
    assert got[5] == pytest.approx(want[5], rel=1e-10)


def test_cd1_float32_close_to_float64_reference(isa):
    # float32 sigmoid differs from float64 in the last bits, so a sample can flip where u ~ p:
    # compare with a low-noise problem (tiny weights, means far from the uniforms is not
    # guaranteed), allowing a handful of flipped samples to move W by at most lr / b each.
    (v, W, bh, bv), vel = make_problem(16, 20, 12, np.float32)
    got = run_kernel(v, W, bh, bv, vel, None, 1, "bernoulli", HYPER, 7, 0)
    want = reference_cd(*(x.astype(np.float64) for x in (v, W, bh, bv)),
                        [x.astype(np.float64) for x in vel], None, 1, "bernoulli", *HYPER, 7, 0)
    assert np.mean(np.abs(got[0] - want[0]) < 1e-5) > 0.95
    assert np.abs(got[0] - want[0]).max() < 3 * HYPER[0]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("unit", ["bernoulli", "gaussian"])
def test_layer_means_and_samples(isa, dtype, unit):
    rng = np.random.default_rng(3)
    x = rng.random((300, 70)).astype(dtype)
    W = rng.normal(0, 0.2, (150, 70)).astype(dtype)
    b = rng.normal(0, 0.2, 150).astype(dtype)
    mean, sample = backend.rbm_layer(x, W, True, b, unit, 5, 9, want_sample=True)
    pre = x.astype(np.float64) @ W.T.astype(np.float64) + b
    want = sigmoid(pre) if unit == "bernoulli" else pre
    tol = 1e-10 if dtype == np.float64 else 2e-5
    np.testing.assert_allclose(mean, want, rtol=tol, atol=tol)
    if unit == "bernoulli":
        u = backend.rbm_uniform(mean.size, dtype, 5, 9).reshape(mean.shape)
        np.testing.assert_array_equal(sample, (u < mean).astype(dtype))
    else:
        noise = (sample - mean).astype(np.float64).ravel()
        assert abs(noise.mean()) < 0.02 and abs(noise.std() - 1) < 0.02
    # the other orientation: W (n_in, n_out)
    mean2 = backend.rbm_layer(x, np.ascontiguousarray(W.T), False, b, unit)[0]
    np.testing.assert_allclose(mean2, want, rtol=tol, atol=tol)


def test_uniform_stream_is_uniform_and_seeded():
    a = backend.rbm_uniform(100000, np.float32, 1, 0)
    assert 0 <= a.min() and a.max() < 1 and abs(a.mean() - 0.5) < 0.01
    np.testing.assert_array_equal(a, backend.rbm_uniform(100000, np.float32, 1, 0))
    assert not np.array_equal(a, backend.rbm_uniform(100000, np.float32, 2, 0))
    assert not np.array_equal(a, backend.rbm_uniform(100000, np.float32, 1, 1))


@pytest.mark.parametrize("persistent", [False, True])
def test_one_and_two_threads_bitwise(threads, persistent):
    # big enough that the kernel forms a team (several output blocks, > 2 MFLOP)
    (v, W, bh, bv), vel = make_problem(300, 200, 300, np.float32)
    chain = np.zeros((300, 300), np.float32) if persistent else None
    results = []
    for n in (1, 2):
        threads(n)
        r = run_kernel(v, W, bh, bv, vel, chain, 2, "bernoulli", HYPER, 11, 5)
        r2 = backend.rbm_layer(v, W, True, bh, "bernoulli", 3, 4, want_sample=True)
        results.append(list(r[:3]) + list(r[3]) + ([r[4]] if persistent else []) + list(r2))
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_tiny_means_are_flushed_to_zero():
    x = np.ones((2, 1), np.float32)
    W = np.full((3, 1), -95.0, np.float32)  # sigmoid(-95) ~ 5e-42: a float32 denormal
    mean = backend.rbm_layer(x, W, True, np.zeros(3, np.float32), "bernoulli")[0]
    assert (mean == 0).all()


def test_kernel_argument_errors():
    (v, W, bh, bv), vel = make_problem(4, 6, 3, np.float32)
    with pytest.raises(ValueError, match=r"\[rbm_cd_step\] v has 5 features"):
        backend.rbm_cd_step(v[:, :5].copy(), W, bh, bv, *vel, None, 1, "bernoulli", *HYPER, 0, 0)
    with pytest.raises(ValueError, match=r"k must be >= 1"):
        backend.rbm_cd_step(v, W, bh, bv, *vel, None, 0, "bernoulli", *HYPER, 0, 0)
    with pytest.raises(ValueError, match=r"unknown unit type 'poisson'"):
        backend.rbm_cd_step(v, W, bh, bv, *vel, None, 1, "poisson", *HYPER, 0, 0)
    with pytest.raises(ValueError, match=r"overlaps"):
        backend.rbm_cd_step(v, W, bh, bv, W, vel[1], vel[2], None, 1, "bernoulli", *HYPER, 0, 0)
    with pytest.raises(TypeError, match=r"float32"):
        backend.rbm_cd_step(v.astype(np.float64), W, bh, bv, *vel, None, 1, "bernoulli", *HYPER,
                            0, 0)
    with pytest.raises(ValueError, match=r"\[rbm_layer\] x has 6 features but w expects 5"):
        _C.rbm_layer(v, np.zeros((3, 5), np.float32), True, bh, np.empty((4, 3), np.float32),
                     None, "bernoulli", 0, 0)
    with pytest.raises(ValueError, match=r"chain has shape"):
        backend.rbm_cd_step(v, W, bh, bv, *vel, np.zeros((2, 4), np.float32), 1, "bernoulli",
                            *HYPER, 0, 0)


def test_flush_to_zero_is_restored_after_the_kernel(threads):
    # The kernel sets FTZ/DAZ on its threads; the calling thread (which takes part) must get its
    # floating-point mode back: NumPy arithmetic on a denormal afterwards still yields one.
    threads(1)
    (v, W, bh, bv), vel = make_problem(4, 6, 3, np.float32)
    backend.rbm_cd_step(v, W, bh, bv, *vel, None, 1, "bernoulli", *HYPER, 0, 0)
    backend.rbm_layer(v, W, True, bh, "bernoulli")
    tiny = np.array([1e-39], np.float32)  # a float32 denormal
    assert (tiny * np.float32(1.0))[0] != 0 and (tiny + tiny)[0] == np.float32(2e-39)


@pytest.mark.parametrize("persistent", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_epoch_call_equals_one_call_per_batch(persistent, dtype):
    # rbm_cd_epoch is a loop of rbm_cd_step in C++: bitwise the same weights, velocities, chains
    # and summed error as the batches one by one, with batch b on streams stream + b * (2k + 2).
    (x, W, bh, bv), vel = make_problem(23, 9, 6, dtype)
    bounds = np.array([0, 5, 10, 16, 23], np.int64)
    k, seed, stream = 2, 3, 40
    chain = np.zeros((5, 6), dtype) if persistent else None
    a = [W.copy(), bh.copy(), bv.copy()] + [t.copy() for t in vel]
    ca = None if chain is None else chain.copy()
    err_a = 0.0
    for b in range(len(bounds) - 1):
        err_a += backend.rbm_cd_step(x[bounds[b]:bounds[b + 1]], *a, ca, k, "bernoulli", *HYPER,
                                     seed, stream + b * (2 * k + 2))
    e = [W.copy(), bh.copy(), bv.copy()] + [t.copy() for t in vel]
    ce = None if chain is None else chain.copy()
    err_e = backend.rbm_cd_epoch(x, bounds, *e, ce, k, "bernoulli", *HYPER, seed, stream)
    for p, q in zip(a, e):
        np.testing.assert_array_equal(p, q)
    if persistent:
        np.testing.assert_array_equal(ca, ce)
    assert err_a == err_e and (persistent or err_e > 0)


def test_epoch_call_checks_its_bounds():
    (x, W, bh, bv), vel = make_problem(10, 6, 3, np.float32)
    for bounds, msg in [([0, 5, 9], r"from 0 to 10, got 0 \.\. 9"), ([1, 10], "from 0 to 10"),
                        ([0, 5, 5, 10], r"strictly increasing \(empty batch 1\)"),
                        ([0], "at least 2 entries")]:
        with pytest.raises(ValueError, match=r"\[rbm_cd_epoch\] .*" + msg):
            backend.rbm_cd_epoch(x, np.array(bounds, np.int64), W, bh, bv, *vel, None, 1,
                                 "bernoulli", *HYPER, 0, 0)
    with pytest.raises(ValueError, match=r"\[rbm_cd_epoch\] bounds must be a C-contiguous int64"):
        _C.rbm_cd_epoch(x, np.array([0, 10], np.int32), W, bh, bv, *vel, None, 1, "bernoulli",
                        *HYPER, 0, 0)
