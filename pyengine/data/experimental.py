"""tf.data.experimental names that programs still use."""
from .dataset import AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY  # noqa: F401


def cardinality(dataset):
    return dataset.cardinality()


from .csv_dataset import CsvDataset, make_csv_dataset  # noqa: E402,F401


def ignore_errors(log_warning=False):
    """`dataset.apply(tf.data.experimental.ignore_errors())`: Dataset.ignore_errors."""
    return lambda dataset: dataset.ignore_errors(log_warning=log_warning)
