"""InputTooSmallError: a ValueError for a window (convolution kernel, pooling window) larger than
its (padded) input. Keras' functional API infers shapes by running layers on example inputs;
for a None dimension it retries with longer examples only on this error, which longer inputs
fix (an audio model whose STFT frames feed long Conv1D kernels), and not on other errors."""


class InputTooSmallError(ValueError):
    pass
