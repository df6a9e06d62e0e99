"""keras.callbacks.TensorBoard: the scalars Keras 3's callback logs, in TensorBoard event files
written without TensorFlow (pyengine/utils/tensorboard_events.py).

As Keras 3: `log_dir/train` gets `epoch_<name>` for every training log and `epoch_learning_rate`
(step = epoch), `log_dir/validation` gets `epoch_<name>` for the `val_` logs; with
`update_freq="batch"` or N, `batch_<name>` every N training batches (step = global batch);
at the end of each validation / evaluate pass `evaluation_<name>_vs_iterations` (step = the
optimizer's iterations); `write_steps_per_second` adds `epoch_steps_per_second` and
`batch_steps_per_second`.

Not written: Keras' graph summaries. `write_graph` (default True) writes nothing here: pyengine
has no TensorFlow graph, and its model JSON is not the Keras config TensorBoard's graph plugin
reads (Keras 3 on its non-TensorFlow backends writes no train graph either). `histogram_freq=N`
writes every N epochs the histogram of each layer weight to `log_dir/train`, tagged
`<weight.path>/histogram` (Keras 3 tags `<weight.name>/histogram`, which repeats across
layers); weight images (`write_images`), gradient histograms (`write_grads`) and profiling
(`profile_batch`) raise rather than being accepted and skipped. The embedding projector
(`embeddings_freq`, with Keras 2.2's `embeddings_layer_names` / `embeddings_data` /
`batch_size`) is written as a projector config and TSV tensors
(keras/callbacks_tb_embeddings.py)."""
import os
import time

from . import callbacks_tb_embeddings as _emb
from .callbacks import Callback


class TensorBoard(Callback):
    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0,
                 embeddings_freq=0, embeddings_metadata=None, batch_size=32, write_grads=False,
                 embeddings_layer_names=None, embeddings_data=None):
        super().__init__()
        if write_grads:
            raise NotImplementedError("[TensorBoard] write_grads=True: gradient histograms are "
                                      "not written by pyengine (only weight histograms)")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"[TensorBoard] batch_size must be a positive int. Received: "
                             f"{batch_size!r}")
        _emb.check_args(embeddings_freq, embeddings_layer_names, embeddings_metadata,
                        embeddings_data)
        if isinstance(histogram_freq, bool) or not isinstance(histogram_freq, int) or \
                histogram_freq < 0:
            raise ValueError(f"[TensorBoard] histogram_freq must be an int >= 0. Received: "
                             f"{histogram_freq!r}")
        if write_images:
            raise NotImplementedError("[TensorBoard] write_images=True: weight images are not "
                                      "written by pyengine (scalars and histograms only)")
        if profile_batch not in (0, "0", None):
            raise ValueError(f"[TensorBoard] profiling is not available in pyengine. Received: "
                             f"profile_batch={profile_batch!r} (must be 0)")
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch" and (not isinstance(update_freq, int) or
                                       isinstance(update_freq, bool) or update_freq < 1):
            raise ValueError(f"[TensorBoard] update_freq must be 'epoch', 'batch' or a positive "
                             f"int. Received: {update_freq!r}")
        if not isinstance(write_graph, bool) or not isinstance(write_steps_per_second, bool):
            raise TypeError("[TensorBoard] write_graph and write_steps_per_second must be bools")
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph, self.write_images = write_graph, False
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = update_freq
        self.profile_batch = 0
        self.embeddings_freq, self.embeddings_metadata = embeddings_freq, embeddings_metadata
        self.embeddings_layer_names, self.embeddings_data = embeddings_layer_names, embeddings_data
        self.batch_size = batch_size  # Keras 2: the batch size of the embeddings_data pass
        self._writers = {}
        self._global_train_batch = 0

    def _writer(self, which):
        if which not in self._writers:
            from ..utils.tensorboard_events import EventFileWriter
            self._writers[which] = EventFileWriter(os.path.join(self.log_dir, which))
        return self._writers[which]

    def on_train_begin(self, logs=None):
        self._global_train_batch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.time()
        self._epoch_start_iterations = getattr(self.model.optimizer, "iterations", 0)

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        self._batch_start = time.time()

    def on_train_batch_end(self, batch, logs=None):
        if self.update_freq == "epoch" or self._global_train_batch % self.update_freq:
            return
        values = {f"batch_{k}": v for k, v in (logs or {}).items() if _is_number(v)}
        if self.write_steps_per_second:
            values["batch_steps_per_second"] = 1.0 / max(time.time() - self._batch_start, 1e-9)
        self._writer("train").scalars(self._global_train_batch, values)

    def wants_batches(self):
        return self.update_freq != "epoch"  # per-batch logging needs the unfused trainer

    def on_test_end(self, logs=None):
        iterations = getattr(getattr(self.model, "optimizer", None), "iterations", None)
        if iterations is not None and logs:
            self._writer("validation").scalars(int(iterations), {
                f"evaluation_{k}_vs_iterations": v for k, v in logs.items() if _is_number(v)})

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        train = {f"epoch_{k}": v for k, v in logs.items()
                 if not k.startswith("val_") and _is_number(v)}
        opt = getattr(self.model, "optimizer", None)
        if opt is not None and hasattr(opt, "learning_rate"):
            train["epoch_learning_rate"] = float(opt.learning_rate)
        if self.write_steps_per_second:
            steps = getattr(opt, "iterations", 0) - self._epoch_start_iterations
            train["epoch_steps_per_second"] = steps / max(time.time() - self._epoch_start, 1e-9)
        if train:
            self._writer("train").scalars(epoch, train)
        val = {f"epoch_{k[4:]}": v for k, v in logs.items()
               if k.startswith("val_") and _is_number(v)}
        if val:
            self._writer("validation").scalars(epoch, val)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        if self.embeddings_freq and (epoch + 1) % self.embeddings_freq == 0:
            _emb.write(self, self.model)

    def _log_weights(self, epoch):
        from ..utils.tensorboard_histograms import histogram_value
        values = []
        for layer in self.model.layers:
            for weight in layer.weights:
                name = getattr(weight, "path", None) or weight.name
                values.append(histogram_value(f"{name}/histogram", weight, 30,
                                              "TensorBoard.histogram_freq"))
        if values:
            self._writer("train").write_values(time.time(), epoch, values)

    def on_train_end(self, logs=None):
        for w in self._writers.values():
            w.close()
        self._writers = {}


def _is_number(v):
    try:
        float(v)
    except (TypeError, ValueError):
        return False
    return True
