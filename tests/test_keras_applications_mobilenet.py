"""keras.applications.MobileNet (v1): Keras' parameter counts (4,253,864 with the top at
alpha=1.0, 3,228,864 without), alpha / depth_multiplier, layer names and the 1x1-convolution
head, pooling heads, a forward pass and one training step at 32x32 (batch 2), the ImageNet
argument rules and offline error, and the 'tf' preprocessing."""
import numpy as np
import pytest

from pyengine.keras import applications as A
from pyengine.keras.applications import mobilenet
from keras_application_checks import assert_classifies_and_trains, assert_pooling_head

SMALL = (32, 32, 3)
BASE = 3_228_864  # Keras' MobileNet(include_top=False) count at alpha=1.0


@pytest.fixture(scope="module")
def small_top():
    return A.MobileNet(weights=None, input_shape=SMALL, classes=3)


def test_default_count_and_name():
    model = A.MobileNet(weights=None)
    assert model.count_params() == 4_253_864 == BASE + 1024 * 1000 + 1000
    # Keras: 'mobilenet_1.00_224' ('.' is not allowed in a layer name here)
    assert model.name == "mobilenet_1_00_224" and model.inputs[0].shape == (None, 224, 224, 3)
    assert A.MobileNet is mobilenet.MobileNet


def _expected_base(alpha, depth_multiplier):
    """conv1 + BN, then per block: depthwise 3x3 and its BN on in * depth_multiplier channels,
    pointwise in * depth_multiplier -> out and its BN (4 numbers per BN channel)."""
    c = int(32 * alpha)
    total = 27 * c + 4 * c
    for filters in (64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024):
        out, dw = int(filters * alpha), c * depth_multiplier
        total += 9 * dw + 4 * dw + dw * out + 4 * out
        c = out
    return total


@pytest.mark.parametrize("alpha,depth_multiplier,params,with_top", [
    (0.25, 1, 218_544, 475_544), (0.5, 1, 829_536, 1_342_536), (0.75, 1, 1_832_976, 2_601_976),
    (1.0, 2, 6_432_928, None)])
def test_width_and_depth_multipliers(alpha, depth_multiplier, params, with_top):
    # with_top: MobileNet v1's published counts with the 1000-class 1x1-convolution top
    assert _expected_base(alpha, depth_multiplier) == params
    if with_top is not None:
        assert params + int(1024 * alpha) * 1000 + 1000 == with_top
    model = A.MobileNet(weights=None, include_top=False, input_shape=SMALL, alpha=alpha,
                        depth_multiplier=depth_multiplier)
    assert model.count_params() == params
    assert model.outputs[0].shape == (None, 1, 1, int(1024 * alpha))


def test_layer_names_and_small_top(small_top):
    names = [layer.name for layer in small_top.layers]
    assert names[1:4] == ["conv1", "conv1_bn", "conv1_relu"]
    assert {"conv_pad_2", "conv_dw_2", "conv_dw_13_bn", "conv_pw_13_relu"} <= set(names)
    assert "conv_pad_3" not in names  # only the strided blocks pad
    assert names[-4:] == ["dropout", "conv_preds", "reshape_2", "predictions"]
    assert small_top.get_layer("conv_preds").kernel.shape == (1, 1, 1024, 3)
    assert small_top.count_params() == BASE + 1024 * 3 + 3


@pytest.mark.parametrize("pooling,shape", [(None, (None, 1, 1, 1024)), ("avg", (None, 1024)),
                                           ("max", (None, 1024))])
def test_pooling_heads(pooling, shape):
    model = A.MobileNet(include_top=False, weights=None, input_shape=SMALL, pooling=pooling)
    assert_pooling_head(model, shape, BASE)


def test_forward_and_one_training_step(small_top):
    rng = np.random.default_rng(0)
    x = mobilenet.preprocess_input(rng.integers(0, 256, (2,) + SMALL).astype(np.float32))
    assert_classifies_and_trains(small_top, x, [2, 0])


def test_logits_head():
    model = A.MobileNet(weights=None, input_shape=SMALL, classes=4, classifier_activation=None)
    y = model.predict(np.ones((2,) + SMALL, np.float32), verbose=0)
    assert y.shape == (2, 4) and np.isfinite(y).all()


def test_imagenet_rules_and_offline_error(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="depth_multiplier=1"):
        A.MobileNet(depth_multiplier=2)
    with pytest.raises(ValueError, match="alpha in 0.25"):
        A.MobileNet(alpha=0.6)
    with pytest.raises(ValueError, match=r"\(224, 224, 3\)"):  # non-square: 224 expected
        A.MobileNet(input_shape=(160, 150, 3))
    with pytest.raises(ValueError, match="at least 32x32"):
        A.MobileNet(weights=None, include_top=False, input_shape=(24, 24, 3))
    monkeypatch.setenv("PYENGINE_HOME", str(tmp_path))
    # a square ImageNet size is the default size: weights for it exist, with or without top
    with pytest.raises(ValueError, match="mobilenet_1_0_160_tf.weights.npz"):
        A.MobileNet(input_shape=(160, 160, 3))
    with pytest.raises(ValueError, match="mobilenet_5_0_160_tf_no_top.weights.npz"):
        A.MobileNet(include_top=False, alpha=0.5, input_shape=(160, 160, 3))
    with pytest.warns(UserWarning, match="224x224"), \
            pytest.raises(ValueError, match="mobilenet_2_5_224_tf_no_top.weights.npz"):
        A.MobileNet(include_top=False, alpha=0.25, input_shape=(100, 100, 3))


def test_preprocess_input_is_tf_mode():
    x = np.random.default_rng(1).integers(0, 256, (2, 4, 4, 3)).astype(np.float32)
    np.testing.assert_allclose(mobilenet.preprocess_input(x), x / 127.5 - 1.0, rtol=1e-6)
