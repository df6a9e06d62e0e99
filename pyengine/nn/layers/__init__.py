"""Layer modules, one file per family."""
from .activation import (ELU, GELU, Hardtanh, LeakyReLU, LogSoftmax, ReLU, ReLU6, Sigmoid, SiLU,
                         Softmax, Softplus, Tanh)
from .container import ModuleDict, ModuleList, Sequential
from .conv import Conv1d, Conv2d
from .dropout import Dropout, Dropout1d, Dropout2d, Dropout3d
from .embedding import Embedding
from .linear import Flatten, Identity, Linear, Unflatten
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from .pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell

__all__ = [
    "AdaptiveAvgPool2d",
    "AvgPool2d",
    "BatchNorm1d",
    "BatchNorm2d",
    "Conv1d",
    "Conv2d",
    "Dropout",
    "Dropout1d",
    "Dropout2d",
    "Dropout3d",
    "ELU",
    "Embedding",
    "Flatten",
    "GELU",
    "GRU",
    "GRUCell",
    "Hardtanh",
    "Identity",
    "LSTM",
    "LSTMCell",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MaxPool2d",
    "ModuleDict",
    "ModuleList",
    "RNN",
    "RNNBase",
    "RNNCell",
    "ReLU",
    "ReLU6",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Tanh",
    "Unflatten",
]

# Transposed convolution, resampling and PReLU (issue 15's image models).
from .prelu import PReLU  # noqa: E402
from .conv_transpose import ConvTranspose1d, ConvTranspose2d  # noqa: E402
from .upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d  # noqa: E402

__all__ += ["ConvTranspose1d", "ConvTranspose2d", "PReLU", "Upsample", "UpsamplingBilinear2d", "UpsamplingNearest2d"]

# Attention and Transformer layers (issue 11 item 6: held-out PyTorch example programs).
from .attention import MultiheadAttention  # noqa: E402
from .transformer import (Transformer, TransformerDecoder, TransformerDecoderLayer,  # noqa: E402
                          TransformerEncoder, TransformerEncoderLayer)

__all__ += ["MultiheadAttention", "Transformer", "TransformerDecoder", "TransformerDecoderLayer",
            "TransformerEncoder", "TransformerEncoderLayer"]

# Padding, pixel shuffle and instance norm (issue 11: fast_neural_style, super_resolution).
from .padding import (ConstantPad1d, ConstantPad2d, PixelShuffle, PixelUnshuffle,  # noqa: E402
                      ReflectionPad1d, ReflectionPad2d, ReplicationPad1d, ReplicationPad2d,
                      ZeroPad2d)
from .padding import (CircularPad1d, CircularPad2d, CircularPad3d, ConstantPad3d,  # noqa: E402
                      ReflectionPad3d, ReplicationPad3d, ZeroPad1d, ZeroPad3d)
from .instancenorm import InstanceNorm1d, InstanceNorm2d  # noqa: E402

__all__ += ["ConstantPad1d", "ConstantPad2d", "InstanceNorm1d", "InstanceNorm2d", "PixelShuffle",
            "PixelUnshuffle", "ReflectionPad1d", "ReflectionPad2d", "ReplicationPad1d",
            "ReplicationPad2d", "ZeroPad2d", "CircularPad1d", "CircularPad2d", "CircularPad3d",
            "ConstantPad3d", "ReflectionPad3d", "ReplicationPad3d", "ZeroPad1d", "ZeroPad3d"]
from .instancenorm import InstanceNorm3d  # noqa: E402

__all__ += ["InstanceNorm3d"]
from .conv3d import AvgPool3d, Conv3d, MaxPool3d  # noqa: E402

__all__ += ["AvgPool3d", "Conv3d", "MaxPool3d"]

# EmbeddingBag, adaptive max pooling, LocalResponseNorm, Unfold / Fold (docs/nn_more.md).
from .embedding_bag import EmbeddingBag  # noqa: E402
from .adaptive_pool import AdaptiveAvgPool1d, AdaptiveMaxPool1d, AdaptiveMaxPool2d  # noqa: E402
from .local_response_norm import LocalResponseNorm  # noqa: E402
from .fold import Fold, Unfold  # noqa: E402

__all__ += ["AdaptiveAvgPool1d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "EmbeddingBag", "Fold",
            "LocalResponseNorm", "Unfold"]
