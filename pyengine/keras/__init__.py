"""Keras-compatible facade: Keras tutorials run on pyengine with only their imports changed.

    from pyengine.keras.models import Sequential
    from pyengine.keras.layers import Dense
    model = Sequential([Dense(6, activation='relu', input_dim=11), Dense(1, activation='sigmoid')])
    model.compile(optimizer='adam', loss='binary_crossentropy', metrics=['accuracy'])
    model.fit(x, y, batch_size=10, epochs=50)
"""
from . import (activations, callbacks, datasets, initializers, layers, losses, metrics, models,
               optimizers, regularizers, utils)
from .layers import Input
from .models import Sequential

Model = Sequential  # the functional API is not implemented; Sequential covers the tutorials

__all__ = ["Input", "Sequential", "Model", "activations", "callbacks", "datasets", "initializers",
           "layers", "losses", "metrics", "models", "optimizers", "regularizers", "utils"]
