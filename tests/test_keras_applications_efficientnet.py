"""keras.applications.EfficientNetB0 ... B7: Keras' parameter counts with the top (5,330,571 for
B0 ... 66,658,687 for B7) and weight list length, the in-model preprocessing (Rescaling +
Normalization, the extra ImageNet rescaling), layer names, pooling heads, a forward pass and one
training step at 32x32 (batch 2), saving, the offline 'imagenet' error, and the identity
preprocess_input."""
import numpy as np
import pytest

from pyengine import keras
from pyengine.keras import applications as A
from pyengine.keras.applications import efficientnet
from keras_application_checks import assert_classifies_and_trains, assert_pooling_head

SMALL = (32, 32, 3)
BASE_B0 = 4_049_571  # Keras' EfficientNetB0(include_top=False) count


@pytest.fixture(scope="module")
def small_top():
    return A.EfficientNetB0(weights=None, input_shape=SMALL, classes=3)


def _images(n=2, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n,) + SMALL).astype(np.float32)


def test_b0_default_size_count_and_weights():
    model = A.EfficientNetB0(weights=None)
    assert model.count_params() == 5_330_571 == BASE_B0 + 1280 * 1000 + 1000
    assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == 5_288_548
    assert len(model.weights) == 314  # Keras' count, the stem Normalization's 'count' included
    assert model.name == "efficientnetb0" and model.inputs[0].shape == (None, 224, 224, 3)


@pytest.mark.parametrize("variant,params", [
    ("B1", 7_856_239), ("B2", 9_177_569), ("B3", 12_320_535), ("B4", 19_466_823),
    ("B5", 30_562_527), ("B6", 43_265_143), ("B7", 66_658_687)])
def test_scaled_variants_counts(variant, params):
    # the count does not depend on the image size: a 32x32 top with 1000 classes has the count
    # at the variant's default size (240 ... 600) and builds far faster
    model = getattr(A, "EfficientNet" + variant)(weights=None, input_shape=SMALL)
    assert model.count_params() == params and model.name == "efficientnet" + variant.lower()
    assert getattr(efficientnet, "EfficientNet" + variant).__name__ == "EfficientNet" + variant


def test_layer_names_and_small_top(small_top):
    names = [layer.name for layer in small_top.layers]
    assert names[1:5] == ["rescaling", "normalization", "stem_conv_pad", "stem_conv"]
    assert {"block1a_se_excite", "block2a_dwconv_pad", "block2b_drop", "block2b_add",
            "block6d_project_bn", "block7a_project_bn", "top_conv", "top_activation"} <= set(names)
    assert names[-3:] == ["avg_pool", "top_dropout", "predictions"]
    assert small_top.count_params() == BASE_B0 + 1280 * 3 + 3


@pytest.mark.parametrize("pooling,shape,last", [(None, (None, 1, 1, 1280), "top_activation"),
                                                ("avg", (None, 1280), "avg_pool"),
                                                ("max", (None, 1280), "max_pool")])
def test_pooling_heads(pooling, shape, last):
    model = A.EfficientNetB0(include_top=False, weights=None, input_shape=SMALL, pooling=pooling)
    assert_pooling_head(model, shape, BASE_B0, last)


def test_forward_and_one_training_step(small_top):
    x = _images()  # raw pixels: the model rescales them itself
    assert_classifies_and_trains(small_top, x, [0, 2])


def test_stem_preprocessing_of_a_fresh_model():
    # weights=None: Normalization is mean 0 / variance 1, so the stem sees pixels / 255
    model = A.EfficientNetB0(include_top=False, weights=None, input_shape=SMALL)
    stem = keras.Model(model.inputs, model.get_layer("normalization").output)
    x = _images()
    np.testing.assert_allclose(stem.predict(x, verbose=0), x / 255.0, rtol=1e-6)


def test_imagenet_file_loads_with_the_extra_rescaling(tmp_path, monkeypatch):
    monkeypatch.setenv("PYENGINE_HOME", str(tmp_path))
    with pytest.raises(ValueError, match="efficientnetb0_notop.weights.npz"):
        A.EfficientNetB0(include_top=False, input_shape=SMALL)
    # a weights file holding the ImageNet statistics, as Keras' has them
    fresh = A.EfficientNetB0(include_top=False, weights=None, input_shape=SMALL)
    norm = fresh.get_layer("normalization")
    assert [w.name for w in norm.weights] == ["mean", "variance", "count"]
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    norm.mean.assign(mean.astype(np.float32))
    norm.variance.assign((std ** 2).astype(np.float32))
    (tmp_path / "models").mkdir()
    fresh.save_weights(tmp_path / "models" / "efficientnetb0_notop.weights.npz")
    model = A.EfficientNetB0(include_top=False, input_shape=SMALL)
    stem = keras.Model(model.inputs, model.get_layer("rescaling_1").output)
    x = _images()
    # (x / 255 - mean) / std / sqrt(std): the original model's normalisation
    np.testing.assert_allclose(stem.predict(x, verbose=0),
                               (x / 255.0 - mean) / std / np.sqrt(std), rtol=1e-4, atol=1e-5)


def test_whole_model_save_and_load(tmp_path):
    model = A.EfficientNetB0(include_top=False, weights=None, input_shape=SMALL, pooling="avg")
    path = tmp_path / "b0.keras"
    model.save(path)
    again = keras.models.load_model(path)
    x = _images(1, seed=3)
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)


def test_bad_arguments():
    with pytest.raises(ValueError, match="at least 32x32"):
        A.EfficientNetB0(weights=None, include_top=False, input_shape=(32, 16, 3))
    with pytest.raises(ValueError, match=r"\(240, 240, 3\)"):
        A.EfficientNetB1(weights="imagenet", input_shape=(224, 224, 3))


def test_preprocess_input_is_the_identity():
    x = _images()
    assert efficientnet.preprocess_input(x) is x
