"""`layers.experimental.preprocessing` (TensorFlow 2.3 - 2.x): the older home of the
preprocessing layers, still imported by keras-io programs written for TF 2 (e.g. CCT's
`layers.experimental.preprocessing.Rescaling`). The names are the same classes as
`keras.layers.X`; Keras 3 dropped the namespace, TF 2 kept it as an alias.
`experimental.RandomFourierFeatures` (TF 2 only) is also `keras.layers.RandomFourierFeatures`."""
import sys
import types

from . import (CategoryEncoding, CenterCrop, Discretization, HashedCrossing, Hashing,
               IntegerLookup, Normalization, RandomBrightness, RandomContrast, RandomCrop,
               RandomFlip, RandomRotation, RandomTranslation, RandomZoom, Rescaling, Resizing,
               StringLookup, TextVectorization)
from .random_size import RandomHeight, RandomWidth
from .einsum_dense import EinsumDense
from .random_fourier import RandomFourierFeatures

_NAMES = dict(CategoryEncoding=CategoryEncoding, CenterCrop=CenterCrop,
              Discretization=Discretization, HashedCrossing=HashedCrossing, Hashing=Hashing,
              IntegerLookup=IntegerLookup, Normalization=Normalization,
              RandomBrightness=RandomBrightness, RandomContrast=RandomContrast,
              RandomCrop=RandomCrop, RandomFlip=RandomFlip, RandomRotation=RandomRotation,
              RandomHeight=RandomHeight, RandomWidth=RandomWidth,
              RandomTranslation=RandomTranslation, RandomZoom=RandomZoom, Rescaling=Rescaling,
              Resizing=Resizing, StringLookup=StringLookup, TextVectorization=TextVectorization)

# a module registered under its dotted name, so that `from
# keras.layers.experimental.preprocessing import StringLookup` (keras-io's TF 2 programs) imports
preprocessing = types.ModuleType(__name__ + ".preprocessing",
                                 "TF 2's layers.experimental.preprocessing aliases.")
preprocessing.__dict__.update(_NAMES)
sys.modules[preprocessing.__name__] = preprocessing
