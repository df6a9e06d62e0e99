"""What `optimizer.learning_rate` returns: the current rate as a float (arithmetic, formatting,
comparisons and the fused kernels' hyperparameter vector see a plain number) that can also be
assigned, as the variable Keras keeps it in: `optimizer.learning_rate.assign(0.01)` (Keras 3)
and `keras.backend.set_value(optimizer.lr, 0.01)` (Keras 2 programs, keras-io's callbacks
guide) set the optimizer's rate. The value is a snapshot taken when the attribute was read:
after an assign, read `optimizer.learning_rate` again for the new rate."""
import numpy as np


class LearningRateValue(float):
    __slots__ = ("_optimizer",)

    def __new__(cls, value, optimizer):
        self = super().__new__(cls, value)
        self._optimizer = optimizer
        return self

    def assign(self, value):
        opt = self._optimizer
        if getattr(opt, "_schedule", None) is not None:
            # Keras 3 refuses too: the schedule decides the rate at every step
            raise TypeError(f"[{opt.name}] the learning rate comes from a LearningRateSchedule "
                            f"({type(opt._schedule).__name__}), so it cannot be assigned; set "
                            "optimizer.learning_rate to a number to replace the schedule")
        opt.learning_rate = _scalar(value, opt.name)
        return opt.learning_rate

    def assign_add(self, delta):
        return self.assign(float(self._optimizer.learning_rate) + _scalar(delta, "assign_add"))

    def assign_sub(self, delta):
        return self.assign(float(self._optimizer.learning_rate) - _scalar(delta, "assign_sub"))

    def numpy(self):
        return np.float32(self)

    @property
    def dtype(self):
        return "float32"

    def __reduce__(self):  # pickles / deep-copies as the plain number
        return (float, (float(self),))


def _scalar(value, owner):
    """A Python / NumPy number or a one-element array / Tensor, as a float."""
    arr = np.asarray(getattr(value, "_data", value))
    if arr.size != 1 or arr.dtype.kind not in "iuf":
        raise ValueError(f"[{owner}] a learning rate must be one number. Received: {value!r}")
    return float(arr.reshape(()))
