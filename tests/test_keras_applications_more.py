"""keras.applications MobileNetV3Small / Large, EfficientNetV2B0 ... L, ConvNeXtTiny ... XLarge,
InceptionResNetV2: Keras' parameter counts, layer names, the in-model preprocessing, pooling heads,
a forward pass and one training step at a small size, whole-model save / load, the offline
'imagenet' error and bad arguments. Counts too slow to build here were checked by hand:
EfficientNetV2B1 8,212,124, B2 10,178,374, B3 14,467,622, M 54,431,388, L 119,027,848 (1.5-10 s
each to build)."""
import numpy as np
import pytest

from pyengine import keras
from pyengine.keras import applications as A
from pyengine.keras.applications import efficientnet_v2, mobilenet_v3
from keras_application_checks import assert_classifies_and_trains, assert_save_load_predicts_same

SMALL = (32, 32, 3)
B0_BASE = 5_919_312  # EfficientNetV2B0(include_top=False); 7,200,312 with the 1000-class top


def _images(n=2, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n,) + SMALL).astype(np.float32)


# ---- MobileNetV3 ---------------------------------------------------------------------------------

@pytest.mark.parametrize("build,top,notop,n_weights", [
    (A.MobileNetV3Small, 2_554_968, 939_120, 210), (A.MobileNetV3Large, 5_507_432, 2_996_352, 266)])
def test_mobilenet_v3_counts(build, top, notop, n_weights):
    model = build(weights=None)
    assert model.count_params() == top and len(model.weights) == n_weights
    assert model.name == build.__name__ and model.inputs[0].shape == (None, None, None, 3)
    assert build(weights=None, include_top=False).count_params() == notop


@pytest.mark.parametrize("kwargs,params", [
    (dict(minimalistic=True), 2_056_848), (dict(alpha=0.75), 2_051_552)])
def test_mobilenet_v3_small_width_and_minimalistic(kwargs, params):
    model = A.MobileNetV3Small(weights=None, input_shape=SMALL, **kwargs)
    assert model.count_params() == params
    names = {layer.name for layer in model.layers}
    # minimalistic: no squeeze-and-excitation, no 5x5 kernels
    assert ("expanded_conv_3_squeeze_excite_mul" in names) != bool(kwargs.get("minimalistic"))
    kernel = model.get_layer("expanded_conv_3_depthwise").depthwise_kernel.shape
    assert tuple(kernel[:2]) == ((3, 3) if kwargs.get("minimalistic") else (5, 5))


def test_mobilenet_v3_layers_preprocessing_and_training():
    model = A.MobileNetV3Small(weights=None, input_shape=SMALL, classes=3)
    names = [layer.name for layer in model.layers]
    assert names[2:4] == ["conv", "conv_bn"]
    assert {"expanded_conv_depthwise_pad", "expanded_conv_squeeze_excite_conv_1",
            "expanded_conv_1_expand_bn", "expanded_conv_10_add", "conv_1", "conv_2",
            "logits"} <= set(names)
    assert names[-1] == "predictions"
    x = _images()
    # pixels in [0, 255] -> [-1, 1] inside the model, then the stem sees them
    scaled = keras.Model(model.inputs, model.layers[1].output).predict(x, verbose=0)
    np.testing.assert_allclose(scaled, x / 127.5 - 1.0, rtol=1e-6, atol=1e-6)
    assert_classifies_and_trains(model, x, [0, 2])
    plain = A.MobileNetV3Large(weights=None, input_shape=SMALL, include_preprocessing=False,
                               include_top=False, pooling="max")
    assert plain.layers[1].name == "conv" and plain.outputs[0].shape == (None, 960)
    assert mobilenet_v3.preprocess_input(x) is x


def test_mobilenet_v3_squeeze_excite_gate_is_a_hard_sigmoid():
    model = A.MobileNetV3Small(weights=None, input_shape=SMALL, include_top=False)
    prefix = "expanded_conv_squeeze_excite_"
    probe = keras.Model(model.inputs, [model.get_layer(prefix + "conv_1").output,
                                       model.get_layer(prefix + "mul").input[0],
                                       model.get_layer(prefix + "mul").output])
    logits, features, gated = probe.predict(_images(), verbose=0)
    gate = np.clip(logits + 3.0, 0.0, 6.0) / 6.0  # relu6(x + 3) / 6, per channel
    np.testing.assert_allclose(gated, features * gate, rtol=1e-5, atol=1e-6)


def test_mobilenet_v3_save_load_and_errors(tmp_path, monkeypatch):
    model = A.MobileNetV3Large(weights=None, input_shape=SMALL, include_top=False,
                               pooling="avg")
    x = _images(1, seed=2)
    assert_save_load_predicts_same(model, tmp_path / "m.keras", x)
    monkeypatch.setenv("PYENGINE_HOME", str(tmp_path))
    with pytest.raises(ValueError, match="weights_mobilenet_v3_small_224_1.0_float_no_top_v2"):
        A.MobileNetV3Small(include_top=False, input_shape=(224, 224, 3))
    with pytest.raises(ValueError, match="alpha"):
        A.MobileNetV3Small(alpha=0.5)
    with pytest.raises(ValueError, match="at least 32x32"):
        A.MobileNetV3Small(weights=None, input_shape=(16, 64, 3))
    with pytest.raises(ValueError, match="pooling"):
        A.MobileNetV3Small(weights=None, include_top=False, pooling="sum")


# ---- EfficientNetV2 ------------------------------------------------------------------------------

@pytest.mark.parametrize("variant,params,n_weights", [("S", 21_612_360, 672)])
def test_efficientnet_v2_counts(variant, params, n_weights):
    # the count does not depend on the image size: a 32x32 top with 1000 classes has the count
    # at the default size and builds faster (a build runs the layers on an example input)
    model = getattr(A, "EfficientNetV2" + variant)(weights=None, input_shape=SMALL)
    assert model.count_params() == params and len(model.weights) == n_weights
    assert model.name == "efficientnetv2-" + variant.lower()
    x = _images()
    scaled = keras.Model(model.inputs, model.layers[1].output)
    if variant == "S":  # S / M / L: one Rescaling to [-1, 1]; B0..B3: the ImageNet statistics
        assert model.layers[2].name == "stem_conv"
        np.testing.assert_allclose(scaled.predict(x, verbose=0), x / 128.0 - 1.0, rtol=1e-6,
                                   atol=1e-6)
    else:
        assert type(model.layers[2]).__name__ == "Normalization"


def test_efficientnet_v2_b0_base():
    model = A.EfficientNetV2B0(weights=None, include_top=False)
    assert model.count_params() == B0_BASE and model.inputs[0].shape == (None, None, None, 3)
    assert len(model.weights) == 361 - 2  # Keras' 361 with the top (kernel, bias)


@pytest.fixture(scope="module")
def b0_small():
    return A.EfficientNetV2B0(weights=None, input_shape=SMALL, classes=3)


def test_efficientnet_v2_blocks_and_training(b0_small):
    model = b0_small
    names = [layer.name for layer in model.layers]
    assert model.count_params() == B0_BASE + 1280 * 3 + 3
    assert names[3:5] == ["stem_conv", "stem_bn"]
    assert [type(layer).__name__ for layer in model.layers[1:3]] == ["Rescaling", "Normalization"]
    # fused blocks: one full 3x3 convolution ('project_conv' when not expanding); MBConv blocks
    # from stage 4, with squeeze-and-excitation; the first block has no stochastic depth
    assert tuple(model.get_layer("block1a_project_conv").kernel.shape) == (3, 3, 32, 16)
    assert "block1a_project_activation" in names and "block2a_dwconv2" not in names
    assert {"block2b_drop", "block4a_dwconv2", "block4a_se_excite", "block6h_add"} <= set(names)
    assert model.get_layer("block2b_drop").rate == pytest.approx(0.2 * 2 / 21)  # 21 blocks
    assert names[-3:] == ["avg_pool", "top_dropout", "predictions"]
    assert_classifies_and_trains(model, _images(), [1, 2])


def test_efficientnet_v2_preprocessing(b0_small):
    x = _images()
    b0 = b0_small
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    np.testing.assert_allclose(keras.Model(b0.inputs, b0.layers[2].output).predict(x, verbose=0),
                               (x / 255.0 - mean) / std, rtol=1e-5, atol=1e-5)
    plain = A.EfficientNetV2B1(weights=None, input_shape=SMALL, include_top=False,
                               include_preprocessing=False, pooling="avg")
    assert plain.layers[1].name == "stem_conv" and plain.outputs[0].shape == (None, 1280)
    assert efficientnet_v2.preprocess_input(x) is x


def test_efficientnet_v2_save_load_and_errors(b0_small, tmp_path, monkeypatch):
    model = b0_small
    x = _images(1, seed=4)
    assert_save_load_predicts_same(model, tmp_path / "e.keras", x)
    monkeypatch.setenv("PYENGINE_HOME", str(tmp_path))
    with pytest.raises(ValueError, match="efficientnetv2-b0_notop.weights.npz"):
        A.EfficientNetV2B0(include_top=False, input_shape=SMALL)
    with pytest.raises(ValueError, match=r"\(384, 384, 3\)"):
        A.EfficientNetV2S(input_shape=(224, 224, 3))
    with pytest.raises(ValueError, match="at least 32x32"):
        A.EfficientNetV2B0(weights=None, include_top=False, input_shape=(16, 32, 3))


# ---- ConvNeXt ------------------------------------------------------------------------------------

TINY_BASE = 27_820_128  # ConvNeXtTiny(include_top=False); Keras: 28,589,128 with the top
# (Small 50,223,688, Base 88,591,464, Large 197,767,336, XLarge 350,196,968 with the top were
# checked by hand: 2.5-10 s to build each)


def test_convnext_tiny_base_on_any_image_size():
    # the stem and downsampling blocks are nested Sequentials; on a (None, None, 3) input the
    # spatial sizes stay unknown (its first examples are too short for 32x downsampling)
    model = A.ConvNeXtTiny(weights=None, include_top=False)
    assert model.count_params() == TINY_BASE and model.name == "convnext_tiny"
    assert model.outputs[0].shape == (None, None, None, 768)
    names = [layer.name for layer in model.layers]
    assert names[1:3] == ["convnext_tiny_prestem_normalization", "convnext_tiny_stem"]
    assert type(model.get_layer("convnext_tiny_downsampling_block_2")).__name__ == "Sequential"
    assert {"convnext_tiny_stage_2_block_8_depthwise_conv", "convnext_tiny_stage_3_block_2_gelu",
            "convnext_tiny_stage_0_block_0_layer_scale",
            "convnext_tiny_stage_0_block_0_identity"} <= set(names)
    assert model.predict(np.zeros((1, 64, 64, 3), np.float32), verbose=0).shape == (1, 2, 2, 768)


def test_convnext_top_trains_reloads_and_drops_paths(tmp_path, monkeypatch):
    # Keras' builder with tiny widths (Tiny's 28.6M weights take seconds to save): the same
    # layers as every variant
    from pyengine.keras.applications.convnext import ConvNeXt, StochasticDepth
    model = ConvNeXt([1, 1, 2, 1], [8, 16, 24, 32], drop_path_rate=0.3, name="mini",
                     input_shape=SMALL, classes=3)
    assert [layer.name for layer in model.layers][-3:] == [
        "mini_head_gap", "mini_head_layernorm", "mini_head_dense"]
    x = _images()
    # pixels normalised by the ImageNet statistics (x 255) inside the model
    pre = keras.Model(model.inputs, model.layers[1].output).predict(x, verbose=0)
    mean = 255 * np.array([0.485, 0.456, 0.406])
    np.testing.assert_allclose(pre, (x - mean) / (255 * np.array([0.229, 0.224, 0.225])),
                               rtol=1e-5, atol=1e-5)
    scale = model.get_layer("mini_stage_1_block_0_layer_scale")
    np.testing.assert_allclose(scale.gamma.numpy(), np.full(16, 1e-6, np.float32))
    rates = [model.get_layer(f"mini_stage_{i}_block_{j}_stochastic_depth").drop_path_rate
             for i, j in ((1, 0), (2, 0), (2, 1), (3, 0))]
    np.testing.assert_allclose(rates, np.linspace(0, 0.3, 5)[1:])  # block 0 has none
    assert "mini_stage_0_block_0_identity" in [layer.name for layer in model.layers]
    assert_classifies_and_trains(model, x, [2, 0])
    assert_save_load_predicts_same(model, tmp_path / "c.keras", x)
    pooled = ConvNeXt([1, 1, 1, 1], [8, 16, 24, 32], name="mini2", input_shape=SMALL,
                      include_top=False, pooling="avg")
    assert pooled.outputs[0].shape == (None, 32)  # pooled, then LayerNormalization as Keras
    assert type(pooled.layers[-1]).__name__ == "LayerNormalization"

    drop = StochasticDepth(0.5, seed=1)
    x = np.ones((64, 2, 2, 3), np.float32)
    assert np.array_equal(drop(x).numpy(), x)  # inference: the identity
    out = drop(x, training=True).numpy()
    kept = out.reshape(64, -1).max(1)
    assert set(np.unique(out)) <= {0.0, 2.0} and 10 < (kept > 0).sum() < 54
    assert (out.reshape(64, -1).min(1) == kept).all()  # whole samples kept or dropped
    monkeypatch.setenv("PYENGINE_HOME", str(tmp_path))
    with pytest.raises(ValueError, match="convnext_small_notop.weights.npz"):
        A.ConvNeXtSmall(include_top=False)
    with pytest.raises(ValueError, match="pooling"):
        A.ConvNeXtTiny(weights=None, include_top=False, pooling="min")


# ---- InceptionResNetV2 ---------------------------------------------------------------------------

def test_inception_resnet_v2():
    model = A.InceptionResNetV2(weights=None, input_shape=(75, 75, 3), classes=3)
    # Keras: 55,873,736 with the 1000-class top, 54,336,736 without
    assert model.count_params() == 54_336_736 + 1536 * 3 + 3 and len(model.weights) == 898
    names = [layer.name for layer in model.layers]
    assert {"mixed_5b", "block35_10_mixed", "block35_10_conv", "block35_10_ac", "mixed_6a",
            "block17_20_conv", "mixed_7a", "block8_9_ac", "block8_10_conv", "conv_7b",
            "conv_7b_bn", "conv_7b_ac"} <= set(names)
    assert "block8_10_ac" not in names and names[-2:] == ["avg_pool", "predictions"]
    assert model.get_layer("conv_7b_bn").gamma is None  # BatchNormalization(scale=False)
    # a residual block adds scale * its projected branches to its input
    block = model.get_layer("block17_3_ac").input._keras_history[0]
    assert type(block).__name__ == "CustomScaleLayer" and block.scale == pytest.approx(0.1)
    x = np.random.default_rng(5).uniform(-1, 1, (2, 75, 75, 3)).astype(np.float32)
    # fine-tuning from the Inception-ResNet-C blocks on (the whole network's backward and Adam
    # over 54M weights take seconds)
    for layer in model.layers[:names.index("mixed_7a") + 1]:
        layer.trainable = False
    before = model.get_layer("block8_1_conv").kernel.numpy().copy()
    assert_classifies_and_trains(model, x, [0, 1])
    assert not np.allclose(model.get_layer("block8_1_conv").kernel.numpy(), before)
    with pytest.raises(ValueError, match="at least 75x75"):
        A.InceptionResNetV2(weights=None, include_top=False, input_shape=(74, 80, 3))
    from pyengine.keras.applications import inception_resnet_v2
    np.testing.assert_allclose(inception_resnet_v2.preprocess_input(np.array([0.0, 255.0])),
                               [-1.0, 1.0])


# ---- NASNet --------------------------------------------------------------------------------------

def test_nasnet_mobile(tmp_path, monkeypatch):
    # Keras: NASNetMobile 5,326,716 with the 1000-class top, 4,269,716 without; NASNetLarge
    # 88,949,818 (checked by hand: 7 s to build)
    model = A.NASNetMobile(weights=None, input_shape=SMALL, classes=3)
    assert model.count_params() == 4_269_716 + 1056 * 3 + 3 and len(model.weights) == 1126
    assert model.name == "NASNet"
    names = [layer.name for layer in model.layers]
    # the stem cells, 3 x 4 normal cells numbered as Keras (0-3, 5-8, 9-12), 2 reductions
    concat = [n for n in names if "_concat_" in n]
    assert concat == ["reduction_concat_stem_1", "reduction_concat_stem_2"] + \
        [f"normal_concat_{i}" for i in range(4)] + ["reduction_concat_reduce_4"] + \
        [f"normal_concat_{i}" for i in range(5, 9)] + ["reduction_concat_reduce_8"] + \
        [f"normal_concat_{i}" for i in range(9, 13)]
    # the older input is halved after each reduction, projected where only its width differs
    assert {"adjust_conv_1_stem_2", "adjust_conv_2_0", "adjust_conv_1_5", "adjust_conv_1_9",
            "adjust_conv_projection_1", "separable_conv_1_pad_reduction_left1_stem_1",
            "reduction_left4_reduce_8", "separable_conv_2_bn_reduction_left4_reduce_8",
            "normal_add_5_12"} <= set(names)
    assert "adjust_conv_1_6" not in names and names[-1] == "predictions"
    x = np.random.default_rng(6).uniform(-1, 1, (2,) + SMALL).astype(np.float32)
    assert_classifies_and_trains(model, x, [2, 1])
    assert_save_load_predicts_same(model, tmp_path / "n.keras", x)
    with pytest.raises(NotImplementedError, match="known input size"):
        A.NASNetLarge(weights=None, include_top=False)
    monkeypatch.setenv("PYENGINE_HOME", str(tmp_path))
    with pytest.raises(ValueError, match="nasnet_mobile_no_top.weights.npz"):
        A.NASNetMobile(include_top=False)
    with pytest.raises(ValueError, match="static"):
        A.NASNetMobile(include_top=False, input_shape=(None, None, 3))
