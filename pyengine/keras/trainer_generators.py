"""Keras 2's fit_generator / evaluate_generator / predict_generator (deprecated in Keras 2.1,
removed in Keras 3), kept for the courses and books that still call them: each warns and calls
fit / evaluate / predict, which take generators and Sequences themselves. Batches are made in
the calling thread: workers > 1 or use_multiprocessing=True raise (a PyDataset(workers=...)
is the supported way to load in parallel) rather than being accepted and ignored;
max_queue_size sizes a queue that only those workers would fill."""
import warnings


def _check_loading(op, workers, use_multiprocessing):
    if workers not in (0, 1) or use_multiprocessing:
        raise ValueError(f"[{op}] workers={workers} / use_multiprocessing={use_multiprocessing} "
                         "are not supported here: pass the data to fit / evaluate / predict, "
                         "as a keras.utils.PyDataset(workers=...) for parallel loading")
    warnings.warn(f"`Model.{op}` is deprecated and was removed in Keras 3; use "
                  f"`Model.{op.split('_')[0]}`, which supports generators", DeprecationWarning,
                  stacklevel=3)


class GeneratorMethods:
    def fit_generator(self, generator, steps_per_epoch=None, epochs=1, verbose=1, callbacks=None,
                      validation_data=None, validation_steps=None, validation_freq=1,
                      class_weight=None, max_queue_size=10, workers=1,
                      use_multiprocessing=False, shuffle=True, initial_epoch=0):
        _check_loading("fit_generator", workers, use_multiprocessing)
        return self.fit(generator, steps_per_epoch=steps_per_epoch, epochs=epochs,
                        verbose=verbose, callbacks=callbacks, validation_data=validation_data,
                        validation_steps=validation_steps, validation_freq=validation_freq,
                        class_weight=class_weight, shuffle=shuffle, initial_epoch=initial_epoch)

    def evaluate_generator(self, generator, steps=None, callbacks=None, max_queue_size=10,
                           workers=1, use_multiprocessing=False, verbose=0):
        _check_loading("evaluate_generator", workers, use_multiprocessing)
        return self.evaluate(generator, steps=steps, callbacks=callbacks, verbose=verbose)

    def predict_generator(self, generator, steps=None, callbacks=None, max_queue_size=10,
                          workers=1, use_multiprocessing=False, verbose=0):
        _check_loading("predict_generator", workers, use_multiprocessing)
        return self.predict(generator, steps=steps, callbacks=callbacks, verbose=verbose)
