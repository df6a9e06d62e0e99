"""Datasets in Keras format, cached in $PYENGINE_HOME/datasets (default ~/.pyengine/datasets);
downloaded when missing (checksum checked), with a clear error offline."""
from . import boston_housing, cifar10, cifar100, fashion_mnist, imdb, mnist, reuters
