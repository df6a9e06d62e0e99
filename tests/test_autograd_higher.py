"""Higher-order gradients (pyengine/autograd_higher.py): create_graph=True in autograd.grad and
backward, nested GradientTapes. Every rule through gradgradcheck (second derivatives against
finite differences of the first, float64), the convolutions and layer norm (composite rules)
also against PyTorch's double backward when it is installed, the WGAN-GP gradient penalty in
both faces, and autograd.grad's contract (no .grad touched, allow_unused)."""
import numpy as np
import pytest

import pyengine as pe
import pyengine.nn.functional as F
from pyengine.testing import gradgradcheck

try:
    import torch
except ImportError:  # the cross-checks against PyTorch are skipped
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")
RNG = np.random.default_rng(0)


def t64(*shape, positive=False, scale=1.0):
    a = RNG.standard_normal(shape) * scale
    if positive:
        a = np.abs(a) + 0.5
    return pe.tensor(a, dtype=pe.float64, requires_grad=True)


OPS = {
    "mul_div_broadcast": (lambda a, b: a * b / (b * b + 1.0) - a / b, [(3, 4), (4,)], True),
    "pow_scalar": (lambda a: a ** 3 + a ** 0.5, [(5,)], True),
    "pow_tensor": (lambda a, b: a ** b, [(4,), (4,)], True),
    "exp_log_log1p_sqrt": (lambda a: a.exp() * a.log() + pe.log1p(a) * a.sqrt(), [(6,)], True),
    "sin_cos_abs": (lambda a: a.sin() * a.cos() + a.abs() * a, [(6,)], False),
    "tanh_sigmoid": (lambda a: pe.tanh(a) * pe.sigmoid(a * 2.0), [(2, 5)], False),
    "relu_leaky_elu": (lambda a: F.relu(a) * a + F.leaky_relu(a, 0.2) * a + F.elu(a) * a,
                       [(7,)], False),
    "softplus": (lambda a: F.softplus(a) * a, [(6,)], False),
    "gelu_erf": (lambda a: F.gelu(a) * a + pe.erf(a) * a, [(6,)], False),
    "embedding": (lambda w: (F.embedding(pe.tensor([[1, 3], [1, 0]]), w) ** 2).sum(-1) * w[0, 0],
                  [(4, 3)], False),
    "softmax_log_softmax": (lambda a: F.softmax(a, dim=1) * a + F.log_softmax(a, dim=0),
                            [(3, 4)], False),
    "sum_mean_axes": (lambda a: (a.sum(dim=1) ** 2).sum() + (a.mean(dim=0, keepdim=True) ** 3)
                      .sum() + a.mean() ** 2, [(3, 4)], False),
    "max_min_clamp": (lambda a, b: pe.maximum(a, b) * pe.minimum(a, b) * a.clamp(-0.5, 0.5),
                      [(6,), (6,)], False),
    "where": (lambda a, b: pe.where(a > 0, a * b, b * b), [(6,), (6,)], False),
    "matmul_2d_batched_1d": (lambda a, b, v: ((a @ b) ** 2).sum() + ((a @ v) ** 2).sum(),
                             [(2, 3, 4), (4, 5), (4,)], False),
    "shapes": (lambda a: pe.cat([a.reshape(4, 3), a.permute(1, 0)[:3] ** 2], 0).sum(0) ** 2
               + pe.stack([a[0], a[1] * a[2]], 1).sum(), [(3, 4)], False),
    "index_advanced": (lambda a: (a[[0, 2, 0]] ** 2).sum() * a[1, 1:3].sum(), [(3, 4)], False),
    "expand_pad": (lambda a: (F.pad(a, (1, 2)) ** 2 * a.expand(2, 3, 4).sum(0).mean()).sum(),
                   [(3, 4)], False),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_second_derivatives_match_finite_differences(name):
    fn, shapes, positive = OPS[name]
    assert gradgradcheck(fn, [t64(*s, positive=positive) for s in shapes])


@pytest.mark.parametrize("act", [None, "relu", "sigmoid", "tanh"])
def test_linear_with_fused_activation(act):
    x, w, b = t64(4, 3), t64(5, 3), t64(5)
    assert gradgradcheck(lambda x_, w_, b_: F.linear(x_, w_, b_, activation=act) * x_.sum(),
                         [x, w, b])


@pytest.mark.parametrize("stride, padding, dilation, groups", [
    (1, 1, 1, 1), (2, 1, 1, 1), (2, 0, 1, 2), (1, 2, 2, 1)])
def test_conv2d_nchw_second_derivatives(stride, padding, dilation, groups):
    x, w, b = t64(2, 4, 6, 6), t64(4, 4 // groups, 3, 3, scale=0.5), t64(4)
    assert gradgradcheck(lambda x_, w_, b_: F.leaky_relu(F.conv2d(
        x_, w_, b_, stride=stride, padding=padding, dilation=dilation, groups=groups), 0.2)
        ** 2, [x, w, b], atol=1e-4)


def test_conv2d_nhwc_same_padding_and_fused_activation():
    x, w, b = t64(2, 5, 5, 2), t64(2, 2, 2, 3, scale=0.5), t64(3)
    assert gradgradcheck(lambda x_, w_, b_: F.conv2d_nhwc(
        x_, w_, b_, stride=2, padding="same", activation="elu") ** 2, [x, w, b], atol=1e-4)


@pytest.mark.parametrize("name", ["max", "avg", "adaptive", "max_nhwc", "avg_nhwc"])
def test_pooling(name):
    """Pooling's backward is linear in the gradient (its routing fixed by the forward), so the
    second derivative flows through the first's routing (LinearMap)."""
    fns = {
        "max": lambda a: F.max_pool2d(a * a, 2, stride=1, padding=1) * a.sum(),
        "avg": lambda a: F.avg_pool2d(a * a, 3, stride=2, padding=1) * a.mean(),
        "adaptive": lambda a: F.adaptive_avg_pool2d(a * a, 2) * a.sum(),
        "max_nhwc": lambda a: F.max_pool2d_nhwc(a * a, 2) * a.sum(),
        "avg_nhwc": lambda a: F.avg_pool2d_nhwc(a * a, 2, 1, "same") * a.sum(),
    }
    assert gradgradcheck(fns[name], [t64(2, 3, 5, 5)])


def test_layer_norm_and_dropout():
    x, g, b = t64(3, 5), t64(5), t64(5)
    assert gradgradcheck(lambda x_, g_, b_: F.layer_norm(x_, (5,), g_, b_) * x_, [x, g, b])

    def dropped(x_):
        pe.manual_seed(3)  # the same mask on every evaluation
        return F.dropout(x_, 0.4, training=True) ** 3
    assert gradgradcheck(dropped, [t64(4, 4)])


@pytest.mark.parametrize("training", [True, False])
def test_batch_and_instance_norm(training):
    rm, rv = pe.zeros(3, dtype=pe.float64), pe.ones(3, dtype=pe.float64) * 1.5
    x, w, b = t64(4, 3, 2), t64(3), t64(3)
    assert gradgradcheck(lambda x_, w_, b_: F.batch_norm(
        x_, rm.clone(), rv.clone(), w_, b_, training=training) ** 2 * x_, [x, w, b])
    if training:
        assert gradgradcheck(lambda x_: F.instance_norm(x_) ** 3, [t64(2, 3, 5)])


def _torch_and_pe(fn_pe, fn_torch, arrays):
    """d(gradient penalty)/d(inputs) from each library (float64)."""
    out = []
    for lib, fn in (("pe", fn_pe), ("torch", fn_torch)):
        mk = (lambda a: pe.tensor(a, requires_grad=True)) if lib == "pe" else \
            (lambda a: torch.tensor(a, requires_grad=True))
        ag = pe.autograd if lib == "pe" else torch.autograd
        ts = [mk(a) for a in arrays]
        y = fn(*ts)
        gx, = ag.grad(y, [ts[0]], create_graph=True)
        gp = ((gx.reshape(gx.shape[0], -1) ** 2).sum(1).sqrt() - 1.0) ** 2
        gs = ag.grad(gp.mean(), ts, allow_unused=True)  # beta of a layer norm: unused
        out.append([None if g is None else np.asarray(g.detach().numpy()) for g in gs])
    return out


@needs_torch
def test_gradient_penalty_of_a_conv_critic_matches_torch():
    x = RNG.standard_normal((3, 2, 9, 9))
    w1, b1 = RNG.standard_normal((4, 2, 3, 3)) * 0.3, RNG.standard_normal(4)
    w2 = RNG.standard_normal((1, 4 * 5 * 5)) * 0.1
    g1, g2 = RNG.standard_normal(4 * 5 * 5), RNG.standard_normal(4 * 5 * 5)

    def critic(F_, x_, w1_, b1_, w2_, g1_, g2_):
        h = F_.leaky_relu(F_.conv2d(x_, w1_, b1_, stride=2, padding=1), 0.2).reshape(3, -1)
        return F_.linear(F_.layer_norm(h, (100,), g1_, g2_), w2_).sum()
    mine, ref = _torch_and_pe(lambda *a: critic(F, *a),
                              lambda *a: critic(torch.nn.functional, *a),
                              [x, w1, b1, w2, g1, g2])
    assert [m is None for m in mine] == [r is None for r in ref] == [False] * 5 + [True]
    for m, r in zip(mine[:5], ref[:5]):
        np.testing.assert_allclose(m, r, rtol=1e-9, atol=1e-12)


@needs_torch
def test_gradient_penalty_of_an_mlp_critic_matches_torch():
    x, w1, b1, w2 = (RNG.standard_normal(s) for s in ((6, 4), (8, 4), (8,), (1, 8)))

    def critic(lib, x_, w1_, b1_, w2_):
        F_ = F if lib == "pe" else torch.nn.functional
        h = F_.linear(x_, w1_, b1_)
        return F_.linear(F_.leaky_relu(h, 0.2) + (pe if lib == "pe" else torch).tanh(h),
                         w2_).sum()
    mine, ref = _torch_and_pe(lambda *a: critic("pe", *a), lambda *a: critic("torch", *a),
                              [x, w1, b1, w2])
    for m, r in zip(mine, ref):
        np.testing.assert_allclose(m, r, rtol=1e-9, atol=1e-12)


def test_backward_create_graph_leaves_differentiable_grads():
    x = t64(4)
    (x ** 3).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    gx = x.grad
    x.grad = None
    gx.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * x.detach().numpy())


def test_grad_touches_no_grad_attribute_and_checks_unused():
    w, x, unused = t64(3), t64(3), t64(2)
    y = (w * x).sum()
    for create in (False, True):
        gx, = pe.autograd.grad(y, [x], retain_graph=True, create_graph=create)
        np.testing.assert_allclose(gx.detach().numpy(), w.detach().numpy())
        assert w.grad is None and x.grad is None  # torch.autograd.grad leaves .grad alone
    with pytest.raises(RuntimeError, match=r"\[grad\].*allow_unused"):
        pe.autograd.grad(y, [x, unused], retain_graph=True)
    gx, gu = pe.autograd.grad(y, [x, unused], retain_graph=True, allow_unused=True)
    assert gu is None
    y.backward(inputs=[x])  # only x accumulates
    assert w.grad is None
    np.testing.assert_allclose(x.grad.numpy(), w.detach().numpy())


def test_grad_of_several_outputs_sums_them():
    x = t64(3)
    a, b = (x ** 2).sum(), (x * 3.0).sum()
    for create in (False, True):
        g, = pe.autograd.grad([a, b], [x], retain_graph=True, create_graph=create)
        np.testing.assert_allclose(g.detach().numpy(), 2 * x.detach().numpy() + 3)


def test_op_without_a_rule_is_a_clear_error():
    x = t64(1, 4, 4, 1)
    y = F.max_pool2d_nhwc(x, 3, 1, "same").sum()  # overlapping windows: no rule yet
    with pytest.raises(NotImplementedError, match=r"create_graph=True.*MaxPool2dNHWC"):
        pe.autograd.grad(y, [x], create_graph=True)


def test_nested_gradient_tapes_give_the_gradient_penalty_its_gradient():
    """keras-io's WGAN-GP pattern: the inner tape's gradient, taken inside the outer tape, is
    recorded by it; the penalty's gradient w.r.t. the critic's weights is then compared with
    the same critic written with torch (NCHW, the Keras weights transposed)."""
    keras = pe.keras
    L = keras.layers
    pe.manual_seed(0)
    critic = keras.Sequential([keras.Input((8, 8, 2)),
                               L.Conv2D(4, 3, strides=2, padding="same"), L.LeakyReLU(0.2),
                               L.Dropout(0.3), L.Flatten(), L.Dense(1)])
    real = RNG.standard_normal((3, 8, 8, 2)).astype(np.float32)
    alpha = pe.tensor(RNG.uniform(size=(3, 1, 1, 1)).astype(np.float32))
    fake = pe.tensor(RNG.standard_normal((3, 8, 8, 2)).astype(np.float32), requires_grad=True)
    with pe.GradientTape() as tape:
        interpolated = pe.tensor(real) + alpha * (fake - pe.tensor(real))
        with pe.GradientTape() as gp_tape:
            gp_tape.watch(interpolated)
            pred = critic(interpolated, training=False)
        grads = gp_tape.gradient(pred, [interpolated])[0]
        norm = pe.sqrt(pe.sum(pe.square(grads), axis=[1, 2, 3]))
        gp = pe.reduce_mean((norm - 1.0) ** 2) if hasattr(pe, "reduce_mean") else \
            ((norm - 1.0) ** 2).mean()
    weights = critic.trainable_weights
    d_w = tape.gradient(gp, weights + [fake])
    # The critic is piecewise linear: its input gradient depends on the kernels only, not on
    # the biases nor on the input itself (the leaky-relu slopes are constant pieces), so the
    # penalty's gradient w.r.t. those is unconnected: None, the tape's answer for it.
    assert [g is None for g in d_w] == [False, True, False, True, True]
    if torch is None:
        return
    k, b, dk, db = (w.numpy() for w in weights)
    xt = torch.tensor(np.asarray(interpolated.numpy()).transpose(0, 3, 1, 2),
                      requires_grad=True)
    kt = torch.tensor(k.transpose(3, 2, 0, 1), requires_grad=True)
    bt, dbt = torch.tensor(b, requires_grad=True), torch.tensor(db, requires_grad=True)
    # Keras flattens (h, w, c): put the dense kernel's rows in torch's (c, h, w) order
    dkt = torch.tensor(dk.reshape(4, 4, 4, 1).transpose(2, 0, 1, 3).reshape(64, 1),
                       requires_grad=True)
    h = torch.nn.functional.conv2d(torch.nn.functional.pad(xt, (0, 1, 0, 1)), kt, bt, stride=2)
    out = torch.nn.functional.leaky_relu(h, 0.2).reshape(3, -1) @ dkt + dbt
    gxt, = torch.autograd.grad(out.sum(), [xt], create_graph=True)
    gpt = ((gxt.reshape(3, -1).pow(2).sum(1).sqrt() - 1) ** 2).mean()
    ref = torch.autograd.grad(gpt, [kt, bt, dkt, dbt], allow_unused=True)
    np.testing.assert_allclose(float(gp), float(gpt), rtol=1e-5)
    np.testing.assert_allclose(d_w[0].numpy(), ref[0].numpy().transpose(2, 3, 1, 0),
                               rtol=2e-4, atol=1e-5)
    np.testing.assert_allclose(d_w[2].numpy(),
                               ref[2].numpy().reshape(4, 4, 4, 1).transpose(1, 2, 0, 3)
                               .reshape(64, 1), rtol=2e-4, atol=1e-5)


def test_numpy_of_a_tensor_that_requires_grad_is_a_read_only_view():
    """Keras programs read model outputs with .numpy() (keras-io's WGAN-GP GANMonitor);
    PyTorch refuses: here a read-only view, so nothing autograd saved can be overwritten."""
    w = pe.tensor(np.ones(3), requires_grad=True)
    y = w * 2.0
    a = y.numpy()
    np.testing.assert_array_equal(a, [2.0, 2.0, 2.0])
    assert not a.flags.writeable and np.shares_memory(a, y._data)
    with pytest.raises(ValueError):
        a[0] = 5.0
    assert y.detach().numpy().flags.writeable


def test_hooks_and_retain_grad_see_graph_gradients():
    x = t64(3)
    h = x * x
    h.retain_grad()
    h.register_hook(lambda g: g * 2.0)  # doubles everything that flows below h
    seen = []
    x.register_hook(lambda g: seen.append(g.requires_grad))
    (h * x).sum().backward(create_graph=True)
    xv = x.detach().numpy()
    # d/dx (h x) = x * (2 * dh) + h with dh = x, doubled by h's hook: 4 x^2 + x^2
    np.testing.assert_allclose(x.grad.detach().numpy(), 5 * xv ** 2)
    np.testing.assert_allclose(h.grad.detach().numpy(), 2 * xv)
    assert seen == [True]  # the leaf's hook ran once, on the total, a gradient with a graph
