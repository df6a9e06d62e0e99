"""Keras 2's module paths for layers (`from keras.layers.convolutional import Conv2D`,
`from keras.layers.advanced_activations import LeakyReLU`, `keras.layers.recurrent`, ...):
each name of the table is the same class as `keras.layers.<name>`. A path that is a real module
here (core, merge, noise, ...) gains the names Keras 2 served from it; the others are registered
as modules in sys.modules. A name pyengine lacks is left out, so importing it raises Python's
ImportError naming it."""
import sys
import types

_PATHS = {
    "advanced_activations": "LeakyReLU PReLU ELU ThresholdedReLU Softmax ReLU",
    "convolutional": "Conv1D Conv2D Conv3D Conv2DTranspose Conv3DTranspose SeparableConv1D "
                     "SeparableConv2D DepthwiseConv2D Cropping1D Cropping2D Cropping3D "
                     "UpSampling1D UpSampling2D UpSampling3D ZeroPadding1D ZeroPadding2D "
                     "ZeroPadding3D Convolution1D Convolution2D Convolution3D "
                     # Keras 2's convolutional.py re-exported the pooling layers
                     "MaxPooling1D MaxPooling2D MaxPooling3D AveragePooling1D AveragePooling2D "
                     "AveragePooling3D",
    "pooling": "MaxPooling1D MaxPooling2D MaxPooling3D AveragePooling1D AveragePooling2D "
               "AveragePooling3D GlobalMaxPooling1D GlobalMaxPooling2D GlobalMaxPooling3D "
               "GlobalAveragePooling1D GlobalAveragePooling2D GlobalAveragePooling3D MaxPool1D "
               "MaxPool2D MaxPool3D AvgPool1D AvgPool2D AvgPool3D",
    "core": "Masking Dropout SpatialDropout1D SpatialDropout2D SpatialDropout3D Activation "
            "Reshape Permute Flatten RepeatVector Lambda Dense ActivityRegularization",
    "recurrent": "RNN SimpleRNN GRU LSTM SimpleRNNCell GRUCell LSTMCell StackedRNNCells",
    "embeddings": "Embedding",
    "normalization": "BatchNormalization",
    "convolutional_recurrent": "ConvLSTM2D",
    "noise": "GaussianNoise GaussianDropout AlphaDropout",
    "wrappers": "Wrapper TimeDistributed Bidirectional",
}


def install(layers_module):
    for path, names in _PATHS.items():
        full = f"{layers_module.__name__}.{path}"
        mod = sys.modules.get(full)
        if mod is None:
            mod = types.ModuleType(full, f"Keras 2's keras.layers.{path} (see keras2_modules.py)")
            sys.modules[full] = mod
            setattr(layers_module, path, mod)
        for name in names.split():
            if not hasattr(mod, name) and hasattr(layers_module, name):
                setattr(mod, name, getattr(layers_module, name))
