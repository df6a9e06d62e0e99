"""Keras layers by their Keras names (channels_last images)."""
from .base import Input, InputLayer, Layer
from .conv import (AveragePooling2D, AvgPool2D, Conv2D, GlobalAveragePooling2D,
                   GlobalAvgPool2D, GlobalMaxPool2D, GlobalMaxPooling2D, MaxPool2D,
                   MaxPooling2D)
from .core import (Activation, ActivityRegularization, Dense, Dropout, Flatten, Lambda,
                   LeakyReLU, ReLU, Reshape, Softmax)
from .merge import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract, add,
                    average, concatenate, dot, maximum, minimum, multiply, subtract)
from .normalization import BatchNormalization, Embedding, LayerNormalization
from .numeric_preprocessing import Identity, Normalization
from .rnn import GRU, LSTM, SimpleRNN
from .masking import Masking
from .wrappers import Bidirectional, RepeatVector, TimeDistributed
from .conv1d import (AveragePooling1D, AvgPool1D, Conv1D, GlobalAveragePooling1D,
                     GlobalAvgPool1D, GlobalMaxPool1D, GlobalMaxPooling1D, MaxPool1D,
                     MaxPooling1D)

# Image layers (issue 15): transposed / depthwise / separable convolution, resampling, noise,
# parameterised activations, preprocessing and augmentation.
from .advanced_activations import ELU, PReLU  # noqa: E402
from .augmentation import (RandomBrightness, RandomContrast, RandomCrop, RandomFlip,  # noqa: E402
                           RandomRotation, RandomTranslation, RandomZoom)
from .conv_depthwise import DepthwiseConv2D, SeparableConv2D  # noqa: E402
from .conv_transpose import Conv2DTranspose  # noqa: E402
from .image_preprocessing import CenterCrop, Rescaling, Resizing  # noqa: E402
from .noise import GaussianDropout, GaussianNoise, SpatialDropout2D  # noqa: E402
from .reshaping import Cropping2D, UpSampling2D, ZeroPadding2D  # noqa: E402

Convolution2DTranspose, SeparableConvolution2D = Conv2DTranspose, SeparableConv2D
Convolution1D, Convolution2D = Conv1D, Conv2D  # Keras 2 kept these aliases (e.g. cnn_seq2seq.py)

__all__ = [n for n in dir() if not n.startswith("_")]

# Attention layers and other names held-out Keras example programs import (issue 11 item 6).
from .attention import AdditiveAttention, Attention, MultiHeadAttention  # noqa: E402
from .group_unit_norm import GroupNormalization, UnitNormalization  # noqa: E402
from .permute import Permute  # noqa: E402

__all__ = [n for n in dir() if not n.startswith("_")]
from .einsum_dense import EinsumDense  # noqa: E402
from .random_fourier import RandomFourierFeatures  # noqa: E402

__all__ = [n for n in dir() if not n.startswith("_")]
# Vocabulary layers on Python / NumPy strings and ints (applied to the data, before the model)
from .text_lookup import IntegerLookup, StringLookup  # noqa: E402
from .text_vectorization import TextVectorization  # noqa: E402
from .conv1d_transpose import Conv1DTranspose, Convolution1DTranspose  # noqa: E402
__all__ = [n for n in dir() if not n.startswith("_")]

# 1-D reshaping / dropout layers (issue 11: names held-out Keras programs import).
from .noise import SpatialDropout1D  # noqa: E402
from .reshaping import Cropping1D, UpSampling1D, ZeroPadding1D  # noqa: E402

__all__ += ["Cropping1D", "SpatialDropout1D", "UpSampling1D", "ZeroPadding1D"]

# Categorical / numeric preprocessing layers (keras-io structured-data examples).
from .category_encoding import CategoryEncoding  # noqa: E402
from .discretization import Discretization  # noqa: E402
from .hashing import Hashing  # noqa: E402

__all__ += ["CategoryEncoding", "Discretization", "Hashing"]

# 3-D convolution and pooling (composed from the 2-D channels-last kernels).
from .conv3d import (AveragePooling3D, AvgPool3D, Conv3D, Convolution3D,  # noqa: E402
                     GlobalAveragePooling3D, GlobalAvgPool3D, GlobalMaxPool3D,
                     GlobalMaxPooling3D, MaxPool3D, MaxPooling3D)

__all__ += ["AveragePooling3D", "AvgPool3D", "Conv3D", "Convolution3D", "GlobalAveragePooling3D",
            "GlobalAvgPool3D", "GlobalMaxPool3D", "GlobalMaxPooling3D", "MaxPool3D",
            "MaxPooling3D"]
from .conv_lstm import ConvLSTM2D  # noqa: E402

__all__ += ["ConvLSTM2D"]
from .rnn_cells import GRUCell, LSTMCell, RNN, SimpleRNNCell, StackedRNNCells  # noqa: E402
__all__ += ["RNN", "SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells"]
# Feature crosses by hashing (keras.utils.FeatureSpace's crosses).
from .hashed_crossing import HashedCrossing  # noqa: E402

__all__ += ["HashedCrossing"]
# TF 2's `layers.experimental.preprocessing.X` alias namespace (and experimental.EinsumDense).
from . import experimental  # noqa: E402
from .saved_model_layer import TFSMLayer  # noqa: E402  (raises: no SavedModel runtime)
from .random_size import RandomHeight, RandomWidth  # noqa: E402  (TF 2's random resizing)

# 3-D reshaping / dropout, AlphaDropout, ThresholdedReLU (Keras 2), depthwise / separable 1-D
from .conv1d_depthwise import DepthwiseConv1D, SeparableConv1D  # noqa: E402
from .volume_layers import (AlphaDropout, Cropping3D, SpatialDropout3D,  # noqa: E402
                            ThresholdedReLU, UpSampling3D, ZeroPadding3D)

SeparableConvolution1D = SeparableConv1D
__all__ += ["AlphaDropout", "Cropping3D", "DepthwiseConv1D", "SeparableConv1D",
            "SeparableConvolution1D", "SpatialDropout3D", "ThresholdedReLU", "UpSampling3D",
            "ZeroPadding3D"]
# Keras 3's colour preprocessing layers and Pipeline (NumPy on the images)
from .color_layers import (AutoContrast, Equalization, Pipeline,  # noqa: E402
                           RandomColorJitter, RandomGrayscale, RandomHue, RandomSaturation,
                           Solarization)

__all__ += ["AutoContrast", "Equalization", "Pipeline", "RandomColorJitter", "RandomGrayscale",
            "RandomHue", "RandomSaturation", "Solarization"]
from .spectral_norm import SpectralNormalization  # noqa: E402

__all__ += ["SpectralNormalization"]
from .stft_spectrogram import STFTSpectrogram  # noqa: E402

__all__ += ["STFTSpectrogram"]


def serialize(layer):
    """keras.layers.serialize: the layer's {"module", "class_name", "config",
    "registered_name"} (keras.saving.serialize_keras_object)."""
    from ..saving_objects import serialize_keras_object
    from .base import Layer
    if not isinstance(layer, Layer):
        raise TypeError(f"[layers.serialize] expects a Layer. Received: {layer!r}")
    return serialize_keras_object(layer)


def deserialize(config, custom_objects=None):
    """keras.layers.deserialize: the layer a serialize() result describes."""
    from ..saving_objects import deserialize_keras_object
    layer = deserialize_keras_object(config, custom_objects)
    if not isinstance(layer, Layer):
        raise TypeError(f"[layers.deserialize] the config describes {type(layer).__name__}, "
                        "not a layer")
    return layer


__all__ += ["serialize", "deserialize"]
