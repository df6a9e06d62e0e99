"""keras.layers.SpectralNormalization (Miyato et al. 2018): a wrapper that, at each training
call, divides the wrapped layer's kernel (or embeddings) by its largest singular value
sigma, estimated by power iteration with a persistent vector u (Keras 3's rule):

    W = kernel.reshape(-1, units)
    repeat power_iterations times:  v = normalize(u W^T) ;  u = normalize(v W)
    sigma = v W u^T ;  kernel <- kernel / sigma  (skipped while the kernel is all zeros)

then runs the wrapped layer; at inference the layer runs on the kernel as it is. normalize(x)
is x / max(||x||, 1e-7). The update writes the kernel in place, as Keras assigns it; the
gradient of that step reaches the normalised kernel, not through sigma."""
import numpy as np

from ... import random as _random
from .base import Layer


def _normalize(x):
    return x / max(float(np.sqrt(np.sum(x * x))), 1e-7)


class SpectralNormalization(Layer):
    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(layer, dict) and "class_name" in layer:  # a saved config (load_model)
            from ..saving import _build, _classes
            layer = _build(layer, _classes())
        if not isinstance(layer, Layer):
            raise ValueError(f"[SpectralNormalization] layer must be a keras Layer. Received: "
                             f"layer={layer!r}")
        valid = isinstance(power_iterations, (int, np.integer)) and \
            not isinstance(power_iterations, bool)
        if not valid or power_iterations < 1:
            raise ValueError(f"[SpectralNormalization] power_iterations should be greater than "
                             f"zero. Received: power_iterations={power_iterations!r}")
        self.layer = layer
        self.power_iterations = int(power_iterations)

    def get_config(self):
        cfg = super().get_config()
        cfg["args"] = list(cfg["args"])
        if cfg["args"]:
            cfg["args"][0] = self.layer.get_config()
        else:
            cfg["kwargs"] = {**cfg["kwargs"], "layer": self.layer.get_config()}
        cfg["layer"] = self.layer.get_config()
        return cfg

    def build(self, input_shape):
        if not self.layer.built:
            self.layer.build(tuple(input_shape))
        kernel = getattr(self.layer, "kernel", None)
        if kernel is None:
            kernel = getattr(self.layer, "embeddings", None)
        if kernel is None:
            raise ValueError(f"[SpectralNormalization] {type(self.layer).__name__} object has "
                             "no attribute 'kernel' nor 'embeddings'")
        self._kernel = kernel
        self.vector_u = self.add_weight((1, int(kernel.shape[-1])), self._truncated_normal,
                                        trainable=False, name="vector_u")

    @staticmethod
    def _truncated_normal(shape, dtype=None):
        """Keras' TruncatedNormal(stddev=0.02): normal draws beyond 2 std drawn again."""
        rng = _random.get_generator()
        z = rng.standard_normal(shape)
        while np.any(np.abs(z) > 2):
            bad = np.abs(z) > 2
            z[bad] = rng.standard_normal(int(bad.sum()))
        return (0.02 * z).astype(np.float32)

    def normalized_weights(self):
        """(u, kernel / sigma) from the current kernel and u, as NumPy arrays."""
        k = self._kernel._data
        w = k.reshape(-1, k.shape[-1]).astype(np.float64)
        u = self.vector_u._data.astype(np.float64)
        for _ in range(self.power_iterations):
            v = _normalize(u @ w.T)
            u = _normalize(v @ w)
        sigma = float((v @ w @ u.T).item())
        return u.astype(np.float32), (k / sigma).astype(k.dtype)

    def call(self, x, training=False):
        if training and np.any(self._kernel._data != 0):
            u, kernel = self.normalized_weights()
            self.vector_u._data[...] = u
            self._kernel._data[...] = kernel
        return self.layer(x, training=training) if _takes_training(self.layer) else self.layer(x)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)


def _takes_training(layer):
    import inspect
    return "training" in inspect.signature(layer.call).parameters
