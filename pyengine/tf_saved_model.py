"""tf.saved_model: TensorFlow's SavedModel format needs TensorFlow's runtime, which pyengine
does not have; save / load raise naming pyengine's own formats (Keras' migration guide calls
tf.saved_model.save(model, path)) rather than failing on a missing name."""


def _unsupported(op, path):
    raise NotImplementedError(
        f"[saved_model.{op}] cannot {op} the TensorFlow SavedModel {path!r}: pyengine has no "
        "TensorFlow runtime. Use model.save('file.keras') with keras.models.load_model, or "
        "pyengine.onnx.export(model, example_input, 'model.onnx') for ONNX")


def save(obj, export_dir, signatures=None, options=None):
    _unsupported("save", export_dir)


def load(export_dir, tags=None, options=None):
    _unsupported("load", export_dir)
