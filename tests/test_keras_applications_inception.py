"""keras.applications.InceptionV3: Keras' parameter count (23,851,784 with the top at 299x299),
module names, pooling heads, a forward pass and one training step at the smallest input Keras
allows (75x75, batch 2: the counts do not depend on the image size), the offline 'imagenet'
error and the 'tf' preprocessing."""
import numpy as np
import pytest

from pyengine.keras import applications as A
from pyengine.keras.applications import inception_v3
from keras_application_checks import assert_classifies_and_trains, assert_pooling_head

SMALL = (75, 75, 3)
BASE_PARAMS = 21_802_784  # Keras' InceptionV3(include_top=False) count


@pytest.fixture(scope="module")
def small_top():
    return A.InceptionV3(weights=None, input_shape=SMALL, classes=3)


def test_parameter_count_matches_keras():
    model = A.InceptionV3(weights=None)
    assert model.count_params() == 23_851_784
    assert model.name == "inception_v3" and model.inputs[0].shape == (None, 299, 299, 3)
    assert A.InceptionV3 is inception_v3.InceptionV3


def test_module_names_and_small_top(small_top):
    names = [layer.name for layer in small_top.layers]
    assert {f"mixed{i}" for i in range(11)} | {"mixed9_0", "mixed9_1"} <= set(names)
    assert names[-2:] == ["avg_pool", "predictions"]
    assert small_top.count_params() == BASE_PARAMS + 2048 * 3 + 3


@pytest.mark.parametrize("pooling,shape", [(None, (None, 1, 1, 2048)), ("avg", (None, 2048)),
                                           ("max", (None, 2048))])
def test_pooling_heads(pooling, shape):
    model = A.InceptionV3(include_top=False, weights=None, input_shape=SMALL, pooling=pooling)
    assert_pooling_head(model, shape, BASE_PARAMS)


def test_non_square_base():
    # (None, None, 3) works too, but its symbolic build replays the graph on ever larger example
    # images until mixed8 accepts them (about 15 s here): a known size keeps this test fast
    model = A.InceptionV3(include_top=False, weights=None, input_shape=(107, 91, 3))
    y = model.predict(np.zeros((1, 107, 91, 3), np.float32), verbose=0)
    assert y.shape == (1, 2, 1, 2048)  # 107 -> 2, 91 -> 1 through the valid / strided stages


def test_forward_and_one_training_step(small_top):
    rng = np.random.default_rng(0)
    x = inception_v3.preprocess_input(rng.integers(0, 256, (2,) + SMALL).astype(np.float32))
    assert_classifies_and_trains(small_top, x, [0, 2])


def test_bad_arguments_and_offline_imagenet(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="at least 75x75"):
        A.InceptionV3(weights=None, include_top=False, input_shape=(74, 80, 3))
    with pytest.raises(ValueError, match=r"\(299, 299, 3\)"):
        A.InceptionV3(weights="imagenet", input_shape=(150, 150, 3))
    with pytest.raises(ValueError, match="classes must be 1000"):
        A.InceptionV3(weights="imagenet", classes=10)
    monkeypatch.setenv("PYENGINE_HOME", str(tmp_path))
    with pytest.raises(ValueError, match="inception_v3_weights_tf_dim_ordering_tf_kernels_notop"):
        A.InceptionV3(include_top=False)


def test_preprocess_input_is_tf_mode():
    x = np.random.default_rng(1).integers(0, 256, (2, 4, 4, 3)).astype(np.float32)
    np.testing.assert_allclose(inception_v3.preprocess_input(x), x / 127.5 - 1.0, rtol=1e-6)
    assert inception_v3.decode_predictions is A.resnet50.decode_predictions
