"""A fixed batch dimension on a model's inputs (keras.Input(batch_size=) / batch_shape=,
batch_input_shape=). As in Keras 3, it is kept in the symbolic shapes (`model.input_shape`
shows it, saving keeps it) but not enforced: Keras 3 strips the batch dimension from a model's
input specs, so other batch sizes and a ragged last batch run. The one use pyengine makes of it:
fit / evaluate / predict without batch_size= take the fixed size instead of 32."""
from . import batching as _b
from .symbolic import KerasTensor


def fixed_batch(model):
    """The batch dimension the model's inputs fix, or None."""
    fixed = {t.shape[0] for t in getattr(model, "inputs", None) or []
             if isinstance(t, KerasTensor) and t.shape and t.shape[0] is not None}
    if len(fixed) > 1:
        raise ValueError(f"[{model.name}] the inputs fix different batch sizes {sorted(fixed)}")
    return fixed.pop() if fixed else None


def batch_size_for(model, batch_size, x, what):
    """batch_size checked; when None, the model's fixed batch size if it has one, else 32."""
    if batch_size is None:
        fixed = fixed_batch(model)
        if fixed is not None:
            return fixed
    return _b.check_batch_size(batch_size, what)
