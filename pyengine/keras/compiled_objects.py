"""TF-Keras 2's `model.compiled_loss` and `model.compiled_metrics`, which custom `train_step`s
written for TensorFlow 2 call (Keras 3 spells them `compute_loss` / `compute_metrics`):

    loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)
    self.compiled_metrics.update_state(y, y_pred)
    return {m.name: m.result() for m in self.metrics}

Both are views of what compile() resolved: the same loss functions, weights and metric objects
the default train_step uses."""
from . import batching as _b
from . import tree


class CompiledLoss:
    """loss(y_true, y_pred, sample_weight=None, regularization_losses=None): the weighted sum of
    the compiled per-output losses plus the given regularization terms; updates the model's
    "loss" tracker as TF-Keras does."""

    def __init__(self, model):
        self._model = model

    def __call__(self, y_true, y_pred, sample_weight=None, regularization_losses=None):
        m = self._model
        m._require_compiled("compiled_loss")
        preds = tree.flatten(y_pred)
        if m._compiled_losses is None:
            m._resolve_compile(len(preds))
        total = None
        for (loss_fn, w, _), yt, yp in zip(m._compiled_losses,
                                           m._flat_targets(y_true, len(preds)), preds):
            if loss_fn is not None:
                term = loss_fn(yt, yp, sample_weight)
                term = term if w == 1.0 else term * w
                total = term if total is None else total + term
        for penalty in regularization_losses or ():
            total = penalty if total is None else total + penalty
        if total is None:
            raise ValueError("[compiled_loss] the model was compiled without a loss and no "
                             "regularization_losses were given")
        m._loss_tracker.update_state(total, sample_weight=_b.num_samples(preds[0], "fit"))
        return total


class CompiledMetrics(list):
    """The compiled metric objects (a list, as Keras 3's `compiled_metrics` was), with TF-Keras'
    update_state(y_true, y_pred, sample_weight=None) and reset_state()."""

    def __init__(self, model, metrics):
        super().__init__(metrics)
        self._model = model

    def update_state(self, y_true, y_pred, sample_weight=None):
        self._model.compute_metrics(None, y_true, y_pred, sample_weight)

    def reset_state(self):
        for m in self:
            m.reset_state()

    def result(self):
        return {m.name: m.result() for m in self}
