"""What the application builders share: Keras' input-shape rules, the weights argument, the
pooling head, and the ImageNet preprocessing modes."""
import os

import numpy as np

from .. import layers
from ..model import Model
from ...tensor import Tensor
from ..symbolic import get_source_inputs, is_symbolic, symbolic_op


def models_dir():
    """$PYENGINE_HOME/models (default ~/.pyengine/models): where weights='imagenet' looks."""
    home = os.environ.get("PYENGINE_HOME", os.path.join(os.path.expanduser("~"), ".pyengine"))
    return os.path.join(home, "models")


def check_weights(weights, include_top, classes, name):
    if not (weights in (None, "imagenet") or isinstance(weights, (str, os.PathLike))):
        raise ValueError(f"[{name}] weights must be None, 'imagenet' or the path of a weights "
                         f"file. Received: weights={weights!r}")
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(f"[{name}] with weights='imagenet' and include_top=True, classes must "
                         f"be 1000. Received: classes={classes}")
    if isinstance(classes, bool) or not isinstance(classes, (int, np.integer)) or classes < 1:
        raise ValueError(f"[{name}] classes must be a positive int. Received: classes={classes!r}")


def check_pooling(pooling, name):
    if pooling not in (None, "avg", "max"):
        raise ValueError(f"[{name}] pooling must be None, 'avg' or 'max'. Received: "
                         f"pooling={pooling!r}")


def validate_activation(classifier_activation, weights, include_top, name):
    """Keras' validate_activation: ImageNet weights come with a softmax (or no) classifier
    activation."""
    if weights == "imagenet" and include_top and classifier_activation not in (None, "softmax"):
        raise ValueError(f"[{name}] with ImageNet weights classifier_activation must be None or "
                         f"'softmax'. Received: classifier_activation={classifier_activation!r}")


def input_shape_for(input_shape, default_size, min_size, include_top, weights, name):
    """Keras' obtain_input_shape for channels_last: a flattening top needs known spatial sizes
    (the default size with ImageNet weights); every known side must be at least min_size."""
    if input_shape is None:
        return (default_size, default_size, 3) if include_top or weights == "imagenet" else \
            (None, None, 3)
    shape = tuple(input_shape)
    if len(shape) != 3:
        raise ValueError(f"[{name}] input_shape must be (height, width, channels). Received: "
                         f"input_shape={input_shape!r}")
    if weights == "imagenet":
        if shape[2] != 3:
            raise ValueError(f"[{name}] ImageNet weights need 3 input channels. Received: "
                             f"input_shape={input_shape!r}")
        if include_top and shape[:2] != (default_size, default_size):
            raise ValueError(f"[{name}] with include_top=True and ImageNet weights the input must "
                             f"be ({default_size}, {default_size}, 3). Received: "
                             f"input_shape={input_shape!r}")
    if include_top and (shape[0] is None or shape[1] is None):
        raise ValueError(f"[{name}] include_top=True needs a known image size. Received: "
                         f"input_shape={input_shape!r}")
    for s in shape[:2]:
        if s is not None and s < min_size:
            raise ValueError(f"[{name}] input size must be at least {min_size}x{min_size}. "
                             f"Received: input_shape={input_shape!r}")
    return shape


def begin(label, *, weights, include_top, classes, pooling, classifier_activation, input_shape,
          input_tensor, default_size, min_size, weights_stem, notop="_notop"):
    """What every builder does before its first layer, in Keras' order: check weights / classes,
    pooling and the input shape, name the weights file (weights_stem + notop without the top),
    check the classifier activation, look for ImageNet weights (a missing file fails before the
    network is built) and make the Input. label names the builder in the errors. Returns
    (inputs, shape, weights_file)."""
    check_weights(weights, include_top, classes, label)
    check_pooling(pooling, label)
    shape = input_shape_for(input_shape, default_size, min_size, include_top, weights, label)
    weights_file = weights_stem + ("" if include_top else notop) + ".weights.npz"
    validate_activation(classifier_activation, weights, include_top, label)
    if weights == "imagenet":
        imagenet_weights_path(label, weights_file)
    return inputs_for(input_tensor, shape), shape, weights_file


def inputs_for(input_tensor, shape):
    return layers.Input(shape=shape) if input_tensor is None else input_tensor


def pooled_head(x, include_top, pooling, classes, classifier_activation, avg_name=None):
    if include_top:
        x = layers.GlobalAveragePooling2D(name=avg_name)(x) if avg_name is not None else \
            layers.GlobalAveragePooling2D()(x)
        return layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name=avg_name)(x) if avg_name else \
            layers.GlobalAveragePooling2D()(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name="max_pool" if avg_name else None)(x) \
            if avg_name else layers.GlobalMaxPooling2D()(x)
    if pooling is not None:
        raise ValueError(f"pooling must be None, 'avg' or 'max'. Received: pooling={pooling!r}")
    return x


def correct_pad(x, kernel_size):
    """Keras' correct_pad: the ZeroPadding2D before a stride-2 'valid' convolution that makes it
    match TF's 'same' (one more row / column of zeros after than before on even sizes; an
    unknown size is treated as even). MobileNetV2 and EfficientNet use it."""
    h, w = x.shape[1], x.shape[2]
    adjust = (1, 1) if h is None or w is None else (1 - h % 2, 1 - w % 2)
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    return ((kh // 2 - adjust[0], kh // 2), (kw // 2 - adjust[1], kw // 2))


def imagenet_weights_path(name, weights_file):
    """Where weights='imagenet' is looked for; raises when missing (called before building, so
    a missing file costs no network allocation)."""
    path = os.path.join(models_dir(), weights_file)
    if not os.path.exists(path):
        raise ValueError(f"[{name}] weights='imagenet': pyengine downloads no weights. Save "
                         f"the ImageNet weights as a pyengine weights file "
                         f"(model.save_weights) at {path}, or pass weights=<path>, or "
                         f"weights=None for a fresh network")
    return path


def finish(inputs, outputs, name, weights, weights_file):
    # an input_tensor computed by earlier layers (Rescaling(...)(keras.Input(...))): the model
    # starts at the Inputs it comes from and holds those layers, as Keras' applications do
    # (get_source_inputs), so model.output connects to the caller's Input
    sources = get_source_inputs(inputs)
    inputs = sources[0] if len(sources) == 1 else sources
    model = Model(inputs, outputs, name=name)
    if weights == "imagenet":
        model.load_weights(imagenet_weights_path(name, weights_file))
    elif weights is not None:
        model.load_weights(os.fspath(weights))
    return model


def preprocess_input(x, mode, data_format=None):
    """ImageNet preprocessing of RGB images in [0, 255]: 'caffe' (BGR, minus the ImageNet channel
    means; VGG16, ResNet50), 'tf' (scaled to [-1, 1]; MobileNetV2, InceptionV3) or 'torch'
    (scaled to [0, 1], minus the ImageNet RGB means, over their standard deviations; DenseNet).
    data_format 'channels_last' (None: the default) has the channels on the last axis,
    'channels_first' on axis 1 of a batch (axis 0 of one 3-d image). A NumPy array (or list)
    gives a NumPy array; a Tensor a float32 Tensor (differentiable); a Keras symbolic tensor a
    node of the graph (keras-io DeepLabV3+: `preprocess_input(keras.Input(...))` feeds
    `ResNet50(input_tensor=...)`), as Keras does."""
    if is_symbolic(x):
        return symbolic_op(preprocess_input, x, mode, data_format=data_format,
                           name="preprocess_input")
    if data_format is None:
        data_format = "channels_last"
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"[preprocess_input] data_format must be 'channels_last' or "
                         f"'channels_first'. Received: data_format={data_format!r}")
    if isinstance(x, Tensor):
        x = x if x.dtype == "float32" else x.astype("float32")
    else:
        x = np.asarray(x, np.float32)
    if mode == "tf":
        return x / 127.5 - 1.0
    if mode not in ("caffe", "torch"):
        raise ValueError(f"[preprocess_input] mode must be 'caffe', 'tf' or 'torch'. Received: "
                         f"mode={mode!r}")
    axis = -1 if data_format == "channels_last" else (0 if x.ndim == 3 else 1)
    if x.shape[axis] != 3:
        raise ValueError(f"[preprocess_input] expects 3 (RGB) channels on axis {axis} for "
                         f"{data_format}, received shape {x.shape}")
    per_channel = (3,) + (1,) * (x.ndim - 1 - axis % x.ndim)  # broadcasts along `axis`
    if mode == "torch":
        mean = np.array([0.485, 0.456, 0.406], np.float32).reshape(per_channel)
        std = np.array([0.229, 0.224, 0.225], np.float32).reshape(per_channel)
        return (x / 255.0 - mean) / std
    mean = np.array([103.939, 116.779, 123.68], np.float32).reshape(per_channel)
    return (x.flip(axis % x.ndim) if isinstance(x, Tensor) else np.flip(x, axis)) - mean


def decode_predictions(preds, top=5):
    """[(class_id, class_name, score), ...] per row, from imagenet_class_index.json in
    $PYENGINE_HOME/models (pyengine downloads nothing: put the file there)."""
    import json
    path = os.path.join(models_dir(), "imagenet_class_index.json")
    if not os.path.exists(path):
        raise ValueError(f"[decode_predictions] needs the ImageNet class index at {path} "
                         f"(pyengine downloads nothing)")
    with open(path) as f:
        index = json.load(f)
    preds = np.asarray(getattr(preds, "data", preds))
    if preds.ndim != 2 or preds.shape[1] != 1000:
        raise ValueError(f"[decode_predictions] expects (samples, 1000) predictions, received "
                         f"shape {preds.shape}")
    out = []
    for row in preds:
        best = row.argsort()[-top:][::-1]
        out.append([tuple(index[str(i)]) + (float(row[i]),) for i in best])
    return out
