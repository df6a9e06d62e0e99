"""pe.onnx.export: files checked by onnx.checker and run by onnxruntime with outputs equal to
pyengine's (skipped when those packages are absent); clear errors for what is unsupported."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import keras, nn


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


def test_unsupported_layers_are_named(tmp_path):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)

        def forward(self, x):
            return self.fc(x) * 2
    with pytest.raises(NotImplementedError, match="Net defines its own forward"):
        pe.onnx.export(Net(), pe.randn(1, 2), tmp_path / "n.onnx")
    with pytest.raises(NotImplementedError, match="Embedding is not supported"):
        pe.onnx.export(nn.Sequential(nn.Embedding(5, 2)), pe.tensor([[1]]), tmp_path / "e.onnx")
    with pytest.raises(NotImplementedError, match="AdaptiveAvgPool2d"):
        pe.onnx.export(nn.Sequential(nn.AdaptiveAvgPool2d(2)), pe.randn(1, 1, 4, 4),
                       tmp_path / "p.onnx")
