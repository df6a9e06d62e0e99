"""pe.onnx.export: files checked by onnx.checker and run by onnxruntime with outputs equal to
pyengine's (skipped when those packages are absent); clear errors for what is unsupported."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import keras, nn
from pyengine.nn import functional as F


def _check(model, x, tmp_path, atol=1e-5):
    path = pe.onnx.export(model, x, tmp_path / "m.onnx")
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    xb = np.concatenate([np.asarray(x.data if isinstance(x, pe.Tensor) else x)] * 3)
    got = sess.run(None, {"input": xb})[0]  # a larger batch than the example: symbolic batch
    if isinstance(model, nn.Module) and not hasattr(model, "predict"):
        model.eval()
        with pe.no_grad():
            want = model(pe.tensor(xb)).numpy()
    else:
        want = model.predict(xb, verbose=0)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=atol)


def test_writes_a_file_without_onnx(tmp_path):
    m = nn.Sequential(nn.Linear(3, 2))
    p = pe.onnx.export(m, pe.randn(1, 3), tmp_path / "a.onnx")
    data = open(p, "rb").read()
    assert b"pyengine" in data and b"Gemm" in data


def test_mlp_with_activations(tmp_path):
    pe.manual_seed(0)
    m = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Dropout(0.3), nn.Linear(8, 8), nn.Tanh(),
                      nn.Sequential(nn.Linear(8, 6), nn.LeakyReLU(0.2), nn.Linear(6, 6),
                                    nn.ELU(), nn.GELU(), nn.SiLU(), nn.ReLU6(), nn.Sigmoid()),
                      nn.Linear(6, 4), nn.LogSoftmax(dim=1))
    _check(m, pe.randn(2, 5), tmp_path)


def test_cnn_with_batchnorm_pooling_flatten(tmp_path):
    pe.manual_seed(0)
    m = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                      nn.MaxPool2d(2), nn.Conv2d(4, 6, 3, stride=2, padding="valid",
                                                 groups=2),
                      nn.AvgPool2d(2, ceil_mode=True), nn.Conv2d(6, 6, 3, padding="same",
                                                                 dilation=2),
                      nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(6, 3), nn.Softmax(dim=1))
    m.train()
    m(pe.randn(8, 3, 16, 16))  # running statistics that are not the initial ones
    pe.onnx.export(m, pe.randn(1, 3, 16, 16), tmp_path / "mode.onnx")
    assert m.training  # export runs in eval mode and restores the mode
    _check(m, pe.randn(2, 3, 16, 16), tmp_path)


def test_keras_sequential(tmp_path):
    pe.manual_seed(0)
    m = keras.Sequential([keras.Input(shape=(12, 12, 2)),
                          keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
                          keras.layers.MaxPooling2D(2),
                          keras.layers.Conv2D(5, 3, strides=2, activation="tanh"),
                          keras.layers.BatchNormalization(),
                          keras.layers.AveragePooling2D(2, padding="same"),
                          keras.layers.Flatten(), keras.layers.Dropout(0.2),
                          keras.layers.Dense(7, activation="relu"),
                          keras.layers.Dense(3, activation="softmax")])
    x = np.random.default_rng(0).standard_normal((2, 12, 12, 2)).astype(np.float32)
    m.predict(x, verbose=0)
    _check(m, x, tmp_path)


@pytest.mark.parametrize("rnn", ["SimpleRNN", "LSTM", "GRU"])
@pytest.mark.parametrize("seqs", [False, True])
def test_keras_recurrent(tmp_path, rnn, seqs):
    pe.manual_seed(0)
    layers = [keras.Input(shape=(5, 3)), getattr(keras.layers, rnn)(4, return_sequences=seqs)]
    if seqs:
        layers.append(keras.layers.Flatten())
    m = keras.Sequential(layers + [keras.layers.Dense(2)])
    x = np.random.default_rng(1).standard_normal((2, 5, 3)).astype(np.float32)
    m.predict(x, verbose=0)
    for w in m.weights:  # non-zero biases, so that their layout is checked too
        if "bias" in getattr(w, "path", getattr(w, "name", "")):
            w.data[...] = np.random.default_rng(2).standard_normal(w.shape)
    _check(m, x, tmp_path)


class _MnistNet(nn.Module):
    """pytorch/examples mnist/main.py's Net (smaller): layers and functional code in forward."""

    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 4, 3, 1), nn.Conv2d(4, 6, 3, 1)
        self.dropout1, self.dropout2 = nn.Dropout(0.25), nn.Dropout(0.5)
        self.fc1, self.fc2 = nn.Linear(6 * 6 * 6, 16), nn.Linear(16, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = pe.flatten(x, 1)
        x = self.dropout2(F.relu(self.fc1(x)))
        return F.log_softmax(self.fc2(x), dim=1)


class _Residual(nn.Module):
    """Skip connections, concatenation, reshapes, elementwise and reduction code in forward."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 3, padding=1)
        self.bn = nn.BatchNorm2d(3)
        self.fc = nn.Linear(6 * 4, 5)
        self.scale = nn.Parameter(pe.tensor([0.5, 2.0, 1.5]))

    def forward(self, x):
        h = x + F.relu(self.bn(self.conv(x)))
        h = pe.cat([h, h.sigmoid() * 2.0 - 1.0], dim=1)
        h = F.avg_pool2d(h, 4).view(h.size(0), -1)
        y = self.fc(h).tanh()
        return pe.cat([y, (x.mean(dim=(2, 3)) * self.scale).clamp(-1, 1)], dim=1).exp()


def test_module_with_its_own_forward(tmp_path):
    """pe.nn Modules that are not Sequentials are traced through their forward()."""
    pe.manual_seed(0)
    _check(_MnistNet(), pe.randn(2, 1, 16, 16), tmp_path)
    m = _Residual()
    m.train()
    m(pe.randn(4, 3, 8, 8))  # running statistics that are not the initial ones
    pe.onnx.export(m, pe.randn(1, 3, 8, 8), tmp_path / "mode.onnx")
    assert m.training  # traced in eval mode, the mode restored
    _check(m, pe.randn(2, 3, 8, 8), tmp_path)
    seq = nn.Sequential(nn.Linear(4, 12), _Reshape3())  # a Sequential holding such a module
    _check(seq, pe.randn(2, 4), tmp_path)


class _Reshape3(nn.Module):
    def forward(self, x):
        h = x.reshape(x.shape[0], 3, 4).permute(0, 2, 1).softmax(dim=-1)  # (N, 4, 3)
        return pe.cat([h.sum(dim=2), h[:, -1], h[..., 1:3:2, 0], h[:, 1:, 0]], dim=1)


class _Recurrent(nn.Module):
    """pe.nn's RNN / LSTM / GRU inside a forward: output, last step and final state used."""

    def __init__(self, kind, **kw):
        super().__init__()
        self.rnn = getattr(nn, kind)(3, 4, batch_first=True, **kw)
        self.fc = nn.Linear(4 * (2 if kw.get("bidirectional") else 1), 2)

    def forward(self, x):
        out, h = self.rnn(x)
        h_n = h[0] if isinstance(h, tuple) else h
        return self.fc(out[:, -1]) + h_n[-1].sum(dim=1, keepdim=True)


@pytest.mark.parametrize("kind,kw", [("LSTM", {}), ("GRU", {}), ("RNN", {}),
                                     ("RNN", {"nonlinearity": "relu"}),
                                     ("LSTM", {"num_layers": 2, "bidirectional": True}),
                                     ("GRU", {"num_layers": 2, "bidirectional": True})])
def test_nn_recurrent_layers_in_a_forward(tmp_path, kind, kw):
    pe.manual_seed(0)
    _check(_Recurrent(kind, **kw), pe.randn(2, 5, 3), tmp_path)  # same length, larger batch


def test_keras_functional_and_subclassed(tmp_path):
    pe.manual_seed(0)
    inp = keras.Input(shape=(6,))
    a = keras.layers.Dense(8, activation="relu")(inp)
    b = keras.layers.Dense(8)(inp)
    c = keras.layers.Concatenate()([a, keras.layers.Add()([a, b])])
    out = keras.layers.Dense(3, activation="softmax")(keras.layers.Dropout(0.3)(c))
    x = np.random.default_rng(0).standard_normal((2, 6)).astype(np.float32)
    _check(keras.Model(inp, out), x, tmp_path)

    img = keras.Input(shape=(8, 8, 2))
    h = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(img)
    h = keras.layers.BatchNormalization()(keras.layers.MaxPooling2D(2)(h))
    h = keras.layers.GlobalAveragePooling2D()(h)
    cnn = keras.Model(img, keras.layers.Dense(2)(h))
    _check(cnn, np.random.default_rng(1).standard_normal((2, 8, 8, 2)).astype(np.float32),
           tmp_path)

    class Sub(keras.Model):
        def __init__(self):
            super().__init__()
            self.d1 = keras.layers.Dense(5, activation="tanh")
            self.d2 = keras.layers.Dense(2)

        def call(self, x, training=None):
            return self.d2(self.d1(x) * 2.0 - 1.0)
    sub = Sub()
    sub(np.zeros((1, 4), np.float32))
    _check(sub, x[:, :4], tmp_path)
    seq = keras.Input(shape=(6, 2))  # Conv1D has no entry of its own: its ops are traced
    c1 = keras.Model(seq, keras.layers.Conv1D(3, 2, activation="relu")(seq))
    _check(c1, np.random.default_rng(2).standard_normal((2, 6, 2)).astype(np.float32), tmp_path)


def test_unsupported_layers_are_named(tmp_path):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)

        def forward(self, x):
            return self.fc(x)[:, pe.tensor([1, 0])]
    with pytest.raises(NotImplementedError, match=r"op Index with an advanced key .*\(inside Net"):
        pe.onnx.export(Net(), pe.randn(1, 2), tmp_path / "n.onnx")

    class Zeros(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 2)

        def forward(self, x):
            return self.fc(x) + pe.zeros(x.shape[0], 2)  # sized by the batch: not exportable
    with pytest.raises(NotImplementedError, match=r"shape \(2, 2\) enters the graph"):
        pe.onnx.export(Zeros(), pe.randn(2, 3), tmp_path / "z.onnx")

    class Emb(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc, self.emb = nn.Linear(3, 4), nn.Embedding(4, 2)

        def forward(self, x):
            return self.fc(x) + self.emb(pe.tensor([1, 2])).sum()
    with pytest.raises(NotImplementedError, match=r"op Embedding \(inside Embedding\)"):
        pe.onnx.export(Emb(), pe.randn(2, 3), tmp_path / "r.onnx")
    with pytest.raises(NotImplementedError, match="Embedding"):
        pe.onnx.export(nn.Sequential(nn.Embedding(5, 2)), pe.tensor([[1]]), tmp_path / "e.onnx")
    with pytest.raises(NotImplementedError, match="AdaptiveAvgPool2d"):
        pe.onnx.export(nn.Sequential(nn.AdaptiveAvgPool2d(2)), pe.randn(1, 1, 4, 4),
                       tmp_path / "p.onnx")
    inp = keras.Input(shape=(4, 4, 2))
    m = keras.Model(inp, keras.layers.Dense(2)(keras.layers.UpSampling2D()(inp)))
    with pytest.raises(NotImplementedError, match="inside UpSampling2D"):
        pe.onnx.export(m, np.zeros((1, 4, 4, 2), np.float32), tmp_path / "u.onnx")
    # the tracer's wrappers are gone after a failed export too
    assert nn.Module.__call__.__qualname__ == "Module.__call__"
    assert keras.layers.Layer.__call__.__qualname__ == "Layer.__call__"
    from pyengine.ops.elementwise import Add
    assert Add.forward.__qualname__ == "Add.forward"
