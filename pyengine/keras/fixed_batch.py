"""A fixed batch dimension on a model's inputs (keras.Input(batch_size=) / batch_shape=,
batch_input_shape=): fit / evaluate / predict run only that batch size, on arrays whose length
it divides, as Keras 2's input check required; anything else is refused naming the size."""
from . import batching as _b
from . import data_adapters as _adapters
from .symbolic import KerasTensor


def fixed_batch(model):
    """The batch dimension the model's inputs fix, or None."""
    fixed = {t.shape[0] for t in getattr(model, "inputs", None) or []
             if isinstance(t, KerasTensor) and t.shape and t.shape[0] is not None}
    if len(fixed) > 1:
        raise ValueError(f"[{model.name}] the inputs fix different batch sizes {sorted(fixed)}")
    return fixed.pop() if fixed else None


def batch_size_for(model, batch_size, x, what):
    """batch_size checked (32 when None); with a fixed batch dimension, that size (None
    means it) on arrays only."""
    fixed = fixed_batch(model)
    if fixed is None:
        return _b.check_batch_size(batch_size, what)
    if batch_size is not None and batch_size != fixed:
        raise ValueError(f"[{what}] the model's inputs have a fixed batch size {fixed} "
                         f"(input_shape {model.input_shape}); received batch_size="
                         f"{batch_size!r}. Pass batch_size={fixed} or declare the batch "
                         "dimension None")
    if _adapters.is_source(x):
        raise ValueError(f"[{what}] the model's inputs have a fixed batch size {fixed}: "
                         f"pass arrays with batch_size={fixed} (a dataset or generator's "
                         "batches are not checked), or declare the batch dimension None")
    return fixed


def check_count(model, n, what):
    """n samples must split into whole batches of the fixed size."""
    fixed = fixed_batch(model)
    if fixed is not None and n % fixed:
        raise ValueError(f"[{what}] the model's inputs have a fixed batch size {fixed}; "
                         f"{n} samples leave a last batch of {n % fixed}. Use a sample "
                         f"count divisible by {fixed}, or declare the batch dimension None")
