"""ConvNeXtTiny / Small / Base / Large / XLarge (Liu et al. 2022) as keras.applications builds
them: the ImageNet normalisation inside the model ('<name>_prestem_normalization', a Normalization
of pixels in [0, 255]), a patchify stem and three downsampling blocks as nested Sequential models
('<name>_stem', '<name>_downsampling_block_0' ...), stages of ConvNeXt blocks (7x7 depthwise
convolution, LayerNormalization, two pointwise Dense layers around a GELU, LayerScale, stochastic
depth; '<name>_stage_0_block_0_depthwise_conv' ...), then a head of pooling, LayerNormalization
and Dense ('<name>_head_dense'). Without the top, as Keras, a LayerNormalization follows the
optional pooling. 28,589,128 parameters for Tiny with the top. preprocess_input is the
identity."""
import numpy as np

from .. import initializers, layers
from ..layers.augmentation import BaseRandomLayer
from ..layers.base import Layer
from ..saving import register_keras_serializable
from ..sequential import Sequential
from . import common

# variant: (depths, projection dims); every variant's default size is 224
_CONFIGS = {"tiny": ([3, 3, 9, 3], [96, 192, 384, 768]),
            "small": ([3, 3, 27, 3], [96, 192, 384, 768]),
            "base": ([3, 3, 27, 3], [128, 256, 512, 1024]),
            "large": ([3, 3, 27, 3], [192, 384, 768, 1536]),
            "xlarge": ([3, 3, 27, 3], [256, 512, 1024, 2048])}


@register_keras_serializable(package="pyengine_applications")
class StochasticDepth(BaseRandomLayer):
    """Drops the whole residual branch of a sample with probability drop_path_rate in training
    (the kept ones scaled by 1 / (1 - rate)); the identity in inference."""

    def __init__(self, drop_path_rate, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if not 0.0 <= float(drop_path_rate) < 1.0:
            raise ValueError(f"[StochasticDepth] drop_path_rate must be in [0, 1). Received: "
                             f"drop_path_rate={drop_path_rate}")
        self.drop_path_rate = float(drop_path_rate)

    def call(self, x, training=None):
        if not training or self.drop_path_rate == 0.0:
            return x
        keep = 1.0 - self.drop_path_rate
        mask = np.floor(keep + self.rng().random((x.shape[0],) + (1,) * (x.ndim - 1)))
        return x * (mask / keep).astype(np.float32)

    def get_config(self):
        return {**super().get_config(), "drop_path_rate": self.drop_path_rate}


@register_keras_serializable(package="pyengine_applications")
class LayerScale(Layer):
    """x * gamma, one trainable scale per channel, gamma initialised to init_values."""

    def __init__(self, init_values, projection_dim, **kwargs):
        super().__init__(**kwargs)
        self.init_values = float(init_values)
        self.projection_dim = int(projection_dim)

    def build(self, input_shape):
        self.gamma = self.add_weight((self.projection_dim,),
                                     initializers.Constant(self.init_values), name="gamma")

    def call(self, x):
        return x * self.gamma

    def get_config(self):
        return {**super().get_config(), "init_values": self.init_values,
                "projection_dim": self.projection_dim}


def convnext_block(x, projection_dim, drop_path_rate=0.0, layer_scale_init_value=1e-6, name=""):
    inputs = x
    x = layers.Conv2D(projection_dim, 7, padding="same", groups=projection_dim,
                      name=name + "_depthwise_conv")(x)
    x = layers.LayerNormalization(epsilon=1e-6, name=name + "_layernorm")(x)
    x = layers.Dense(4 * projection_dim, name=name + "_pointwise_conv_1")(x)
    x = layers.Activation("gelu", name=name + "_gelu")(x)
    x = layers.Dense(projection_dim, name=name + "_pointwise_conv_2")(x)
    if layer_scale_init_value is not None:
        x = LayerScale(layer_scale_init_value, projection_dim, name=name + "_layer_scale")(x)
    if drop_path_rate:
        x = StochasticDepth(drop_path_rate, name=name + "_stochastic_depth")(x)
    else:
        x = layers.Activation("linear", name=name + "_identity")(x)
    return inputs + x


def ConvNeXt(depths, projection_dims, drop_path_rate=0.0, layer_scale_init_value=1e-6,
             default_size=224, name="convnext", include_preprocessing=True, include_top=True,
             weights=None, input_tensor=None, input_shape=None, pooling=None, classes=1000,
             classifier_activation="softmax", weights_name=None):
    """The shared builder (Keras' arguments)."""
    if len(depths) != 4 or len(projection_dims) != 4:
        raise ValueError(f"[{name}] depths and projection_dims need 4 entries (one per stage). "
                         f"Received: depths={depths}, projection_dims={projection_dims}")
    inputs, shape, weights_file = common.begin(
        name, weights=weights, include_top=include_top, classes=classes, pooling=pooling,
        classifier_activation=classifier_activation, input_shape=input_shape,
        input_tensor=input_tensor, default_size=default_size, min_size=32, weights_stem=name)

    x = inputs
    if include_preprocessing and shape[-1] == 3:
        x = layers.Normalization(mean=[0.485 * 255, 0.456 * 255, 0.406 * 255],
                                 variance=[(0.229 * 255) ** 2, (0.224 * 255) ** 2,
                                           (0.225 * 255) ** 2],
                                 name=name + "_prestem_normalization")(x)
    downsampling = [Sequential([
        layers.Conv2D(projection_dims[0], 4, strides=4, name=name + "_stem_conv"),
        layers.LayerNormalization(epsilon=1e-6, name=name + "_stem_layernorm")],
        name=name + "_stem")]
    for i in range(3):
        downsampling.append(Sequential([
            layers.LayerNormalization(epsilon=1e-6, name=f"{name}_downsampling_layernorm_{i}"),
            layers.Conv2D(projection_dims[i + 1], 2, strides=2,
                          name=f"{name}_downsampling_conv_{i}")],
            name=f"{name}_downsampling_block_{i}"))
    # the stochastic depth rate grows linearly from 0 over all blocks
    rates = [float(r) for r in np.linspace(0.0, drop_path_rate, sum(depths))]
    cur = 0
    for i in range(4):
        x = downsampling[i](x)
        for j in range(depths[i]):
            x = convnext_block(x, projection_dims[i], rates[cur + j], layer_scale_init_value,
                               name=f"{name}_stage_{i}_block_{j}")
        cur += depths[i]

    if include_top:
        x = layers.GlobalAveragePooling2D(name=name + "_head_gap")(x)
        x = layers.LayerNormalization(epsilon=1e-6, name=name + "_head_layernorm")(x)
        x = layers.Dense(classes, activation=classifier_activation,
                         name=name + "_head_dense")(x)
    else:
        if pooling == "avg":
            x = layers.GlobalAveragePooling2D()(x)
        elif pooling == "max":
            x = layers.GlobalMaxPooling2D()(x)
        x = layers.LayerNormalization(epsilon=1e-6)(x)
    return common.finish(inputs, x, name, weights, weights_file)


def _variant(key):
    depths, dims = _CONFIGS[key]
    public = "ConvNeXt" + ("XLarge" if key == "xlarge" else key.capitalize())

    def build(include_top=True, include_preprocessing=True, weights="imagenet",
              input_tensor=None, input_shape=None, pooling=None, classes=1000,
              classifier_activation="softmax", name=f"convnext_{key}"):
        return ConvNeXt(depths, dims, 0.0, 1e-6, 224, name=name, include_top=include_top,
                        include_preprocessing=include_preprocessing, weights=weights,
                        input_tensor=input_tensor, input_shape=input_shape, pooling=pooling,
                        classes=classes, classifier_activation=classifier_activation,
                        weights_name=f"convnext_{key}")
    build.__name__ = build.__qualname__ = public
    build.__doc__ = (f"{public}: depths {depths}, widths {dims}, 224x224 by default; inputs "
                     f"are pixels in [0, 255].")
    return build


ConvNeXtTiny, ConvNeXtSmall, ConvNeXtBase, ConvNeXtLarge, ConvNeXtXLarge = (
    _variant(k) for k in ("tiny", "small", "base", "large", "xlarge"))


def preprocess_input(x, data_format=None):
    """The identity, as Keras: ConvNeXt normalises inside the model."""
    return x


decode_predictions = common.decode_predictions
