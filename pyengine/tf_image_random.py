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
    x = _t(value)
    size = [int(s) for s in np.asarray(getattr(size, "_data", size)).reshape(-1)]
    if len(size) != x.ndim:
        raise ValueError(f"[image.random_crop] size {tuple(size)} must have one entry per "
                         f"dimension of the value, shape {tuple(x.shape)}")
    if any(s < 0 or s > d for s, d in zip(size, x.shape)):
        raise ValueError(f"[image.random_crop] size {tuple(size)} must be within the value's "
                         f"shape {tuple(x.shape)}")
    gen = _gen(seed)
    starts = [int(gen.integers(0, d - s + 1)) for s, d in zip(size, x.shape)]
    return x[tuple(slice(a, a + s) for a, s in zip(starts, size))]


def _random_flip(image, axis, seed, op):
    x, unbatched = _batched(image, op)
    flip = _gen(seed).random(x.shape[0]) < 0.5
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
    return _random_flip(image, 2, seed, "random_flip_left_right")


def random_flip_up_down(image, seed=None):
    return _random_flip(image, 1, seed, "random_flip_up_down")
