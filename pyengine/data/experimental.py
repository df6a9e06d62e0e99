"""tf.data.experimental names that programs still use."""
from .dataset import AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY  # noqa: F401


def cardinality(dataset):
    return dataset.cardinality()


from .csv_dataset import make_csv_dataset  # noqa: E402,F401
