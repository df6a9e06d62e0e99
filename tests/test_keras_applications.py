"""keras.applications: Keras' layer names and parameter counts, weights from a file, the offline
'imagenet' error, preprocessing. Small inputs keep these fast (the counts of the convolutional
bases do not depend on the image size)."""
import numpy as np
import pytest

import pyengine as pe
from pyengine import keras
from pyengine.keras import applications as A

SMALL = (32, 32, 3)


@pytest.mark.parametrize("build,params,first,last", [
    (A.VGG16, 14_714_688, "block1_conv1", "block5_pool"),
    (A.ResNet50, 23_587_712, "conv1_pad", "conv5_block3_out"),
    (A.MobileNetV2, 2_257_984, "Conv1", "out_relu"),
])
def test_bases_have_keras_names_and_parameter_counts(build, params, first, last):
    model = build(include_top=False, weights=None, input_shape=SMALL)
    assert model.count_params() == params
    names = [layer.name for layer in model.layers]
    assert names[1] == first and names[-1] == last
    y = model.predict(np.zeros((2,) + SMALL, np.float32), verbose=0)
    assert y.shape[0] == 2 and y.ndim == 4


def test_heads_pooling_and_classes():
    m = A.ResNet50(weights=None, input_shape=SMALL, classes=10)
    assert m.count_params() == 23_587_712 + 2048 * 10 + 10
    assert m.layers[-2].name == "avg_pool" and m.layers[-1].name == "predictions"
    out = m.predict(np.random.default_rng(0).random((2,) + SMALL).astype(np.float32), verbose=0)
    np.testing.assert_allclose(out.sum(1), 1.0, rtol=1e-5)
    assert A.MobileNetV2(include_top=False, weights=None, input_shape=SMALL,
                         pooling="avg").outputs[0].shape == (None, 1280)
    assert A.VGG16(include_top=False, weights=None, input_shape=SMALL,
                   pooling="max").outputs[0].shape == (None, 512)
    names = {layer.name for layer in A.MobileNetV2(weights=None, input_shape=SMALL,
                                                   classes=10).layers}
    assert {"block_16_project_BN", "block_15_add", "expanded_conv_depthwise"} <= names


def test_weights_from_a_file_and_offline_imagenet(tmp_path, monkeypatch):
    pe.manual_seed(0)
    m = A.MobileNetV2(include_top=False, weights=None, input_shape=SMALL, alpha=0.35)
    path = tmp_path / "mnv2.weights.npz"
    m.save_weights(path)
    again = A.MobileNetV2(include_top=False, weights=path, input_shape=SMALL, alpha=0.35)
    x = np.random.default_rng(1).random((1,) + SMALL).astype(np.float32)
    np.testing.assert_array_equal(m.predict(x, verbose=0), again.predict(x, verbose=0))
    monkeypatch.setenv("PYENGINE_HOME", str(tmp_path))
    with pytest.raises(ValueError, match=r"pyengine downloads no weights.*models"):
        A.MobileNetV2(include_top=False, input_shape=SMALL, alpha=0.35)


@pytest.mark.parametrize("call,msg", [
    (lambda: A.VGG16(weights="imagenet", classes=10), "classes must be 1000"),
    (lambda: A.ResNet50(weights=None, input_shape=(16, 16, 3)), "at least 32x32"),
    (lambda: A.ResNet50(weights=None, input_shape=(None, None, 3)), "known image size"),
    (lambda: A.VGG16(weights="imagenet", input_shape=(100, 100, 3)), r"\(224, 224, 3\)"),
    (lambda: A.MobileNetV2(weights=None, input_shape=SMALL, include_top=False, pooling="sum"),
     "pooling"),
    (lambda: A.VGG16(weights=3), "weights must be"),
])
def test_bad_arguments(call, msg):
    with pytest.raises(ValueError, match=msg):
        call()


def test_preprocess_input_modes():
    x = np.full((1, 2, 2, 3), 255.0, np.float32)
    np.testing.assert_allclose(A.mobilenet_v2.preprocess_input(x), 1.0)
    y = A.vgg16.preprocess_input(np.array([[[[10.0, 20.0, 30.0]]]], np.float32))
    np.testing.assert_allclose(y[0, 0, 0], [30 - 103.939, 20 - 116.779, 10 - 123.68], rtol=1e-5)
    assert A.resnet50.preprocess_input is A.resnet.preprocess_input


def test_transfer_pattern_frozen_base():
    base = A.MobileNetV2(include_top=False, weights=None, input_shape=SMALL, alpha=0.35)
    base.trainable = False
    inputs = keras.Input(shape=SMALL)
    x = base(inputs, training=False)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(3, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == 1280 * 3 + 3
    before = [w.numpy().copy() for w in base.weights]
    model.compile("adam", "sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    model.fit(rng.random((8,) + SMALL).astype(np.float32), rng.integers(0, 3, 8), epochs=1,
              batch_size=4, verbose=0)
    assert all(np.array_equal(a, w.numpy()) for a, w in zip(before, base.weights))


BUILDERS = ["ResNet50", "ResNet50V2", "VGG16", "VGG19", "Xception", "InceptionV3",
            "InceptionResNetV2", "DenseNet121", "EfficientNetB0", "EfficientNetV2B0",
            "ConvNeXtTiny", "MobileNet", "MobileNetV2", "MobileNetV3Small", "NASNetMobile"]


@pytest.mark.parametrize("builder", BUILDERS)
def test_every_builder_checks_pooling_and_the_imagenet_activation_before_building(builder,
                                                                                 monkeypatch):
    """The checks every application starts with (common.begin): a bad pooling, and a classifier
    activation ImageNet weights do not come with, fail at once, before the Input (and so any
    layer) is made: each call here would otherwise build a whole network."""
    from pyengine.keras import applications
    from pyengine.keras.applications import common

    def no_building(*args):
        raise AssertionError(f"{builder} started building before checking its arguments")
    monkeypatch.setattr(common, "inputs_for", no_building)
    build = getattr(applications, builder)
    with pytest.raises(ValueError, match=r"pooling must be None, 'avg' or 'max'"):
        build(weights=None, include_top=False, pooling="mean")
    with pytest.raises(ValueError, match=r"classifier_activation must be None or 'softmax'"):
        build(weights="imagenet", classifier_activation="relu")
