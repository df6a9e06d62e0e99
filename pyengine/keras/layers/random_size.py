"""RandomHeight / RandomWidth (TF 2's `layers.experimental.preprocessing` augmentations, used
by keras-io's supervised contrastive learning): while training, the whole batch is resized to
int(size * (1 + r)) rows (columns), r drawn once per batch from the factor's range (a number f
means [-f, f]; bounds below -1 are refused); the other side is kept. Inference returns the
input unchanged. 'bilinear' and 'nearest' resizing (the Resizing layer's kernel)."""

from .augmentation import BaseRandomLayer, check_choice, check_images, factor_range
from .image_preprocessing import resize_images


class _RandomSide(BaseRandomLayer):
    _axis, _what = None, None

    def __init__(self, factor, interpolation="bilinear", seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        layer = type(self).__name__
        self.factor = factor
        self.lower, self.upper = factor_range(factor, "factor", layer, -1.0, None)
        self.interpolation = check_choice(interpolation, ("bilinear", "nearest"),
                                          "interpolation", layer)

    def call(self, inputs, training=None):
        if not training:
            return inputs
        x, unbatched = check_images(type(self).__name__, inputs)
        h, w = x.shape[1], x.shape[2]
        r = 1.0 + self.rng().uniform(self.lower, self.upper)
        size = [h, w]
        size[self._axis] = int(r * size[self._axis])  # TensorFlow's cast: truncation
        if size[self._axis] < 1:
            raise ValueError(f"[{type(self).__name__}] the drawn factor {r - 1:.3f} leaves no "
                             f"{self._what} (from {(h, w)[self._axis]})")
        y = resize_images(x, size[0], size[1], self.interpolation, layer=type(self).__name__)
        return y.squeeze(0) if unbatched else y

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        shape[len(shape) - 3 + self._axis] = None
        return tuple(shape)


class RandomHeight(_RandomSide):
    _axis, _what = 0, "rows"


class RandomWidth(_RandomSide):
    _axis, _what = 1, "columns"


