"""tf.image.random_crop / random_flip_left_right / random_flip_up_down, the augmentations
keras-io DeiT maps over its dataset. TensorFlow's rules: random_crop takes a `size` slice of any
rank at a uniformly drawn offset (size <= the value's shape in every dimension);
the flips flip a (height, width, channels) image with probability 1/2, or each image of a batch
independently. Draws come from pyengine's generator, or from `seed` when one is given (as
tf.random.* do here, pyengine/random.py). The results are slices / flips of the tensor, so
gradients flow."""
import numpy as np

from . import random as _random
from .tensor import Tensor
from .tf_image import _batched
from .tf_names import _t


def _gen(seed):
    return _random.get_generator() if seed is None else np.random.default_rng(int(seed))


def random_crop(value, size, seed=None, name=None):
    return _crop(value, size, _gen(seed))


def _crop(value, size, gen, op="random_crop"):
    x = _t(value)
    size = [int(s) for s in np.asarray(getattr(size, "_data", size)).reshape(-1)]
    if len(size) != x.ndim:
        raise ValueError(f"[image.{op}] size {tuple(size)} must have one entry per "
                         f"dimension of the value, shape {tuple(x.shape)}")
    if any(s < 0 or s > d for s, d in zip(size, x.shape)):
        raise ValueError(f"[image.{op}] size {tuple(size)} must be within the value's "
                         f"shape {tuple(x.shape)}")
    starts = [int(gen.integers(0, d - s + 1)) for s, d in zip(size, x.shape)]
    return x[tuple(slice(a, a + s) for a, s in zip(starts, size))]


def _random_flip(image, axis, gen, op):
    x, unbatched = _batched(image, op)
    flip = gen.random(x.shape[0]) < 0.5
    if not flip.any():
        y = x
    elif flip.all():
        y = x.flip(axis)
    else:  # per image: pick from the flipped or the original batch
        mask = Tensor._wrap(flip.reshape(-1, 1, 1, 1))
        from .nn import functional as F
        y = F.where(mask, x.flip(axis), x)
    return y.squeeze(0) if unbatched else y


def random_flip_left_right(image, seed=None):
    return _random_flip(image, 2, _gen(seed), "random_flip_left_right")


def random_flip_up_down(image, seed=None):
    return _random_flip(image, 1, _gen(seed), "random_flip_up_down")


# ---- tf.image.stateless_random_*: the same draws from a generator keyed by `seed` (a shape
# [2] int tensor, as tf.random.stateless_uniform takes): a given seed gives the same result on
# every call (TF's data_augmentation tutorial maps them with per-element seeds). The values
# are pyengine's Philox stream, not TensorFlow's.

def _seeded(seed, op):
    from .tf_random import _stateless_gen
    return _stateless_gen(seed, "auto_select", f"image.{op}")


def stateless_random_crop(value, size, seed, name=None):
    return _crop(value, size, _seeded(seed, "stateless_random_crop"), "stateless_random_crop")


def stateless_random_flip_left_right(image, seed):
    op = "stateless_random_flip_left_right"
    return _random_flip(image, 2, _seeded(seed, op), op)


def stateless_random_flip_up_down(image, seed):
    op = "stateless_random_flip_up_down"
    return _random_flip(image, 1, _seeded(seed, op), op)


def stateless_random_brightness(image, max_delta, seed):
    """adjust_brightness by a delta from U[-max_delta, max_delta)."""
    from .tf_image_adjust import adjust_brightness
    if max_delta < 0:
        raise ValueError(f"[image.stateless_random_brightness] max_delta must be non-negative, "
                         f"got {max_delta}")
    gen = _seeded(seed, "stateless_random_brightness")
    return adjust_brightness(image, float(gen.uniform(-max_delta, max_delta)))


def _factor(op, lower, upper, seed):
    from .tf_image_color import _factor_range
    return _factor_range(op, lower, upper, None, _seeded(seed, op))


def stateless_random_contrast(image, lower, upper, seed):
    """adjust_contrast by a factor from U[lower, upper)."""
    from .tf_image_color import adjust_contrast
    return adjust_contrast(image, _factor("stateless_random_contrast", lower, upper, seed))


def stateless_random_saturation(image, lower, upper, seed):
    """adjust_saturation by a factor from U[lower, upper)."""
    from .tf_image_color import adjust_saturation
    return adjust_saturation(image, _factor("stateless_random_saturation", lower, upper, seed))


def stateless_random_hue(image, max_delta, seed):
    """adjust_hue by a delta from U[-max_delta, max_delta), max_delta in [0, 0.5]."""
    from .tf_image_color import adjust_hue
    if not 0.0 <= max_delta <= 0.5:
        raise ValueError(f"[image.stateless_random_hue] max_delta must be in [0, 0.5], got "
                         f"{max_delta}")
    gen = _seeded(seed, "stateless_random_hue")
    return adjust_hue(image, float(gen.uniform(-max_delta, max_delta)))
