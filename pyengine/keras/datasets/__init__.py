"""Datasets in Keras format, cached in $PYENGINE_HOME/datasets (default ~/.pyengine/datasets)."""
from . import mnist
