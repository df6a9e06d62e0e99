"""keras.layers.STFTSpectrogram (Keras 3): a short-time Fourier transform of (batch, time,
channels) audio computed as strided 1-D convolutions with the windowed DFT kernels of
keras.initializers.STFTInitializer, so the kernels can train (trainable=False freezes them).

Each input channel is transformed separately: with re, im the convolutions of one channel
(frames at stride frame_step, 'valid' or 'same' padding), the output per mode is re, im,
atan2(im, re) ('angle'), re and im side by side ('stft'), the power re^2 + im^2 with the
interior bins doubled ('psd', a one-sided spectrum), its square root ('magnitude') or the log
of that ('log'), both floored at keras.config.epsilon(). channels_last output: (batch,
frames, channels * bins), or (batch, frames, bins, channels) with expand_dims=True.

    >>> keras.layers.STFTSpectrogram(frame_length=256, frame_step=128, fft_length=512)(
    ...     pe.rand(3, 16000, 1)).shape
    (3, 124, 257)
"""
import math
import warnings

import numpy as np

from .. import ops
from ..initializers_stft import STFTInitializer, window_values
from .base import Layer

_MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")


class STFTSpectrogram(Layer):
    def __init__(self, mode="log", frame_length=256, frame_step=None, fft_length=None,
                 window="hann", periodic=False, scaling="density", padding="valid",
                 expand_dims=False, data_format=None, **kwargs):
        owner = "STFTSpectrogram"
        if mode not in _MODES:
            raise ValueError(f"[{owner}] mode must be one of {', '.join(_MODES)}. Received: "
                             f"mode={mode!r}")
        if isinstance(frame_length, bool) or not isinstance(frame_length, (int, np.integer)) \
                or frame_length < 1:
            raise ValueError(f"[{owner}] frame_length must be a positive integer. Received: "
                             f"frame_length={frame_length!r}")
        if frame_step is not None and not 1 <= frame_step <= frame_length:
            raise ValueError(f"[{owner}] frame_step must be a positive integer not greater "
                             f"than frame_length. Received: frame_step={frame_step}, "
                             f"frame_length={frame_length}")
        if fft_length is not None and fft_length < frame_length:
            raise ValueError(f"[{owner}] fft_length must not be less than frame_length. "
                             f"Received: fft_length={fft_length}, frame_length={frame_length}")
        if fft_length is not None and fft_length & (fft_length - 1):
            warnings.warn(f"[{owner}] fft_length is recommended to be a power of two. "
                          f"Received: fft_length={fft_length}", stacklevel=2)
        if scaling not in (None, "density", "spectrum"):
            raise ValueError(f"[{owner}] scaling must be None, 'density' or 'spectrum'. "
                             f"Received: scaling={scaling!r}")
        if padding not in ("valid", "same"):
            raise ValueError(f"[{owner}] padding must be 'valid' or 'same'. Received: "
                             f"padding={padding!r}")
        if data_format not in (None, "channels_last", "channels_first"):
            raise ValueError(f"[{owner}] data_format must be 'channels_last' or "
                             f"'channels_first'. Received: data_format={data_format!r}")
        if isinstance(window, str):
            window_values(window, 1, periodic, owner)  # an unknown window name raises now
        super().__init__(**kwargs)
        self.mode, self.frame_length, self.frame_step = mode, int(frame_length), frame_step
        self.fft_length, self.window, self.periodic = fft_length, window, periodic
        self.scaling, self.padding, self.expand_dims = scaling, padding, bool(expand_dims)
        self.data_format = data_format or "channels_last"
        self._step = int(frame_step or self.frame_length // 2)
        self._n_fft = int(fft_length or 2 ** int(math.ceil(math.log2(self.frame_length))))

    def build(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"[{self.name}] expects (batch, time, channels) input "
                             f"(channels_first: (batch, channels, time)). Received: "
                             f"input_shape={tuple(input_shape)}")
        shape = (self.frame_length, 1, self._n_fft // 2 + 1)
        for side in ("real", "imag"):
            if self.mode != {"real": "imag", "imag": "real"}.get(side):
                init = STFTInitializer(side, self.window, self.scaling, self.periodic)
                setattr(self, f"{side}_kernel",
                        self.add_weight(shape, init, name=f"{side}_kernel"))

    def _conv(self, x, kernel):
        """x (batch, channels, time) -> (batch, channels, bins, frames)."""
        b, c, t = x.shape
        y = ops.conv(ops.reshape(x, (-1, t, 1)), kernel, strides=self._step,
                     padding=self.padding)  # (batch * channels, frames, bins)
        return ops.transpose(ops.reshape(y, (-1, c, y.shape[1], y.shape[2])), (0, 1, 3, 2))

    def call(self, inputs):
        if inputs._data.dtype.kind != "f":
            raise TypeError(f"[{self.name}] expects float16 / float32 / float64 input. "
                            f"Received: dtype={inputs.dtype}")
        x = inputs if self.data_format == "channels_first" else ops.transpose(inputs, (0, 2, 1))
        re = self._conv(x, self.real_kernel) if self.mode != "imag" else None
        im = self._conv(x, self.imag_kernel) if self.mode != "real" else None
        if self.mode in ("real", "imag"):
            return self._layout(re if self.mode == "real" else im)
        if self.mode == "angle":
            return self._layout(ops.arctan2(im, re))
        if self.mode == "stft":
            return self._layout(ops.concatenate([re, im], axis=2))
        power = re * re + im * im
        if self.mode == "psd":  # one-sided: the bins between DC and Nyquist count twice
            return self._layout(power + ops.pad(power[:, :, 1:-1, :],
                                                [[0, 0], [0, 0], [1, 1], [0, 0]]))
        eps = _epsilon()
        mag = self._layout(ops.sqrt(ops.maximum(power, eps)))
        return mag if self.mode == "magnitude" else ops.log(ops.maximum(mag, eps))

    def _layout(self, y):
        """(batch, channels, bins, frames) to the output layout."""
        b, c, f, t = y.shape
        if self.data_format == "channels_last":
            if self.expand_dims:
                return ops.transpose(y, (0, 3, 2, 1))
            return ops.transpose(ops.reshape(y, (-1, c * f, t)), (0, 2, 1))
        if self.expand_dims:
            return ops.transpose(y, (0, 1, 3, 2))
        return ops.reshape(y, (-1, c * f, t))


def _epsilon():
    from .. import backend
    return backend.epsilon()
