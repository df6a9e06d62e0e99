"""The API patterns of the public programs helper 'hf' ran (docs/public_examples.md): a class
activation map model made from a keras.applications network, as keras-team/keras
examples/class_activation_maps.py builds it for InceptionResNetV2 and NASNetLarge: the last
convolution's output looked up by its Keras name, bilinearly upsampled 32x, and a 1x1 Conv2D given
the classifier's Dense weights; one model with both outputs. Original test code, tiny sizes."""
import numpy as np

from pyengine.keras import applications as A
from pyengine.keras.layers import Conv2D, UpSampling2D
from pyengine.keras.models import Model

N_CLASSES = 5


def _cam_model(model, last_conv_layer, pred_layer="predictions"):
    kernel, bias = model.get_layer(pred_layer).get_weights()
    features = model.get_layer(last_conv_layer).output
    x = UpSampling2D(size=(32, 32), interpolation="bilinear")(features)
    x = Conv2D(N_CLASSES, (1, 1), name="predictions_2")(x)
    cam = Model(inputs=model.input, outputs=[model.output, x])
    cam.get_layer("predictions_2").set_weights((kernel.reshape(1, 1, -1, N_CLASSES), bias))
    return cam


def test_inception_resnet_v2_class_activation_map():
    model = A.InceptionResNetV2(input_shape=(75, 75, 3), weights=None, classes=N_CLASSES)
    cam = _cam_model(model, "conv_7b_ac")
    assert cam.output_shape == [(None, N_CLASSES), (None, 32, 32, N_CLASSES)]
    pixels = np.random.default_rng(0).uniform(0, 255, (1, 75, 75, 3)).astype(np.float32)
    from pyengine.keras.applications import inception_resnet_v2
    images = inception_resnet_v2.preprocess_input(pixels)
    np.testing.assert_allclose(images, pixels / 127.5 - 1.0, rtol=1e-6, atol=1e-6)
    preds, maps = cam.predict(images, verbose=0)
    np.testing.assert_allclose(preds, model.predict(images, verbose=0), rtol=1e-5, atol=1e-6)
    # the head is global average pooling then Dense, both linear: each class map's mean (the
    # bilinear upsampling of a 1x1 map is constant) is that class's logit, whose softmax is preds
    logits = maps.mean(axis=(1, 2))
    soft = np.exp(logits - logits.max(1, keepdims=True))
    np.testing.assert_allclose(soft / soft.sum(1, keepdims=True), preds, rtol=1e-4, atol=1e-6)


def test_nasnet_class_activation_map_by_default_names():
    model = A.NASNetMobile(input_shape=(64, 64, 3), weights=None, classes=N_CLASSES)
    # the last relu is the only unnamed layer after the final normal cell: its Keras 3 default
    # name is 'activation_<k>' for the number of unnamed Activation layers before it
    acts = [layer for layer in model.layers if type(layer).__name__ == "Activation"]
    unnamed = [layer.name for layer in acts if layer.name.startswith("activation")]
    last = model.get_layer("predictions").input._keras_history[0]  # the pooling layer
    relu = last.input._keras_history[0]
    numbers = sorted(0 if n == "activation" else int(n.rsplit("_", 1)[1]) for n in unnamed)
    # consecutive numbers, made in building order (the last relu last): the named ones
    # ('adjust_relu_1_stem_2' ...) take none, as in Keras
    assert numbers == list(range(numbers[0], numbers[0] + len(unnamed)))
    assert relu.name == f"activation_{numbers[-1]}"
    # the four named ones: adjust_relu_1_stem_2 / _0 / _5 / _9, where a cell halves the older input
    assert sorted(set(layer.name for layer in acts) - set(unnamed)) == [
        "adjust_relu_1_0", "adjust_relu_1_5", "adjust_relu_1_9", "adjust_relu_1_stem_2"]
    cam = _cam_model(model, relu.name)
    x = np.random.default_rng(1).uniform(-1, 1, (1, 64, 64, 3)).astype(np.float32)
    preds, maps = cam.predict(x, verbose=0)
    assert maps.shape == (1, 64, 64, N_CLASSES)  # 2x2 features, upsampled 32x
    # the classifier pools the 2x2 features; half-pixel bilinear upsampling weighs the two
    # pixels of a row symmetrically, so each class map's mean is again that class's logit
    features = Model(model.input, relu.output).predict(x, verbose=0)
    kernel, bias = model.get_layer("predictions").get_weights()
    logits = features.mean(axis=(1, 2)) @ kernel + bias
    soft = np.exp(logits - logits.max())
    np.testing.assert_allclose(soft / soft.sum(), preds, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(maps[0].reshape(-1, N_CLASSES).mean(0), logits[0], rtol=1e-4,
                               atol=1e-5)
