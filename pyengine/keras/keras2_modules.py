"""The Keras 2 module paths that Keras 2 programs import from, as aliases of the same classes:
`keras.layers.recurrent`, `.embeddings`, `.convolutional`, `.pooling`,
`.convolutional_recurrent`, `.advanced_activations`, `.core`, `.normalization`, `.noise`,
`.wrappers`, `keras.utils.data_utils`, `keras.utils.np_utils`, `keras.utils.generic_utils`,
`keras.utils.vis_utils` (plot_model);
and TensorFlow 2.11+'s `keras.optimizers.experimental` / `keras.optimizers.legacy` (the same
optimizer classes: one implementation per algorithm) and the `keras.optimizers.schedules`
import path (`from tensorflow.keras.optimizers.experimental import AdamW`, keras-io Focal
Modulation Networks).
Keras 2.2 moved these names to `keras.layers` / `keras.utils` and kept the modules; programs such
as the Keras 2 `examples/` (`from keras.layers import recurrent; RNN = recurrent.LSTM`,
`from keras.utils.data_utils import get_file`) still use them. Each is registered in
`sys.modules` so both `import a.b.c` and `from a.b import c` find it."""
import sys
import types

from . import layers as L
from . import optimizers as O
from . import utils as U

_OPTIMIZERS = ("Adadelta", "Adagrad", "Adam", "Adamax", "Ftrl", "Nadam", "Optimizer", "RMSprop",
               "SGD")

_MODULES = {
    "layers.recurrent": ("RNN", "SimpleRNN", "LSTM", "GRU", "SimpleRNNCell", "LSTMCell",
                         "GRUCell", "StackedRNNCells"),
    "layers.embeddings": ("Embedding",),
    "layers.convolutional": ("Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose",
                             "SeparableConv2D", "DepthwiseConv2D", "Convolution1D",
                             "Convolution2D", "Convolution3D", "Convolution2DTranspose",
                             "SeparableConvolution2D", "UpSampling1D", "UpSampling2D",
                             "ZeroPadding1D", "ZeroPadding2D", "Cropping1D", "Cropping2D",
                             "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D",
                             "AveragePooling2D", "AveragePooling3D"),
    "layers.pooling": ("MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D",
                       "AveragePooling2D", "AveragePooling3D", "GlobalMaxPooling1D",
                       "GlobalMaxPooling2D", "GlobalMaxPooling3D", "GlobalAveragePooling1D",
                       "GlobalAveragePooling2D", "GlobalAveragePooling3D", "MaxPool1D",
                       "MaxPool2D", "AvgPool1D", "AvgPool2D", "GlobalMaxPool1D",
                       "GlobalMaxPool2D", "GlobalAvgPool1D", "GlobalAvgPool2D"),
    "layers.convolutional_recurrent": ("ConvLSTM2D",),
    # these five are modules of pyengine too: they gain the names Keras 2 served from them
    "layers.advanced_activations": ("LeakyReLU", "PReLU", "ELU", "ThresholdedReLU", "Softmax",
                                    "ReLU"),
    "layers.core": ("Masking", "Dropout", "SpatialDropout1D", "SpatialDropout2D",
                    "SpatialDropout3D", "Activation", "Reshape", "Permute", "Flatten",
                    "RepeatVector", "Lambda", "Dense", "ActivityRegularization"),
    "layers.normalization": ("BatchNormalization",),
    "layers.noise": ("GaussianNoise", "GaussianDropout", "AlphaDropout"),
    "layers.wrappers": ("Wrapper", "TimeDistributed", "Bidirectional"),
    "utils.generic_utils": ("Progbar",),
    "utils.data_utils": ("get_file", "Sequence"),
    "utils.np_utils": ("to_categorical", "normalize"),
    "utils.vis_utils": ("plot_model", "model_to_dot"),
    "optimizers.experimental": _OPTIMIZERS + ("AdamW", "Adafactor", "Lion"),
    "optimizers.legacy": _OPTIMIZERS,
    "optimizers.schedules": (),  # the schedules module itself, importable by that path
}


def _register():
    package = __name__.rsplit(".", 1)[0]  # pyengine.keras
    parents = {"layers": L, "utils": U, "optimizers": O}
    for path, names in _MODULES.items():
        parent_name, leaf = path.split(".")
        parent = parents[parent_name]
        mod = sys.modules.get(f"{package}.{path}")
        if mod is None and isinstance(getattr(parent, leaf, None), types.ModuleType):
            mod = getattr(parent, leaf)  # a module already there under another name
            sys.modules[f"{package}.{path}"] = mod
        if mod is None:
            mod = types.ModuleType(f"{package}.{path}", f"Keras 2 path of {', '.join(names)}.")
            mod.__all__ = []
            sys.modules[mod.__name__] = mod
            setattr(parent, leaf, mod)
        for n in names:  # a name pyengine lacks is left out (importing it raises ImportError)
            if hasattr(parent, n) and not hasattr(mod, n):
                setattr(mod, n, getattr(parent, n))
                if isinstance(getattr(mod, "__all__", None), list):
                    mod.__all__.append(n)


_register()
