"""keras.config (Keras 3): the global settings a program may read or set. The image data
format is a real setting (layers given data_format=None follow it); floatx and epsilon are
fixed (float32 is the only compute dtype; epsilon is 1e-7) and setting another value raises;
the backend is pyengine's own."""
from .layers.data_format import image_data_format, set_image_data_format  # noqa: F401


def floatx():
    return "float32"


def set_floatx(value):
    if value != "float32":
        raise ValueError(f"[keras.config.set_floatx] only 'float32' is supported. Received: "
                         f"{value!r}")


def epsilon():
    return 1e-7


def set_epsilon(value):
    if float(value) != 1e-7:
        raise ValueError(f"[keras.config.set_epsilon] the fuzz factor is fixed at 1e-7. "
                         f"Received: {value!r}")


def backend():
    """The backend Keras 3 programs branch on. pyengine serves both TensorFlow's names (`import
    pyengine as tf`) and PyTorch's (`import pyengine as torch`), so it answers the one the
    program chose with KERAS_BACKEND when that is "tensorflow" or "torch", else "tensorflow":
    the branch a program takes then calls functions pyengine has (keras-io StyleGAN's training
    step raised for any other name; GRN / VSN returned None)."""
    import os
    chosen = os.environ.get("KERAS_BACKEND", "")
    return chosen if chosen in ("tensorflow", "torch") else "tensorflow"


# Keras 3 hides its own frames from tracebacks unless told not to (demo_functional.py calls
# disable_traceback_filtering() first). pyengine never filters tracebacks: disabling is what it
# always does, and asking for filtering is refused rather than silently ignored.
def is_traceback_filtering_enabled():
    return False


def disable_traceback_filtering():
    """Full tracebacks (pyengine's only behaviour)."""


def enable_traceback_filtering():
    raise NotImplementedError("[keras.config.enable_traceback_filtering] pyengine does not "
                              "filter tracebacks; they always show every frame")


from .mixed_precision import dtype_policy, set_dtype_policy  # noqa: E402,F401  (Keras 3)
