"""Original tests of the Keras 2 API patterns used by the classic keras-team/keras `examples/`
vision and generative programs (mnist_mlp / irnn / siamese, the two VAEs, cifar10_cnn): the
Keras 2.0 `keras.utils.np_utils` module, the IRNN's identity recurrent initializer, a loss
function called on a functional graph's tensors then `add_loss`, Keras 2 backend functions,
a user loss / metric getting labels (n,) for an output (n, 1), the optimizers' Keras 2 `decay=`
and lowercase names, and `fit_generator(workers=N)` over an ImageDataGenerator flow. Tiny
sizes and synthetic data; no program text of those examples is reproduced here."""
import warnings

import numpy as np
import pytest

import pyengine as pe
from pyengine import keras
from pyengine.keras import backend as K
from pyengine.keras import layers


def test_np_utils_to_categorical_and_normalize():
    from pyengine.keras.utils import np_utils
    y = np.array([2, 0, 1, 2])
    np.testing.assert_array_equal(np_utils.to_categorical(y, 3), np.eye(3, dtype="float32")[y])
    x = np.array([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(keras.utils.normalize(x), [[0.6, 0.8], [0.0, 0.0]])
    np.testing.assert_allclose(np_utils.normalize(x, axis=0, order=1), [[1.0, 1.0], [0.0, 0.0]])


def test_identity_initializer_and_irnn_pattern():
    init = keras.initializers.Identity(gain=0.5)
    np.testing.assert_array_equal(init((3, 4)), 0.5 * np.eye(3, 4, dtype="float32"))
    with pytest.raises(ValueError, match=r"\[Identity\].*2-D"):
        init((2, 2, 3))
    assert isinstance(keras.initializers.get("identity"), keras.initializers.Identity)
    t = keras.initializers.TruncatedNormal(mean=1.0, stddev=0.1, seed=0)((2000,))
    assert np.abs(t - 1.0).max() <= 0.2 + 1e-6 and abs(t.mean() - 1.0) < 0.01
    rnn = layers.SimpleRNN(5, kernel_initializer=keras.initializers.RandomNormal(stddev=0.001),
                           recurrent_initializer=keras.initializers.Identity(gain=1.0),
                           activation="relu")
    model = keras.Sequential([keras.Input((7, 1)), rnn, layers.Dense(2)])
    kernel, recurrent, bias = rnn.get_weights()
    np.testing.assert_array_equal(recurrent, np.eye(5, dtype="float32"))
    assert kernel.std() < 0.01 and model.count_params() == 5 * (1 + 5) + 5 + 12


def test_loss_functions_on_graph_tensors_then_add_loss_trains_a_vae():
    rng = np.random.default_rng(0)
    x = (rng.random((64, 12)) < np.linspace(0.1, 0.9, 12)).astype("float32")
    inputs = keras.Input((12,))
    h = layers.Dense(16, activation="relu")(inputs)
    z_mean, z_log_var = layers.Dense(2)(h), layers.Dense(2)(h)

    def sampling(args):
        mean, log_var = args
        eps = K.random_normal(shape=(K.shape(mean)[0], K.int_shape(mean)[1]))
        return mean + K.exp(0.5 * log_var) * eps

    z = layers.Lambda(sampling)([z_mean, z_log_var])
    outputs = layers.Dense(12, activation="sigmoid")(layers.Dense(16, activation="relu")(z))
    vae = keras.Model(inputs, outputs)
    rec = keras.losses.binary_crossentropy(inputs, outputs)
    assert rec.shape == (None,)
    rec *= 12
    kl = -0.5 * K.sum(1 + z_log_var - K.square(z_mean) - K.exp(z_log_var), axis=-1)
    vae.add_loss(K.mean(rec + kl))
    vae.compile(optimizer=keras.optimizers.Adam(0.01))
    hist = vae.fit(x, epochs=15, batch_size=16, verbose=0)
    assert hist.history["loss"][-1] < 0.8 * hist.history["loss"][0]
    # the same functions on arrays give the per-sample values (a NumPy reference)
    p = np.clip(rng.random((3, 12)).astype("float32"), 1e-3, 1 - 1e-3)
    ref = -(x[:3] * np.log(p) + (1 - x[:3]) * np.log(1 - p)).mean(-1)
    np.testing.assert_allclose(keras.losses.binary_crossentropy(x[:3], p).numpy(), ref,
                               rtol=1e-5)
    np.testing.assert_allclose(keras.losses.mse(x[:3], p).numpy(), ((x[:3] - p) ** 2).mean(-1),
                               rtol=1e-6)


def test_keras2_backend_flatten_and_friends():
    a = np.arange(24, dtype="float32").reshape(2, 3, 4)
    assert K.flatten(a).shape == (24,)
    assert K.batch_flatten(a).shape == (2, 12)
    np.testing.assert_array_equal(K.permute_dimensions(a, (0, 2, 1)).numpy(), a.transpose(0, 2, 1))
    np.testing.assert_array_equal(K.equal(a, 5.0).numpy(), a == 5.0)
    inp = keras.Input((3, 4))
    assert K.flatten(inp).shape == (None,) and K.batch_flatten(inp).shape == (None, 12)
    with pytest.raises(ValueError, match=r"\[batch_flatten\]"):
        K.batch_flatten(keras.Input((None, 4)))
    # K.shape: ints on arrays; on graph tensors the run-time shape (deep_dream's scaling)
    assert K.shape(a) == (2, 3, 4) and K.ndim(a) == 3
    free = keras.Input((None, 3))
    f = K.function([free], [K.prod(K.cast(K.shape(free), "float32")), K.shape(free)[1]])
    scale, length = f([np.zeros((2, 5, 3), "float32")])
    assert scale == 30.0 and length == 5


def test_user_loss_and_metric_see_labels_at_the_outputs_rank():
    """A contrastive loss on a distance output (n, 1) with labels (n,): `y_true * d` must stay
    per sample (Keras expands the labels to (n, 1)), not broadcast to (n, n)."""
    seen = []

    def contrastive(y_true, y_pred):
        seen.append((tuple(y_true.shape), tuple(y_pred.shape)))
        return K.mean(y_true * K.square(y_pred)
                      + (1 - y_true) * K.square(K.maximum(1 - y_pred, 0)))

    def acc(y_true, y_pred):
        return K.mean(K.equal(y_true, K.cast(y_pred < 0.5, y_true.dtype)))

    rng = np.random.default_rng(1)
    a = rng.standard_normal((128, 6)).astype("float32")
    same = rng.integers(0, 2, 128)
    b = np.where(same[:, None] == 1, a + 0.05 * rng.standard_normal((128, 6)),
                 rng.standard_normal((128, 6))).astype("float32")
    base = keras.Sequential([keras.Input((6,)), layers.Dense(8, activation="relu"),
                             layers.Dense(8)])
    ia, ib = keras.Input((6,)), keras.Input((6,))
    dist = layers.Lambda(lambda v: K.sqrt(K.maximum(
        K.sum(K.square(v[0] - v[1]), axis=1, keepdims=True), K.epsilon())))([base(ia), base(ib)])
    model = keras.Model([ia, ib], dist)
    model.compile(loss=contrastive, optimizer=keras.optimizers.RMSprop(0.01), metrics=[acc])
    hist = model.fit([a, b], same, batch_size=32, epochs=12, verbose=0)
    assert seen[0] == ((32, 1), (32, 1))
    assert hist.history["loss"][-1] < 0.6 * hist.history["loss"][0]
    pred = model.predict([a, b], verbose=0).ravel() < 0.5
    np.testing.assert_allclose(hist.history["acc"][-1], 1.0, atol=0.15)
    assert np.mean(pred == same) > 0.85
    # the helper itself: a (n, 1, 1) label against (n, 1) drops the trailing axis
    yt, yp = keras.losses.same_rank(np.zeros((4, 1, 1)), np.zeros((4, 1)))
    assert yt.shape == (4, 1) and yp.shape == (4, 1)


def test_optimizer_keras2_decay_and_lowercase_names():
    """Keras 2: each update uses lr / (1 + decay * iterations); `lr` keeps the base value."""
    opt = keras.optimizers.sgd(lr=0.1, decay=0.5)
    assert isinstance(opt, keras.optimizers.SGD) and keras.optimizers.rmsprop is \
        keras.optimizers.RMSprop
    w = pe.tensor(np.zeros(2, "float32"), requires_grad=True)
    g = np.ones(2, "float32")
    expected = 0.0
    for t in range(4):
        opt.apply_gradients([(g, w)])
        expected -= 0.1 / (1 + 0.5 * t)
        np.testing.assert_allclose(w.numpy(), [expected] * 2, rtol=1e-6)
    with pytest.raises(ValueError, match=r"\[Adam\] decay"):
        keras.optimizers.Adam(decay=-1.0)
    # a dense model (the fused trainer's kind) trains through the decayed path too
    x = np.random.default_rng(0).random((32, 4)).astype("float32")
    y = x.sum(1, keepdims=True)
    m = keras.Sequential([keras.Input((4,)), layers.Dense(1)])
    m.compile(keras.optimizers.sgd(lr=0.05, decay=1e-2), "mse")
    hist = m.fit(x, y, epochs=5, batch_size=8, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    assert m.optimizer.iterations == 20


def test_fit_generator_with_workers_reads_a_sequence_in_threads():
    from pyengine.keras.preprocessing.image import ImageDataGenerator
    rng = np.random.default_rng(2)
    x = rng.random((40, 6, 6, 3)).astype("float32")
    y = keras.utils.to_categorical((x.mean((1, 2, 3)) > 0.5).astype(int), 2)

    def run(workers):
        pe.manual_seed(0)
        np.random.seed(0)  # fit_generator shuffles the batch order (shuffle=True)
        m = keras.Sequential([keras.Input((6, 6, 3)), layers.Conv2D(4, 3, activation="relu"),
                              layers.Flatten(), layers.Dense(2, activation="softmax")])
        m.compile(keras.optimizers.rmsprop(lr=0.01, decay=1e-4), "categorical_crossentropy",
                  metrics=["accuracy"])
        flow = ImageDataGenerator().flow(x, y, batch_size=8, shuffle=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return m.fit_generator(flow, epochs=3, workers=workers, verbose=0,
                                   validation_data=(x, y)).history["loss"]

    one, four = run(1), run(4)
    np.testing.assert_allclose(four, one, rtol=1e-6)  # same batches, in the same order
    assert four[-1] < four[0]
    gen = (b for b in [(x[:8], y[:8])] * 4)
    m = keras.Sequential([keras.Input((6, 6, 3)), layers.Flatten(), layers.Dense(2)])
    m.compile("sgd", "mse")
    with pytest.raises(ValueError, match=r"\[fit_generator\] workers=4 needs a keras.utils"):
        m.fit_generator(gen, steps_per_epoch=2, workers=4)
    with pytest.raises(ValueError, match="use_multiprocessing"):
        m.fit_generator(ImageDataGenerator().flow(x, y), use_multiprocessing=True)


def test_layer_weights_argument_sets_the_first_weights_net2deeper():
    """Keras 2's `Conv2D(..., weights=[kernel, bias])`: an identity conv and an identity Dense
    inserted after trained layers leave the (ReLU) network's function unchanged."""
    rng = np.random.default_rng(4)
    x = rng.random((5, 6, 6, 2)).astype("float32")
    k = np.zeros((3, 3, 4, 4), "float32")
    for i in range(4):
        k[1, 1, i, i] = 1.0
    base = [layers.Conv2D(4, 3, padding="same", activation="relu", name="c1"),
            layers.Flatten(name="f"), layers.Dense(8, activation="relu", name="d1")]
    teacher = keras.Sequential([keras.Input((6, 6, 2))] + base)
    deeper = keras.Sequential([
        keras.Input((6, 6, 2)), layers.Conv2D(4, 3, padding="same", activation="relu", name="c1"),
        layers.Conv2D(4, 3, padding="same", activation="relu", weights=[k, np.zeros(4)]),
        layers.Flatten(name="f"), layers.Dense(8, activation="relu", name="d1"),
        layers.Dense(8, kernel_initializer="identity", activation="relu")])
    for name in ("c1", "d1"):
        deeper.get_layer(name).set_weights(teacher.get_layer(name).get_weights())
    np.testing.assert_allclose(deeper.predict(x, verbose=0), teacher.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)
    assert "weights" not in deeper.layers[1].get_config()["kwargs"]
    with pytest.raises(ValueError, match=r"kernel has shape \(3, 3, 2, 4\), received"):
        keras.Sequential([keras.Input((6, 6, 2)), layers.Conv2D(4, 3, weights=[k, np.zeros(4)])])
    with pytest.raises(TypeError, match=r"\[Dense\] weights must be a list"):
        layers.Dense(2, weights=np.ones((2, 2)))


def test_keras2_module_paths_and_progbar(capsys):
    from pyengine.keras.layers.advanced_activations import LeakyReLU
    from pyengine.keras.layers.convolutional import Conv2D, Conv2DTranspose, MaxPooling2D
    from pyengine.keras.layers.core import Dense, RepeatVector
    from pyengine.keras.layers.recurrent import LSTM
    from pyengine.keras.utils.generic_utils import Progbar
    import pyengine.keras.utils.np_utils as np_utils
    assert (LeakyReLU, Conv2D, Conv2DTranspose, MaxPooling2D, Dense, RepeatVector, LSTM) == (
        layers.LeakyReLU, layers.Conv2D, layers.Conv2DTranspose, layers.MaxPooling2D,
        layers.Dense, layers.RepeatVector, layers.LSTM)
    assert np_utils.to_categorical is keras.utils.to_categorical
    bar = Progbar(target=4)
    for i in range(4):
        bar.update(i + 1, values=[("loss", float(i))])
    out = capsys.readouterr().out
    assert out.rstrip().endswith("loss: 1.5000") and "4/4 [" in out  # mean of 0, 1, 2, 3
    bar = keras.utils.Progbar(target=None, verbose=2)
    bar.add(3, values=[("d", 2.0)])
    assert capsys.readouterr().out == ""
    with pytest.raises(ValueError, match=r"\[Progbar\] target"):
        keras.utils.Progbar(target=-1)


def _acgan_like(rng):
    """A discriminator with two outputs (real / fake, class) compiled first, then frozen inside
    a combined generator + discriminator model compiled after (Keras 2's GAN recipe)."""
    disc_in = keras.Input((6,))
    feat = layers.Dense(8, activation="relu")(disc_in)
    disc = keras.Model(disc_in, [layers.Dense(1, activation="sigmoid", name="generation")(feat),
                                 layers.Dense(3, activation="softmax", name="auxiliary")(feat)])
    disc.compile(keras.optimizers.Adam(0.01), ["binary_crossentropy",
                                               "sparse_categorical_crossentropy"])
    gen_in = keras.Input((4,))
    gen = keras.Model(gen_in, layers.Dense(6, activation="tanh")(gen_in))
    disc.trainable = False
    z = keras.Input((4,))
    combined = keras.Model(z, disc(gen(z)))
    combined.compile(keras.optimizers.Adam(0.01), ["binary_crossentropy",
                                                   "sparse_categorical_crossentropy"])
    return disc, gen, combined


def test_trainable_set_after_compile_takes_effect_at_the_next_compile():
    rng = np.random.default_rng(5)
    disc, gen, combined = _acgan_like(rng)
    d0, g0 = [w.copy() for w in disc.get_weights()], [w.copy() for w in gen.get_weights()]
    z, cls = rng.standard_normal((8, 4)).astype("float32"), rng.integers(0, 3, 8)
    combined.train_on_batch(z, [np.ones(8), cls])
    assert all(np.array_equal(a, b) for a, b in zip(d0, disc.get_weights()))  # frozen there
    assert not all(np.array_equal(a, b) for a, b in zip(g0, gen.get_weights()))
    x = rng.standard_normal((8, 6)).astype("float32")
    disc.train_on_batch(x, [np.ones(8), cls])
    assert not any(np.array_equal(a, b) for a, b in zip(d0, disc.get_weights()))  # trains
    assert not disc.layers[1].kernel.requires_grad  # still frozen for the combined model
    assert len(disc.trainable_weights) == 0  # the live flag is what was set
    disc.compile("sgd", ["binary_crossentropy", "sparse_categorical_crossentropy"])
    d1 = [w.copy() for w in disc.get_weights()]
    with pytest.warns(UserWarning, match="does not have any trainable weights"):
        disc.train_on_batch(x, [np.ones(8), cls])  # recompiled while frozen: nothing trains
    assert all(np.array_equal(a, b) for a, b in zip(d1, disc.get_weights()))


def test_per_output_sample_weights_in_train_on_batch():
    """ACGAN weights its class loss by 2 on real images and 0 on generated ones: a list with one
    weight array per output. The loss equals the per-output weighted means."""
    rng = np.random.default_rng(6)
    disc, _, _ = _acgan_like(rng)
    x = rng.standard_normal((6, 6)).astype("float32")
    y_fake, y_cls = np.array([0.9, 0.9, 0.9, 0.1, 0.1, 0.1]), rng.integers(0, 3, 6)
    w_fake, w_cls = np.ones(6), np.array([2.0, 2, 2, 0, 0, 0])
    p_fake, p_cls = disc.predict(x, verbose=0)
    p = np.clip(p_fake[:, 0], 1e-7, 1 - 1e-7)
    bce = -(y_fake * np.log(p) + (1 - y_fake) * np.log(1 - p))
    ce = -np.log(np.clip(p_cls[np.arange(6), y_cls], 1e-7, 1))
    expected = (bce * w_fake).mean() + (ce * w_cls).mean()
    got = disc.test_on_batch(x, [y_fake, y_cls], sample_weight=[w_fake, w_cls])
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    with pytest.raises(ValueError, match="sample_weight is a list of 3 entries for a model "
                                         "with 2 outputs"):
        disc.test_on_batch(x, [y_fake, y_cls], sample_weight=[w_fake, w_cls, w_cls])
    loss = disc.train_on_batch(x, [y_fake, y_cls],
                               sample_weight={"generation": w_fake, "auxiliary": w_cls})
    assert np.isfinite(loss)


def test_graph_gradients_and_function_match_numpy_and_ascend():
    """conv_filter_visualization's pattern: a loss on a layer's output, K.gradients w.r.t. the
    model input, normalised, run by K.function; one ascent step raises the loss."""
    inp = keras.Input((5,))
    layer = layers.Dense(3, activation="tanh")
    h = layer(inp)
    loss = K.mean(h[:, 1])
    grads = K.gradients(loss, inp)
    assert isinstance(grads, list) and grads[0].shape == (None, 5)
    g = grads[0] / (K.sqrt(K.mean(K.square(grads[0]))) + K.epsilon())
    iterate = K.function([inp], [loss, g])
    x = np.random.default_rng(7).random((2, 5)).astype("float32")
    loss_value, g_value = iterate([x])
    w, b = layer.get_weights()
    t = np.tanh(x.astype("float64") @ w + b)
    ref = (1 - t[:, 1] ** 2)[:, None] * w[:, 1][None, :] / 2  # d mean / d x
    ref /= np.sqrt((ref ** 2).mean()) + 1e-7
    np.testing.assert_allclose(loss_value, t[:, 1].mean(), rtol=1e-5)
    np.testing.assert_allclose(g_value, ref, rtol=1e-4, atol=1e-6)
    assert iterate([x + 0.1 * g_value])[0] > loss_value
    with pytest.raises(ValueError, match=r"\[K.function\] expected 1 input arrays"):
        iterate([x, x])
    K.set_learning_phase(1)  # K.function then runs in training mode (Dropout active)
    try:
        drop = K.function([inp], [layers.Dropout(0.5)(inp)])
        assert (drop([np.ones((4, 5), "float32")])[0] == 0).any()
    finally:
        K.set_learning_phase(0)


def test_placeholder_variable_concatenate_gradients_neural_style_pattern():
    """neural_style_transfer's pattern: two images held by K.variable and a K.placeholder
    concatenated into one batch, a shared network, losses on rows of the batch, the gradient
    w.r.t. the placeholder only (checked against central differences in float64)."""
    rng = np.random.default_rng(8)
    base = K.variable(rng.random((1, 4, 4, 2)))
    style = K.variable(rng.random((1, 4, 4, 2)))
    comb = K.placeholder((1, 4, 4, 2))
    batch = K.concatenate([base, style, comb], axis=0)
    conv = layers.Conv2D(3, 3, padding="same", activation="relu")
    feats = conv(batch)
    loss = K.variable(0.0)
    loss = loss + 0.5 * K.sum(K.square(feats[2] - feats[0]))
    gram = lambda f: K.dot(K.batch_flatten(K.permute_dimensions(f, (2, 0, 1))),
                           K.transpose(K.batch_flatten(K.permute_dimensions(f, (2, 0, 1)))))
    loss = loss + K.sum(K.square(gram(feats[1]) - gram(feats[2]))) / 100.0
    f = K.function([comb], [loss] + K.gradients(loss, comb))
    x = rng.random((1, 4, 4, 2)).astype("float32")
    lv, gv = f([x])
    assert gv.shape == (1, 4, 4, 2)
    k, bias = (a.astype("float64") for a in conv.get_weights())
    b0, s0 = base.numpy().astype("float64"), style.numpy().astype("float64")

    def ref_loss(c):
        xs = np.concatenate([b0, s0, c])
        pad = np.pad(xs, ((0, 0), (1, 1), (1, 1), (0, 0)))
        out = np.zeros((3, 4, 4, 3))
        for i in range(3):
            for j in range(3):
                out += np.einsum("nhwc,cd->nhwd", pad[:, i:i + 4, j:j + 4], k[i, j])
        out = np.maximum(out + bias, 0)
        g = lambda a: a.reshape(-1, 3).T @ a.reshape(-1, 3)
        return 0.5 * ((out[2] - out[0]) ** 2).sum() + ((g(out[1]) - g(out[2])) ** 2).sum() / 100

    xd = x.astype("float64")
    np.testing.assert_allclose(lv, ref_loss(xd), rtol=1e-4)
    num = np.zeros_like(xd)
    for idx in np.ndindex(xd.shape):
        e = np.zeros_like(xd)
        e[idx] = 1e-5
        num[idx] = (ref_loss(xd + e) - ref_loss(xd - e)) / 2e-5
    np.testing.assert_allclose(gv, num, rtol=2e-3, atol=2e-4)
    other = keras.Input((4, 4, 2))
    with pytest.raises(ValueError, match=r"\[gradients\] the loss must depend on"):
        K.gradients(K.sum(conv(other)) + loss, comb)


def test_eager_gradients_of_a_max_pool_are_its_switches():
    """mnist_swwae's "where" mask, on eager tensors that carry a graph: the gradient of the
    pooled sum w.r.t. the pre-pool tensor is 1 at each window's maximum and 0 elsewhere; the
    graph is kept for the step's own backward."""
    rng = np.random.default_rng(9)
    w = pe.tensor(rng.standard_normal((1, 4, 4, 2)).astype("float32"), requires_grad=True)
    pre = w * 2.0
    post = layers.MaxPooling2D(2)(pre)
    where = K.gradients(K.sum(post), pre)[0]
    v = pre.detach().numpy()[0]
    win = v.reshape(2, 2, 2, 2, 2).transpose(0, 2, 4, 1, 3).reshape(2, 2, 2, 4)
    hot = (win == win.max(-1, keepdims=True)).astype("float32")
    ref = hot.reshape(2, 2, 2, 2, 2).transpose(0, 3, 1, 4, 2).reshape(4, 4, 2)
    np.testing.assert_array_equal(where.numpy()[0], ref)
    (post.sum() * 3.0).backward()  # the graph survived K.gradients
    np.testing.assert_allclose(w.grad.numpy()[0], 6.0 * ref)
    with pe.no_grad():
        frozen = layers.MaxPooling2D(2)(pre.detach())
    with pytest.raises(ValueError, match=r"\[gradients\] the loss has no recorded graph"):
        K.gradients(K.sum(frozen), pre)


def test_application_on_an_input_tensor_made_by_ops_keeps_those_ops():
    """VGG19(input_tensor=K.concatenate([constant, constant, placeholder])): the model's input
    is the placeholder (Keras' get_source_inputs), each layer has one node, and the gradient
    w.r.t. the placeholder flows through the concatenation."""
    rng = np.random.default_rng(10)
    const = K.variable(rng.random((1, 32, 32, 3)))
    ph = K.placeholder((1, 32, 32, 3))
    model = keras.applications.VGG16(weights=None, include_top=False,
                                     input_tensor=K.concatenate([const, ph], axis=0))
    assert model.inputs[0] is ph
    outputs = {layer.name: layer.output for layer in model.layers}  # one node each
    feats = outputs["block2_conv1"]
    loss = K.sum(K.square(feats[1] - feats[0]))
    f = K.function([ph], [loss] + K.gradients(loss, ph))
    x0 = const.numpy().copy()
    lv, g = f([x0])
    assert lv == pytest.approx(0.0, abs=1e-6) and np.abs(g).max() < 1e-6  # same image: minimum
    lv2, g2 = f([x0 + 0.5])
    assert lv2 > 0 and f([x0 + 0.5 - 1e-3 * g2 / np.abs(g2).max()])[0] < lv2


def test_a_model_built_at_its_first_batch_trains_from_the_first_step():
    """The weights trainable at compile are taken at the first step when the model has none at
    compile (a subclassed model builds at its first call): that first step updates them."""
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.d = layers.Dense(1)

        def call(self, x):
            return self.d(x)

    m = Net()
    m.compile(keras.optimizers.SGD(0.1), "mse")
    x = np.ones((4, 3), "float32")
    import warnings as _w
    with _w.catch_warnings():
        _w.simplefilter("error")  # no "does not have any trainable weights"
        m.train_on_batch(x, np.ones((4, 1), "float32"))
    w0 = [w.copy() for w in m.get_weights()]
    m.train_on_batch(x, np.full((4, 1), 5.0, "float32"))
    assert not np.array_equal(w0[0], m.get_weights()[0])
