"""keras.applications.DenseNet121 / 169 / 201: Keras' parameter counts with the top (8,062,504 /
14,307,880 / 20,242,984), layer names, pooling heads, a forward pass and one training step at the
smallest input Keras allows (32x32, batch 2), the offline 'imagenet' error and the 'torch'
preprocessing."""
import numpy as np
import pytest

from pyengine.keras import applications as A
from pyengine.keras.applications import densenet
from keras_application_checks import assert_classifies_and_trains, assert_pooling_head

SMALL = (32, 32, 3)
BASE121 = 7_037_504  # Keras' DenseNet121(include_top=False) count


@pytest.fixture(scope="module")
def small_top():
    return A.DenseNet121(weights=None, input_shape=SMALL, classes=3)


def test_densenet121_default_size_count():
    model = A.DenseNet121(weights=None)
    assert model.count_params() == 8_062_504 == BASE121 + 1024 * 1000 + 1000
    assert model.name == "densenet121" and model.inputs[0].shape == (None, 224, 224, 3)


@pytest.mark.parametrize("build,params,name", [(A.DenseNet169, 14_307_880, "densenet169"),
                                               (A.DenseNet201, 20_242_984, "densenet201")])
def test_deeper_variants_counts(build, params, name):
    # the parameters do not depend on the image size: a 32x32 top with 1000 classes has the
    # 224x224 count, and builds several times faster
    model = build(weights=None, input_shape=SMALL)
    assert model.count_params() == params and model.name == name


def test_layer_names_and_small_top(small_top):
    names = [layer.name for layer in small_top.layers]
    assert names[2:4] == ["conv1_conv", "conv1_bn"] and "pool1" in names
    assert {"conv2_block6_concat", "pool2_conv", "pool2_pool", "conv4_block24_concat",
            "conv5_block16_2_conv", "bn", "relu"} <= set(names)
    assert names[-2:] == ["avg_pool", "predictions"]
    assert small_top.count_params() == BASE121 + 1024 * 3 + 3


@pytest.mark.parametrize("pooling,shape,last", [(None, (None, 1, 1, 1024), "relu"),
                                                ("avg", (None, 1024), "avg_pool"),
                                                ("max", (None, 1024), "max_pool")])
def test_pooling_heads(pooling, shape, last):
    model = A.DenseNet121(include_top=False, weights=None, input_shape=SMALL, pooling=pooling)
    assert_pooling_head(model, shape, BASE121, last)


def test_forward_and_one_training_step(small_top):
    rng = np.random.default_rng(0)
    x = densenet.preprocess_input(rng.integers(0, 256, (2,) + SMALL).astype(np.float32))
    assert_classifies_and_trains(small_top, x, [1, 2])


def test_bad_arguments_and_offline_imagenet(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="at least 32x32"):
        A.DenseNet121(weights=None, include_top=False, input_shape=(31, 64, 3))
    with pytest.raises(ValueError, match="four positive lengths"):
        densenet.DenseNet((6, 12, 24), weights=None)
    with pytest.raises(ValueError, match="ImageNet weights exist"):
        densenet.DenseNet((2, 2, 2, 2), include_top=False)
    monkeypatch.setenv("PYENGINE_HOME", str(tmp_path))
    with pytest.raises(ValueError, match="densenet169_weights_tf_dim_ordering_tf_kernels_notop"):
        A.DenseNet169(include_top=False)


def test_custom_block_lengths_build():
    model = densenet.DenseNet((1, 1, 1, 1), weights=None, include_top=False, input_shape=SMALL,
                              pooling="avg")
    # 64 -> 96 -> 48 -> 80 -> 40 -> 72 -> 36 -> 68 channels: +32 per layer, halved between blocks
    assert model.name == "densenet" and model.outputs[0].shape == (None, 68)


def test_preprocess_input_is_torch_mode():
    x = np.random.default_rng(1).integers(0, 256, (2, 4, 4, 3)).astype(np.float32)
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    np.testing.assert_allclose(densenet.preprocess_input(x), (x / 255.0 - mean) / std,
                               rtol=1e-5, atol=1e-6)
    first = densenet.preprocess_input(x.transpose(0, 3, 1, 2), data_format="channels_first")
    np.testing.assert_allclose(first.transpose(0, 2, 3, 1), (x / 255.0 - mean) / std,
                               rtol=1e-5, atol=1e-6)
