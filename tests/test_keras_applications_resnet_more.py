"""keras.applications.ResNet101 / ResNet152 and the v2 family (ResNet50V2 / 101V2 / 152V2):
Keras' parameter counts with the top, layer names, the v2 pooling heads, a forward pass and one
training step at 32x32 (batch 2), the offline 'imagenet' error, preprocessing ('caffe' for v1,
'tf' for v2)."""
import numpy as np
import pytest

from pyengine.keras import applications as A
from pyengine.keras.applications import resnet, resnet_v2
from keras_application_checks import assert_classifies_and_trains, assert_pooling_head

SMALL = (32, 32, 3)
BASE50V2 = 23_564_800  # Keras' ResNet50V2(include_top=False) count


@pytest.fixture(scope="module")
def small_v2_top():
    return A.ResNet50V2(weights=None, input_shape=SMALL, classes=3)


@pytest.mark.parametrize("build,params,name", [
    (A.ResNet101, 44_707_176, "resnet101"), (A.ResNet152, 60_419_944, "resnet152"),
    (A.ResNet50V2, 25_613_800, "resnet50v2"), (A.ResNet101V2, 44_675_560, "resnet101v2"),
    (A.ResNet152V2, 60_380_648, "resnet152v2")])
def test_parameter_counts_match_keras(build, params, name):
    # the count does not depend on the image size: a 32x32 top with 1000 classes has the
    # 224x224 count and builds several times faster
    model = build(weights=None, input_shape=SMALL)
    assert model.count_params() == params and model.name == name
    assert [layer.name for layer in model.layers][-2:] == ["avg_pool", "predictions"]


def test_modules_expose_the_models():
    assert resnet.ResNet101 is A.ResNet101 and resnet.ResNet152 is A.ResNet152
    assert resnet_v2.ResNet50V2 is A.ResNet50V2 and A.resnet_v2 is resnet_v2


def test_v2_layer_names_and_strides(small_v2_top):
    names = [layer.name for layer in small_v2_top.layers]
    assert "conv1_bn" not in names  # the v2 stem has no normalisation: each block has its own
    assert {"conv1_conv", "pool1_pool", "conv2_block1_preact_bn", "conv2_block1_0_conv",
            "conv2_block3_2_pad", "conv4_block6_out", "conv5_block3_out", "post_bn",
            "post_relu"} <= set(names)
    # a stage's last block strides: conv2's output is already at half the pooled resolution
    assert small_v2_top.get_layer("conv2_block2_out").output.shape[1:3] == (8, 8)
    assert small_v2_top.get_layer("conv2_block3_out").output.shape[1:3] == (4, 4)
    assert small_v2_top.count_params() == BASE50V2 + 2048 * 3 + 3


@pytest.mark.parametrize("pooling,shape,last", [(None, (None, 1, 1, 2048), "post_relu"),
                                                ("avg", (None, 2048), "avg_pool"),
                                                ("max", (None, 2048), "max_pool")])
def test_v2_pooling_heads(pooling, shape, last):
    model = A.ResNet50V2(include_top=False, weights=None, input_shape=SMALL, pooling=pooling)
    assert_pooling_head(model, shape, BASE50V2, last)


def test_forward_and_one_training_step(small_v2_top):
    rng = np.random.default_rng(0)
    x = resnet_v2.preprocess_input(rng.integers(0, 256, (2,) + SMALL).astype(np.float32))
    assert_classifies_and_trains(small_v2_top, x, [0, 1])


def test_offline_imagenet_names_keras_file(tmp_path, monkeypatch):
    monkeypatch.setenv("PYENGINE_HOME", str(tmp_path))
    with pytest.raises(ValueError, match="resnet101_weights_tf_dim_ordering_tf_kernels_notop"):
        A.ResNet101(include_top=False)
    # the file name follows the architecture, not a custom model name
    with pytest.raises(ValueError, match="resnet50v2_weights_tf_dim_ordering_tf_kernels.weights"):
        A.ResNet50V2(name="my_backbone")
    with pytest.raises(ValueError, match="at least 32x32"):
        A.ResNet152V2(weights=None, include_top=False, input_shape=(16, 16, 3))


def test_preprocess_input_modes():
    x = np.random.default_rng(1).integers(0, 256, (2, 4, 4, 3)).astype(np.float32)
    np.testing.assert_allclose(resnet_v2.preprocess_input(x), x / 127.5 - 1.0, rtol=1e-6)
    bgr = x[..., ::-1] - np.array([103.939, 116.779, 123.68], np.float32)
    np.testing.assert_allclose(resnet.preprocess_input(x), bgr, rtol=1e-5, atol=1e-4)
