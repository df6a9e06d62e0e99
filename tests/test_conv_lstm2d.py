"""keras.layers.ConvLSTM2D against a NumPy float64 reference written from the equations
(convolutions as explicit loops over the kernel taps), its gradients against finite
differences of that reference, and a next-frame model (ConvLSTM2D + Conv3D) that trains."""
import numpy as np
import pytest

from pyengine import keras

rng = np.random.default_rng(0)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def conv_nhwc(x, k, stride, pads, dil=(1, 1)):
    """x (N, H, W, C), k (kh, kw, C, O) -> (N, OH, OW, O), float64."""
    x = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    kh, kw = k.shape[:2]
    oh = (x.shape[1] - dil[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (x.shape[2] - dil[1] * (kw - 1) - 1) // stride[1] + 1
    y = np.zeros((x.shape[0], oh, ow, k.shape[3]))
    for i in range(kh):
        for j in range(kw):
            win = x[:, i * dil[0]:i * dil[0] + stride[0] * oh:stride[0],
                    j * dil[1]:j * dil[1] + stride[1] * ow:stride[1]]
            y += win @ k[i, j]
    return y


def same(n, k, s=1, d=1):
    total = max((-(-n // s) - 1) * s + (k - 1) * d + 1 - n, 0)
    return total // 2, total - total // 2


def ref_conv_lstm(x, kernel, rec, bias, strides, padding, backwards=False, h0=None, c0=None):
    n, t, h, w, _ = x.shape
    kh, kw = kernel.shape[:2]
    pads = ((same(h, kh, strides[0]), same(w, kw, strides[1])) if padding == "same"
            else ((0, 0), (0, 0)))
    f = rec.shape[2]
    seq, hs, cs = [], h0, c0
    for step in (range(t - 1, -1, -1) if backwards else range(t)):
        z = conv_nhwc(x[:, step], kernel, strides, pads) + bias
        if hs is None:
            hs = np.zeros(z.shape[:3] + (f,))
            cs = np.zeros_like(hs)
        z = z + conv_nhwc(hs, rec, (1, 1), (same(hs.shape[1], kh), same(hs.shape[2], kw)))
        i, fg, g, o = (z[..., q * f:(q + 1) * f] for q in range(4))
        cs = sigmoid(fg) * cs + sigmoid(i) * np.tanh(g)
        hs = sigmoid(o) * np.tanh(cs)
        seq.append(hs)
    return np.stack(seq, 1), hs, cs


@pytest.mark.parametrize("kernel_size,strides,padding,backwards",
                         [(3, 1, "same", False), ((2, 3), 1, "valid", False),
                          (3, 2, "same", True), ((3, 2), (2, 1), "valid", False)])
def test_matches_reference(kernel_size, strides, padding, backwards):
    x = rng.normal(size=(2, 4, 7, 6, 3)).astype(np.float32)
    layer = keras.layers.ConvLSTM2D(5, kernel_size, strides=strides, padding=padding,
                                    return_sequences=True, return_state=True,
                                    go_backwards=backwards, bias_initializer="random_normal")
    seq, h, c = layer(x)
    k, r, b = (v.numpy().astype(np.float64) for v in (layer.kernel, layer.recurrent_kernel,
                                                       layer.bias))
    st = (strides, strides) if isinstance(strides, int) else strides
    want = ref_conv_lstm(x.astype(np.float64), k, r, b, st, padding, backwards)
    for got, ref in zip((seq, h, c), want):
        np.testing.assert_allclose(got.numpy(), ref, rtol=1e-4, atol=1e-5)
    last = keras.layers.ConvLSTM2D(5, kernel_size, strides=strides, padding=padding,
                                   go_backwards=backwards)
    last(x)
    last.set_weights(layer.get_weights())
    np.testing.assert_allclose(last(x).numpy(), want[1], rtol=1e-4, atol=1e-5)


def test_weights_layout_and_forget_bias():
    layer = keras.layers.ConvLSTM2D(4, (3, 2))
    assert layer.name.startswith("conv_lstm2d")  # Keras' default name
    layer(np.zeros((1, 2, 5, 5, 3), np.float32))
    assert layer.kernel.shape == (3, 2, 3, 16)
    assert layer.recurrent_kernel.shape == (3, 2, 4, 16)
    np.testing.assert_array_equal(layer.bias.numpy(), [0] * 4 + [1] * 4 + [0] * 8)
    assert layer.count_params() == 3 * 2 * 3 * 16 + 3 * 2 * 4 * 16 + 16


def test_gradients_match_finite_differences_of_the_reference():
    x = rng.normal(size=(1, 3, 4, 4, 2)).astype(np.float32)
    layer = keras.layers.ConvLSTM2D(2, 3, padding="same", return_sequences=True,
                                    bias_initializer="random_normal")
    out = layer(x)
    weight = rng.normal(size=out.shape)
    (out * keras.ops.convert_to_tensor(weight.astype(np.float32))).sum().backward()
    k, r, b = (v.numpy().astype(np.float64) for v in (layer.kernel, layer.recurrent_kernel,
                                                       layer.bias))

    def loss(k_, r_, b_):
        return float((ref_conv_lstm(x.astype(np.float64), k_, r_, b_, (1, 1), "same")[0]
                      * weight).sum())

    eps = 1e-6
    for arr, var, which in ((k, layer.kernel, 0), (r, layer.recurrent_kernel, 1),
                            (b, layer.bias, 2)):
        for _ in range(4):
            idx = tuple(rng.integers(0, s) for s in arr.shape)
            plus, minus = [k.copy(), r.copy(), b.copy()], [k.copy(), r.copy(), b.copy()]
            plus[which][idx] += eps
            minus[which][idx] -= eps
            numeric = (loss(*plus) - loss(*minus)) / (2 * eps)
            assert var.grad.numpy()[idx] == pytest.approx(numeric, rel=2e-3, abs=2e-4)


def test_initial_state_and_errors():
    x = rng.normal(size=(2, 3, 5, 5, 1)).astype(np.float32)
    layer = keras.layers.ConvLSTM2D(2, 3, padding="same", return_state=True)
    _, h, c = layer(x)
    h0, c0 = rng.normal(size=(2, 2, 5, 5, 2))
    out, _, _ = layer(x, initial_state=[keras.ops.convert_to_tensor(h0.astype(np.float32)),
                                        keras.ops.convert_to_tensor(c0.astype(np.float32))])
    k, r, b = (v.numpy().astype(np.float64) for v in (layer.kernel, layer.recurrent_kernel,
                                                       layer.bias))
    want = ref_conv_lstm(x.astype(np.float64), k, r, b, (1, 1), "same", h0=h0, c0=c0)[1]
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match=r"ConvLSTM2D\] dropout is not supported"):
        keras.layers.ConvLSTM2D(2, 3, dropout=0.2)
    with pytest.raises(ValueError, match=r"ConvLSTM2D\] only data_format='channels_last'"):
        keras.layers.ConvLSTM2D(2, 3, data_format="channels_first")
    with pytest.raises(ValueError, match=r"ConvLSTM2D\] filters must be"):
        keras.layers.ConvLSTM2D(0, 3)
    with pytest.raises(ValueError, match=r"expects \(batch, time, rows, cols, channels\)"):
        keras.layers.ConvLSTM2D(2, 3)(np.zeros((2, 5, 5, 1), np.float32))


def test_next_frame_model_trains():
    """keras-io's next-frame pattern in miniature: a dot moving one pixel per frame."""
    n, t, s = 12, 5, 6
    frames = np.zeros((n, t + 1, s, s, 1), np.float32)
    for i in range(n):
        r, c0 = rng.integers(0, s), rng.integers(0, s - t)
        for step in range(t + 1):
            frames[i, step, r, c0 + step, 0] = 1.0
    x, y = frames[:, :-1], frames[:, 1:]
    inp = keras.Input(shape=(None, s, s, 1))
    h = keras.layers.ConvLSTM2D(8, 3, padding="same", return_sequences=True)(inp)
    out = keras.layers.Conv3D(1, 3, padding="same", activation="sigmoid")(h)
    model = keras.Model(inp, out)
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="binary_crossentropy")
    hist = model.fit(x, y, epochs=12, batch_size=12, verbose=0)
    assert hist.history["loss"][-1] < 0.5 * hist.history["loss"][0]
