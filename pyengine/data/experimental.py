"""tf.data.experimental names that programs still use."""
from .dataset import AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY  # noqa: F401


def cardinality(dataset):
    return dataset.cardinality()


from .csv_dataset import CsvDataset, make_csv_dataset  # noqa: E402,F401


def ignore_errors(log_warning=False):
    """`dataset.apply(tf.data.experimental.ignore_errors())`: Dataset.ignore_errors."""
    return lambda dataset: dataset.ignore_errors(log_warning=log_warning)


def Counter(start=0, step=1, dtype="int64", name=None):
    """tf.data.experimental.Counter: the infinite dataset start, start + step, ... (int64 by
    default), e.g. zipped beside a dataset to give each element a seed."""
    import itertools

    import numpy as np

    from .. import dtypes as _dt
    from .dataset import Dataset
    npd = np.dtype(_dt.as_dtype(dtype).np)
    return Dataset(lambda: (np.asarray(v, npd) for v in itertools.count(start, step)),
                   INFINITE_CARDINALITY)


def sample_from_datasets(datasets, weights=None, seed=None, stop_on_empty_dataset=False):
    """tf.data.experimental.sample_from_datasets: Dataset.sample_from_datasets."""
    from .dataset import Dataset
    return Dataset.sample_from_datasets(datasets, weights, seed, stop_on_empty_dataset)
