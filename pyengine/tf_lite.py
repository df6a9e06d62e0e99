"""tf.lite: TensorFlow Lite conversion (keras-io MobileViT ends with
`tf.lite.TFLiteConverter.from_saved_model(...)`). pyengine writes no SavedModel and has no
TFLite converter, so every name here raises, saying what exists instead."""


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise NotImplementedError(
        f"[tf.lite.{name}] TensorFlow Lite conversion is not supported: pyengine has no "
        "SavedModel / TFLite converter. Export ONNX with pyengine.onnx.export(model, "
        "example_input, 'model.onnx'), or save with model.save('file.keras')")
