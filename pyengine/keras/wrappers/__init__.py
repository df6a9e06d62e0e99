"""keras.wrappers: Keras 2's scikit-learn wrappers (`keras.wrappers.scikit_learn`)."""
from . import scikit_learn  # noqa: F401
from .scikit_learn import KerasClassifier, KerasRegressor  # noqa: F401
