"""Neural-network building blocks (PyTorch-style): Module, Parameter, layers, init, functional."""
from . import functional
from . import init
from .module import Module, Parameter
from .parameter import UninitializedBuffer, UninitializedParameter  # noqa: F401
from .layers import *  # noqa: F401,F403

# losses, utils: added by their owners below this line
from . import utils
from . import attention  # torch.nn.attention: SDPBackend, sdpa_kernel
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss, NLLLoss,
                   SmoothL1Loss)
from .functional import softmax  # tf.nn.softmax(logits) in the TensorFlow quickstart
# tf.nn.* (`import pyengine as tf` makes tf.nn this module): TensorFlow's activation spellings,
# recording a graph node on Keras symbolic tensors; see pyengine/tf_names.py
from ..tf_names import symbolic_aware as _symbolic_aware  # noqa: E402
from ..tf_names import (nn_elu as elu, nn_gelu as gelu, nn_leaky_relu as leaky_relu,  # noqa: E402,F401
                        nn_log_softmax as log_softmax, nn_relu as relu, nn_sigmoid as sigmoid,
                        nn_silu as silu, nn_softplus as softplus, nn_tanh as tanh,
                        nn_moments as moments, nn_conv2d as conv2d, nn_dropout as dropout,
                        nn_embedding_lookup as embedding_lookup)
softmax = _symbolic_aware(softmax)  # noqa: F811
swish = silu  # tf.nn.swish is TensorFlow's other name of tf.nn.silu (keras-io MobileViT)
from ..tf_nn import (nn_bias_add as bias_add, nn_l2_loss as l2_loss,  # noqa: E402,F401
                     nn_compute_average_loss as compute_average_loss,
                     nn_scale_regularization_loss as scale_regularization_loss,
                     nn_sigmoid_cross_entropy_with_logits as sigmoid_cross_entropy_with_logits,
                     nn_softmax_cross_entropy_with_logits as softmax_cross_entropy_with_logits,
                     nn_sparse_softmax_cross_entropy_with_logits as
                     sparse_softmax_cross_entropy_with_logits)

# tf.nn.l2_normalize / top_k / pooling / transposed and depthwise convolutions / batch
# normalization / weighted cross-entropy (pyengine/tf_nn_more.py)
from ..tf_names import nn_l2_normalize as l2_normalize  # noqa: E402,F401
from ..tf_names_more import top_k  # noqa: E402,F401
from ..tf_nn_more import (avg_pool2d, batch_normalization, conv2d_transpose,  # noqa: E402,F401
                          depth_to_space, depthwise_conv2d, max_pool2d, space_to_depth,
                          weighted_cross_entropy_with_logits)
# tf.nn.max_pool / avg_pool (by rank), their 1-D forms, relu6 / selu / softsign
from ..tf_nn_more import (avg_pool, avg_pool1d, max_pool, max_pool1d,  # noqa: E402,F401
                          relu6, selu, softsign)

# More activations, distances, 1-D pooling, GroupNorm, parameter containers and losses
# (docs/nn_more.md).
from .layers.activation_more import (CELU, GLU, SELU, Hardshrink, Hardsigmoid,  # noqa: E402,F401
                                     Hardswish, LogSigmoid, Mish, Softmax2d, Softmin, Softshrink,
                                     Softsign, Tanhshrink, Threshold)
from .layers.distance import CosineSimilarity, PairwiseDistance  # noqa: E402,F401
from .layers.groupnorm import GroupNorm  # noqa: E402,F401
from .layers.parameter_containers import ParameterDict, ParameterList  # noqa: E402,F401
from .layers.pooling1d import AvgPool1d, MaxPool1d  # noqa: E402,F401
from .loss_more import (CosineEmbeddingLoss, GaussianNLLLoss, HingeEmbeddingLoss,  # noqa: E402,F401
                        KLDivLoss, MarginRankingLoss, MultiLabelSoftMarginLoss, PoissonNLLLoss,
                        TripletMarginLoss)
# RReLU, LPPool, Bilinear, RMSNorm, alpha dropouts, ChannelShuffle, LazyLinear and two margin
# losses (docs/nn_more.md, "More layers").
from .layers.more_layers import (AlphaDropout, Bilinear, ChannelShuffle,  # noqa: E402,F401
                                 FeatureAlphaDropout, LazyLinear, LPPool1d, LPPool2d, RMSNorm,
                                 RReLU)
from .loss_more import MultiMarginLoss, SoftMarginLoss  # noqa: E402,F401
from .loss_ctc import CTCLoss  # noqa: E402,F401
# nn.DataParallel: on a machine without CUDA devices it runs the module as is, as torch's
from .layers.data_parallel import DataParallel  # noqa: E402,F401
# nn.parallel (torch imports it with torch.nn; `import torch.nn.parallel` opens course programs)
from . import parallel  # noqa: E402,F401
