"""Keras 2's fit_generator / evaluate_generator / predict_generator (deprecated in Keras 2.1,
removed in Keras 3), kept for the courses and books that still call them: each warns and calls
fit / evaluate / predict, which take generators and Sequences themselves. With workers > 1 a
Sequence (batches by index, e.g. `ImageDataGenerator.flow`) is read by that many threads, up to
max_queue_size batches ahead, in index order, as a PyDataset(workers=...) is; a plain Python
generator with workers > 1, or use_multiprocessing=True, raises rather than being accepted
and ignored."""
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
