"""keras.layers.TFSMLayer: Keras 3 wraps a TensorFlow SavedModel as a layer. pyengine has no
TensorFlow runtime to load one, so constructing it raises (rather than a missing name's
AttributeError), pointing at pyengine's own formats."""


class TFSMLayer:
    def __init__(self, filepath, *args, **kwargs):
        raise NotImplementedError(
            f"[TFSMLayer] cannot load the TensorFlow SavedModel {filepath!r}: pyengine has no "
            "TensorFlow runtime. Save with model.save('file.keras') and reload with "
            "keras.models.load_model")
