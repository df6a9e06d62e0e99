"""CTC (pyengine/ops/ctc.py, nn/functional_ctc.py, keras/ctc.py): the loss against a brute-force
sum over every alignment (NumPy float64), against PyTorch's F.ctc_loss when installed (values
and the logits' gradients, every reduction, padded and concatenated targets, zero_infinity),
gradcheck, argument errors; Keras' ctc_batch_cost / ops.ctc_loss / ctc_decode, and a Keras
model trained through a CTC loss layer (keras-io's captcha OCR pattern)."""
import itertools

import numpy as np
import pytest

import pyengine as pe
import pyengine.nn.functional as F
from pyengine import keras
from pyengine.testing import gradcheck

try:
    import torch
except ImportError:
    torch = None

RNG = np.random.default_rng(0)


def brute_nll(lp, target, t_len, blank):
    """-log of the summed probability of every length-t_len path that collapses to target."""
    total = -np.inf
    for path in itertools.product(range(lp.shape[1]), repeat=t_len):
        out, prev = [], None
        for p in path:
            if p != prev and p != blank:
                out.append(p)
            prev = p
        if out == list(target):
            total = np.logaddexp(total, sum(lp[i, p] for i, p in enumerate(path)))
    return -total


def log_softmax(x, axis=-1):
    return x - np.log(np.exp(x - x.max(axis, keepdims=True)).sum(axis, keepdims=True)) - \
        x.max(axis, keepdims=True)


CASE = dict(T=6, C=4, targets=np.array([[1, 2, 2], [3, 1, 0], [2, 0, 0], [0, 0, 0]]),
            target_lengths=np.array([3, 2, 1, 0]), input_lengths=np.array([6, 5, 4, 3]))


@pytest.mark.parametrize("blank", [0, 3])
def test_loss_matches_the_sum_over_alignments(blank):
    T, C, N = CASE["T"], CASE["C"], 4
    x = RNG.standard_normal((T, N, C))
    lp = log_softmax(x)
    tg = CASE["targets"].copy()
    if blank == 3:
        tg = np.where(tg == 3, 0, tg)  # labels must avoid the blank
    tl, il = CASE["target_lengths"], CASE["input_lengths"]
    got = F.ctc_loss(pe.tensor(lp), pe.tensor(tg), il, tl, blank=blank, reduction="none")
    want = [brute_nll(lp[:, n], tg[n, :tl[n]], il[n], blank) for n in range(N)]
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-10)


def test_gradcheck_on_log_probs():
    lp = pe.tensor(log_softmax(RNG.standard_normal((5, 3, 4))), requires_grad=True)
    tg, tl, il = pe.tensor([[1, 1], [2, 3], [3, 0]]), [2, 2, 1], [5, 4, 3]
    for red in ("none", "mean", "sum"):
        assert gradcheck(lambda a: F.ctc_loss(a, tg, il, tl, reduction=red), [lp])


@pytest.mark.skipif(torch is None, reason="PyTorch not installed")
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("concatenated", [False, True])
def test_matches_torch(reduction, concatenated):
    T, N, C = 12, 3, 6
    x = RNG.standard_normal((T, N, C))
    tl = np.array([4, 2, 3])
    il = np.array([12, 9, 2])  # the last cannot align 3 labels in 2 steps: inf, zeroed below
    tg = RNG.integers(1, C, (N, 4))
    targets = np.concatenate([tg[i, :tl[i]] for i in range(N)]) if concatenated else tg
    for zero_inf in (True, False):
        mine = pe.tensor(x, requires_grad=True)
        ref = torch.tensor(x, requires_grad=True)
        a = F.ctc_loss(F.log_softmax(mine, dim=2), pe.tensor(targets), il, tl,
                       reduction=reduction, zero_infinity=zero_inf)
        b = torch.nn.functional.ctc_loss(torch.log_softmax(ref, 2), torch.tensor(targets),
                                         torch.tensor(il), torch.tensor(tl),
                                         reduction=reduction, zero_infinity=zero_inf)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10)
        if zero_inf:
            a.sum().backward()
            b.sum().backward()
            np.testing.assert_allclose(mine.grad.numpy(), ref.grad.numpy(), atol=1e-12)


def test_module_unbatched_float32_and_errors():
    lp = pe.tensor(log_softmax(RNG.standard_normal((7, 5))).astype(np.float32))
    loss = pe.nn.CTCLoss(blank=4, reduction="none")(lp, pe.tensor([1, 2, 1]), [7], [3])
    assert loss.shape == () and loss.dtype == pe.float32 and float(loss) > 0
    lp3 = pe.tensor(log_softmax(RNG.standard_normal((4, 2, 3))))
    with pytest.raises(ValueError, match=r"\[ctc_loss\] target labels must be .* not the blank"):
        F.ctc_loss(lp3, pe.tensor([[0, 1], [1, 2]]), [4, 4], [2, 2])
    with pytest.raises(ValueError, match=r"\[ctc_loss\] input_lengths must be in \[1, 4\]"):
        F.ctc_loss(lp3, pe.tensor([[1, 1], [1, 2]]), [5, 4], [2, 2])
    with pytest.raises(ValueError, match=r"concatenated targets must have"):
        F.ctc_loss(lp3, pe.tensor([1, 2, 1]), [4, 4], [2, 2])
    with pytest.raises(ValueError, match=r"\[ctc_loss\] blank"):
        F.ctc_loss(lp3, pe.tensor([[1], [1]]), [4, 4], [1, 1], blank=3)
    with pytest.raises(ValueError, match=r"need 2 entries"):
        F.ctc_loss(lp3, pe.tensor([[1], [1]]), [4], [1, 1])


def test_keras_batch_cost_ops_loss_and_decode():
    probs = RNG.dirichlet(np.ones(5), size=(2, 7)).astype(np.float32)
    y = np.array([[1, 2, 3], [2, 2, 0]])
    cost = keras.backend.ctc_batch_cost(y, probs, np.array([[7], [6]]), np.array([[3], [2]]))
    lp = log_softmax(np.log(probs.astype(np.float64) + 1e-7)).transpose(1, 0, 2)
    want = [brute_nll(lp[:, 0], [1, 2, 3], 7, 4), brute_nll(lp[:, 1], [2, 2], 6, 4)]
    assert cost.shape == (2, 1)
    np.testing.assert_allclose(cost.numpy()[:, 0], want, rtol=1e-5)
    logits = RNG.standard_normal((2, 6, 4)).astype(np.float32)
    per = keras.ops.ctc_loss(np.array([[1, 3], [2, 0]]), logits, np.array([2, 1]),
                             np.array([6, 5]), mask_index=0)
    lp2 = log_softmax(logits.astype(np.float64)).transpose(1, 0, 2)
    np.testing.assert_allclose(per.numpy(), [brute_nll(lp2[:, 0], [1, 3], 6, 0),
                                             brute_nll(lp2[:, 1], [2], 5, 0)], rtol=1e-5)
    # best path a a - b b - with blank 3 at '-', second sample cut to 3 steps
    best = np.array([[0, 0, 3, 1, 1, 3], [2, 3, 2, 2, 2, 2]])
    p = np.full((2, 6, 4), 0.02, np.float32)
    np.put_along_axis(p, best[..., None], 0.94, -1)
    dec, logp = keras.backend.ctc_decode(p, np.array([6, 3]))
    np.testing.assert_array_equal(dec[0].numpy(), [[0, 1], [2, 2]])
    np.testing.assert_allclose(logp.numpy()[:, 0], [-6 * np.log(0.94 + 1e-7),
                                                   -3 * np.log(0.94 + 1e-7)], rtol=1e-5)
    dec3, scores = keras.ops.ctc_decode(np.log(p), np.array([6, 3]), mask_index=3)
    assert dec3.shape == (1, 2, 6)
    np.testing.assert_array_equal(dec3.numpy()[0, :, :2], [[0, 1], [2, 2]])
    assert (dec3.numpy()[0, :, 2:] == -1).all()
    with pytest.raises(ValueError, match="greedy"):
        keras.ops.ctc_decode(np.log(p), np.array([6, 3]), strategy="beam_search")


def test_keras_model_trains_through_a_ctc_loss_layer():
    """keras-io's captcha OCR shape: a layer that add_loss()es ctc_batch_cost and returns the
    predictions; fit with the labels as a second input and no compiled loss."""
    class CTCLayer(keras.layers.Layer):
        def call(self, y_true, y_pred):
            n = pe.shape(y_pred)[0]
            input_length = np.full((n, 1), y_pred.shape[1], np.int64)
            label_length = np.full((n, 1), y_true.shape[1], np.int64)
            self.add_loss(pe.reduce_mean(keras.backend.ctc_batch_cost(
                y_true, y_pred, input_length, label_length)))
            return y_pred

    pe.manual_seed(0)
    steps, classes = 8, 4  # labels 0..2, blank 3
    x_in = keras.Input((steps, 3), name="image")
    labels = keras.Input((2,), name="label", dtype="float32")
    h = keras.layers.Dense(16, activation="relu")(x_in)
    out = keras.layers.Dense(classes, activation="softmax")(h)
    model = keras.Model([x_in, labels], CTCLayer()(labels, out))
    model.compile(keras.optimizers.Adam(0.05))
    x = RNG.standard_normal((32, steps, 3)).astype(np.float32)
    y = np.stack([x[:, 0, :2].argmax(1), x[:, -1, :2].argmax(1)], 1).astype(np.float32)
    hist = model.fit({"image": x, "label": y}, epochs=15, batch_size=8, verbose=0)
    assert hist.history["loss"][-1] < 0.6 * hist.history["loss"][0]
