"""`tf.keras.experimental` (TensorFlow 2.x): the older home of the cosine learning-rate
schedules, still used by keras-io programs written for TF 2 (SimSiam's
`tf.keras.experimental.CosineDecay`). The names are the classes of keras.optimizers.schedules;
Keras 3 dropped the namespace. TF 2's LinearCosineDecay, NoisyLinearCosineDecay,
SequenceFeatures, LinearModel and WideDeepModel are not provided."""
from .schedules import CosineDecay, CosineDecayRestarts  # noqa: F401
