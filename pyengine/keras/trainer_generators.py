"""Keras 2's fit_generator / evaluate_generator / predict_generator (deprecated in Keras 2.1,
removed in Keras 3), kept for the courses and books that still call them: each warns and calls
fit / evaluate / predict, which take generators and Sequences themselves. With workers > 1 a
Sequence (batches by index, e.g. `ImageDataGenerator.flow`) is read by that many threads, up to
max_queue_size batches ahead, in index order, as a PyDataset(workers=...) is; a plain Python
generator with workers > 1, or use_multiprocessing=True, raises rather than being accepted
and ignored. Keras 2's fit / evaluate / predict took the same `workers`, `max_queue_size`,
`use_multiprocessing` (for Sequence and generator inputs only): `loading_arguments` gives them
the same meaning there; with other inputs (arrays, a tf.data pipeline, whose own map(
num_parallel_calls=) sets its parallelism) a workers other than 1 warns that it does nothing, as
Keras 2 ignored it there."""
import warnings

from .data_adapters import PyDataset, is_indexed


class _ReadByWorkers(PyDataset):
    """A Keras 2 Sequence handed to fit_generator(workers=N): the same batches, read by N
    threads (data_adapters._read_ahead)."""

    def __init__(self, seq, workers, max_queue_size):
        super().__init__(workers=workers, max_queue_size=max_queue_size)
        self.seq = seq

    def __len__(self):
        return len(self.seq)

    def __getitem__(self, index):
        return self.seq[index]

    def on_epoch_begin(self):
        getattr(self.seq, "on_epoch_begin", lambda: None)()

    def on_epoch_end(self):
        self.seq.on_epoch_end()


def _check_loading(op, generator, workers, max_queue_size, use_multiprocessing):
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
        raise ValueError(f"[{op}] workers must be an int >= 0. Received: workers={workers!r}")
    if use_multiprocessing:
        raise ValueError(f"[{op}] use_multiprocessing=True is not supported: batches are read "
                         f"by threads (workers={workers})")
    if workers > 1:
        if not is_indexed(generator):
            raise ValueError(f"[{op}] workers={workers} needs a keras.utils.Sequence (batches "
                             "by index with __len__ and on_epoch_end); a Python generator is "
                             "read by one thread, pass workers=1")
        generator = _ReadByWorkers(generator, workers, max_queue_size)
    warnings.warn(f"`Model.{op}` is deprecated and was removed in Keras 3; use "
                  f"`Model.{op.split('_')[0]}`, which supports generators", DeprecationWarning,
                  stacklevel=3)
    return generator


def loading_arguments(op, x, workers=1, max_queue_size=10, use_multiprocessing=False):
    """Keras 2's fit / evaluate / predict(workers=, max_queue_size=, use_multiprocessing=): a
    Sequence with workers > 1 is read by that many threads (workers <= 1: the calling thread,
    as Keras 2 reads it without an enqueuer when workers is 0); returns the input to use."""
    if isinstance(workers, bool) or not isinstance(workers, int):
        raise ValueError(f"[{op}] workers must be an int. Received: workers={workers!r}")
    if isinstance(max_queue_size, bool) or not isinstance(max_queue_size, int) or \
            max_queue_size < 1:
        raise ValueError(f"[{op}] max_queue_size must be a positive int. Received: "
                         f"{max_queue_size!r}")
    if use_multiprocessing:
        raise ValueError(f"[{op}] use_multiprocessing=True is not supported: batches are read "
                         f"by threads (workers={workers})")
    if is_indexed(x):
        if workers > 1 and (getattr(x, "workers", 1) or 1) > 1:
            raise ValueError(f"[{op}] workers={workers} given to a PyDataset built with "
                             f"workers={x.workers}: give it in one place")
        return _ReadByWorkers(x, workers, max_queue_size) if workers > 1 else x
    if workers > 1 and hasattr(x, "__next__"):
        raise ValueError(f"[{op}] workers={workers} needs a keras.utils.Sequence (batches by "
                         "index with __len__ and on_epoch_end); a Python generator is read by "
                         "one thread, pass workers=1")
    if workers != 1:
        warnings.warn(f"[{op}] workers={workers} does nothing for a {type(x).__name__} input "
                      "(Keras 2 used it for Sequence and generator inputs only; a tf.data "
                      "pipeline's parallelism is its map(num_parallel_calls=))", UserWarning,
                      stacklevel=3)
    return x


class GeneratorMethods:
    def fit_generator(self, generator, steps_per_epoch=None, epochs=1, verbose=1, callbacks=None,
                      validation_data=None, validation_steps=None, validation_freq=1,
                      class_weight=None, max_queue_size=10, workers=1,
                      use_multiprocessing=False, shuffle=True, initial_epoch=0):
        generator = _check_loading("fit_generator", generator, workers, max_queue_size,
                                   use_multiprocessing)
        return self.fit(generator, steps_per_epoch=steps_per_epoch, epochs=epochs,
                        verbose=verbose, callbacks=callbacks, validation_data=validation_data,
                        validation_steps=validation_steps, validation_freq=validation_freq,
                        class_weight=class_weight, shuffle=shuffle, initial_epoch=initial_epoch)

    def evaluate_generator(self, generator, steps=None, callbacks=None, max_queue_size=10,
                           workers=1, use_multiprocessing=False, verbose=0):
        generator = _check_loading("evaluate_generator", generator, workers, max_queue_size,
                                   use_multiprocessing)
        return self.evaluate(generator, steps=steps, callbacks=callbacks, verbose=verbose)

    def predict_generator(self, generator, steps=None, callbacks=None, max_queue_size=10,
                          workers=1, use_multiprocessing=False, verbose=0):
        generator = _check_loading("predict_generator", generator, workers, max_queue_size,
                                   use_multiprocessing)
        return self.predict(generator, steps=steps, callbacks=callbacks, verbose=verbose)
