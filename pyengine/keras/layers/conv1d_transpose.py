"""keras.layers.Conv1DTranspose: Conv2DTranspose over a height-1 image. The kernel keeps Keras'
1-D layout (kernel_size, filters, in_channels) (its saved shape) and is viewed as (1, k, filters,
in) for the 2-D layer's kernels, so the output-size rules (deconv_output_length) are the 2-D
layer's along the steps axis."""
from .conv_transpose import Conv2DTranspose


def _one(v, what):
    if isinstance(v, (tuple, list)):
        if len(v) != 1:
            raise ValueError(f"[Conv1DTranspose] {what} must be an int or a 1-tuple. "
                             f"Received: {what}={v}")
        v = v[0]
    return v


class Conv1DTranspose(Conv2DTranspose):
    """Transposed 1-D convolution over (batch, steps, channels).

    >>> Conv1DTranspose(16, 3, strides=2, padding="same")(np.zeros((1, 7, 8))).shape
    (1, 14, 16)
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, **kwargs):
        op = _one(output_padding, "output_padding")
        super().__init__(filters, (1, _one(kernel_size, "kernel_size")),
                         (1, _one(strides, "strides")), padding,
                         None if op is None else (0, op), data_format,
                         (1, _one(dilation_rate, "dilation_rate")), **kwargs)

    @property
    def kernel(self):  # the 2-D layer's view (1, k, filters, in) of the 1-D kernel
        w = self._parameters["kernel"]
        return w.reshape((1,) + tuple(w.shape))

    def build(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"[{self.name}] expects (batch, steps, channels) input, received "
                             f"shape {tuple(input_shape)}")
        self.in_channels = int(input_shape[-1])
        self.add_weight((self.kernel_size[1], self.filters, self.in_channels),
                        self.kernel_initializer, name="kernel",
                        regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.bias = self.add_weight((self.filters,), self.bias_initializer, name="bias",
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint) if self.use_bias else None

    def call(self, x):
        if x.ndim != 3:
            raise ValueError(f"[{self.name}] expected (batch, steps, {self.in_channels}) input, "
                             f"received shape {tuple(x.shape)}")
        return super().call(x.unsqueeze(1)).squeeze(1)

    def compute_output_shape(self, input_shape):
        b, _, steps, f = super().compute_output_shape((input_shape[0], 1) +
                                                      tuple(input_shape[1:]))
        return (b, steps, f)


Convolution1DTranspose = Conv1DTranspose
