"""keras.initializers.STFTInitializer (Keras 3): the real or imaginary part of a windowed DFT
as a (frame_length, 1, fft_length // 2 + 1) Conv1D kernel, so that a strided convolution
computes a short-time Fourier transform (keras.layers.STFTSpectrogram).

    kernel[t, 0, f] = cos(-2 pi t f / N) * w[t] / s   (side 'real'; sin for 'imag')

with N = 2 * (bins - 1) the FFT length, w the window (scipy.signal.get_window(window,
frame_length, fftbins=periodic), or given values, or none) and s its L2 norm ('density'), its
L1 norm ('spectrum') or 1 (None)."""
import numpy as np

from .initializers import _CLASSES, Initializer


def window_values(window, length, periodic, owner):
    """The window as float64 values of `length` (None: no window)."""
    if window is None:
        return None
    if isinstance(window, str):
        try:
            import scipy.signal
        except ImportError:
            raise ImportError(f"[{owner}] a named window needs SciPy (pip install scipy), as "
                              "Keras' does; or pass the window's values") from None
        return np.asarray(scipy.signal.get_window(window, length, fftbins=bool(periodic)),
                          np.float64)
    w = np.asarray(getattr(window, "_data", window), np.float64)
    if w.shape != (length,):
        raise ValueError(f"[{owner}] the window must have shape ({length},) (frame_length). "
                         f"Received: window shape={w.shape}")
    return w


class STFTInitializer(Initializer):
    def __init__(self, side, window="hann", scaling="density", periodic=False):
        if side not in ("real", "imag"):
            raise ValueError(f"[STFTInitializer] side must be 'real' or 'imag'. Received: "
                             f"side={side!r}")
        if scaling not in (None, "density", "spectrum"):
            raise ValueError(f"[STFTInitializer] scaling must be None, 'density' or "
                             f"'spectrum'. Received: scaling={scaling!r}")
        if isinstance(window, str):
            window_values(window, 1, periodic, "STFTInitializer")  # an unknown name raises now
        self.side, self.window, self.scaling, self.periodic = side, window, scaling, periodic

    def sample(self, shape):
        if len(shape) != 3 or shape[1] != 1:
            raise ValueError(f"[STFTInitializer] shape must be (frame_length, 1, bins). "
                             f"Received: shape={shape}")
        frame_length, _, bins = shape
        n_fft = 2 * (bins - 1)
        t = np.arange(frame_length, dtype=np.float64)[:, None, None]
        f = np.arange(bins, dtype=np.float64)[None, None, :]
        angle = -2.0 * np.pi * t * f / n_fft
        kernel = np.cos(angle) if self.side == "real" else np.sin(angle)
        w = window_values(self.window, frame_length, self.periodic, "STFTInitializer")
        if w is not None:
            scale = {"density": np.sqrt((w * w).sum()), "spectrum": np.abs(w).sum(),
                     None: 1.0}[self.scaling]
            kernel = kernel * w[:, None, None] / scale
        return kernel

    def get_config(self):
        window = self.window
        if window is not None and not isinstance(window, str):
            window = np.asarray(getattr(window, "_data", window)).tolist()
        return {"side": self.side, "window": window, "scaling": self.scaling,
                "periodic": self.periodic}


_CLASSES["STFTInitializer"] = STFTInitializer
