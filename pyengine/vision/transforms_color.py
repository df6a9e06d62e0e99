"""torchvision.transforms' colour augmentations and blur on image tensors (..., C, H, W):
ColorJitter, RandomGrayscale, Grayscale, GaussianBlur, and RandomApply for any list of
transforms. The formulas are torchvision's tensor ones (functional_tensor): brightness, contrast
and saturation blend with black, the grey mean and the grey image and clamp to the image's
range; hue shifts H in HSV; grey is 0.2989 R + 0.587 G + 0.114 B; the blur is a separable
Gaussian with reflect padding. Random factors are drawn from pyengine's generator
(pe.manual_seed), in torchvision's order (ColorJitter: a random order of the four adjustments,
then each factor). They take tensors, as the SimCLR tutorial's pipeline gives them (ToTensor
first); a PIL image or an array raises a TypeError saying to apply ToTensor first."""
import numbers

import numpy as np

from ..tensor import Tensor
from .transforms import Compose  # (transforms imports this module after defining Compose)

__all__ = ["ColorJitter", "RandomGrayscale", "Grayscale", "GaussianBlur", "RandomApply"]


def _gen():
    from .. import random as _random
    return _random.get_generator()


def _image(img, op):
    if not isinstance(img, Tensor):
        raise TypeError(f"[{op}] expects an image tensor (..., C, H, W); apply ToTensor first "
                        f"(got {type(img).__name__})")
    if img.ndim < 3:
        raise TypeError(f"[{op}] expects a (..., C, H, W) tensor, got shape {tuple(img.shape)}")
    c = img.shape[-3]
    if c not in (1, 3):
        raise TypeError(f"[{op}] expects 1 or 3 channels, got {c}")
    return np.asarray(img.detach()._data)


def _bound(a):
    return 1.0 if a.dtype.kind == "f" else float(np.iinfo(a.dtype).max)


def _finish(out, like, device):
    """The result in the input's dtype (integer images rounded down as torchvision's .to())."""
    if like.dtype.kind != "f":
        out = np.floor(out) if like.dtype.kind == "u" else np.trunc(out)
    return Tensor._wrap(np.ascontiguousarray(out.astype(like.dtype, copy=False)), device)


def _gray(a):
    """torchvision's rgb_to_grayscale (one channel kept, as keepdim)."""
    if a.shape[-3] == 1:
        return a.astype(np.float64)
    r, g, b = a[..., 0, :, :], a[..., 1, :, :], a[..., 2, :, :]
    gray = (0.2989 * r.astype(np.float64) + 0.587 * g + 0.114 * b)
    if a.dtype.kind != "f":
        gray = np.floor(gray)
    return gray[..., None, :, :]


def _blend(a, other, ratio):
    return np.clip(ratio * a.astype(np.float64) + (1.0 - ratio) * other, 0.0, _bound(a))


def _rgb2hsv(rgb):
    r, g, b = rgb[..., 0, :, :], rgb[..., 1, :, :], rgb[..., 2, :, :]
    maxc, minc = rgb.max(axis=-3), rgb.min(axis=-3)
    eqc = maxc == minc
    cr = maxc - minc
    ones = np.ones_like(maxc)
    s = cr / np.where(eqc, ones, maxc)
    cr_div = np.where(eqc, ones, cr)
    rc, gc, bc = (maxc - r) / cr_div, (maxc - g) / cr_div, (maxc - b) / cr_div
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = np.fmod((hr + hg + hb) / 6.0 + 1.0, 1.0)
    return np.stack((h, s, maxc), axis=-3)


def _hsv2rgb(hsv):
    h, s, v = hsv[..., 0, :, :], hsv[..., 1, :, :], hsv[..., 2, :, :]
    i = np.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.astype(np.int64) % 6
    p = np.clip(v * (1.0 - s), 0.0, 1.0)
    q = np.clip(v * (1.0 - s * f), 0.0, 1.0)
    t = np.clip(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    table = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    out = np.empty(hsv.shape, hsv.dtype)
    for c in range(3):
        out[..., c, :, :] = np.select([i == k for k in range(6)], [row[c] for row in table])
    return out


def adjust_brightness(a, factor):
    return _blend(a, 0.0, factor)


def adjust_contrast(a, factor):
    mean = _gray(a).mean(axis=(-3, -2, -1), keepdims=True)
    return _blend(a, mean, factor)


def adjust_saturation(a, factor):
    return _blend(a, _gray(a), factor)


def adjust_hue(a, factor):
    if a.shape[-3] == 1:
        return a.astype(np.float64)
    scale = _bound(a)
    hsv = _rgb2hsv(a.astype(np.float64) / scale)
    hsv[..., 0, :, :] = np.fmod(hsv[..., 0, :, :] + factor, 1.0)
    hsv[..., 0, :, :] += hsv[..., 0, :, :] < 0  # torch's % keeps the divisor's sign
    return _hsv2rgb(hsv) * scale


class ColorJitter:
    """Random brightness, contrast, saturation and hue. brightness / contrast / saturation: a
    factor range [max(0, 1 - v), 1 + v] for a number v >= 0, or (min, max); hue: [-v, v] for
    0 <= v <= 0.5, or (min, max) within [-0.5, 0.5]. Each call applies the four adjustments
    in a random order, each with a factor drawn uniformly from its range (skipped when the
    range is None, i.e. given as 0)."""

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        self.brightness = self._range(brightness, "brightness")
        self.contrast = self._range(contrast, "contrast")
        self.saturation = self._range(saturation, "saturation")
        self.hue = self._range(hue, "hue", center=0.0, bound=(-0.5, 0.5), clip_first=False)

    @staticmethod
    def _range(value, name, center=1.0, bound=(0.0, float("inf")), clip_first=True):
        if isinstance(value, numbers.Number) and not isinstance(value, bool):
            if value < 0:
                raise ValueError(f"[ColorJitter] if {name} is a single number, it must be "
                                 f"non negative, got {value}")
            value = [center - float(value), center + float(value)]
            if clip_first:
                value[0] = max(value[0], 0.0)
        elif isinstance(value, (tuple, list)) and len(value) == 2:
            value = [float(value[0]), float(value[1])]
            if not bound[0] <= value[0] <= value[1] <= bound[1]:
                raise ValueError(f"[ColorJitter] {name} values should be between {bound}, got "
                                 f"{value}")
        else:
            raise TypeError(f"[ColorJitter] {name} should be a single number or a list/tuple "
                            f"with length 2, got {value!r}")
        if not bound[0] <= value[0] <= value[1] <= bound[1]:
            raise ValueError(f"[ColorJitter] {name} values should be between {bound}, got {value}")
        return None if value[0] == value[1] == center else tuple(value)

    def get_params(self):
        """(order of the four adjustments, brightness, contrast, saturation, hue factors)."""
        g = _gen()
        order = g.permutation(4)
        factors = [None if r is None else float(g.uniform(r[0], r[1]))
                   for r in (self.brightness, self.contrast, self.saturation, self.hue)]
        return (order, *factors)

    def __call__(self, img):
        a = _image(img, "ColorJitter")
        order, *factors = self.get_params()
        funcs = (adjust_brightness, adjust_contrast, adjust_saturation, adjust_hue)
        out = a
        for k in order:
            if factors[k] is not None:
                out = funcs[k](out, factors[k])
                if a.dtype.kind != "f":  # each step returns the image's dtype, as torchvision
                    out = np.floor(out)
        return _finish(out, a, img._device)

    def __repr__(self):
        return (f"ColorJitter(brightness={self.brightness}, contrast={self.contrast}, "
                f"saturation={self.saturation}, hue={self.hue})")


class Grayscale:
    """The image in grey (0.2989 R + 0.587 G + 0.114 B), with 1 or 3 identical channels."""

    def __init__(self, num_output_channels=1):
        if num_output_channels not in (1, 3):
            raise ValueError(f"[Grayscale] num_output_channels should be either 1 or 3, got "
                             f"{num_output_channels!r}")
        self.num_output_channels = num_output_channels

    def __call__(self, img):
        a = _image(img, type(self).__name__)
        g = _gray(a)
        if self.num_output_channels == 3:
            g = np.broadcast_to(g, g.shape[:-3] + (3,) + g.shape[-2:])
        return _finish(g, a, img._device)

    def __repr__(self):
        return f"Grayscale(num_output_channels={self.num_output_channels})"


class RandomGrayscale:
    """Grey with probability p, keeping the number of channels."""

    def __init__(self, p=0.1):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"[RandomGrayscale] p must be in [0, 1], got {p}")
        self.p = p

    def __call__(self, img):
        a = _image(img, "RandomGrayscale")
        if _gen().random() < self.p:
            return Grayscale(a.shape[-3])(img)
        return img

    def __repr__(self):
        return f"RandomGrayscale(p={self.p})"


class GaussianBlur:
    """Gaussian blur with an odd kernel_size (int or (kx, ky)) and a sigma drawn uniformly
    from sigma (a number, or (min, max); default (0.1, 2.0)) at each call; reflect padding."""

    def __init__(self, kernel_size, sigma=(0.1, 2.0)):
        ks = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
        if len(ks) != 2 or any(not isinstance(k, int) or isinstance(k, bool) or k <= 0 or
                               k % 2 == 0 for k in ks):
            raise ValueError(f"[GaussianBlur] kernel size values should be positive odd "
                             f"numbers, got {kernel_size!r}")
        self.kernel_size = ks
        if isinstance(sigma, numbers.Number) and not isinstance(sigma, bool):
            if sigma <= 0:
                raise ValueError(f"[GaussianBlur] if sigma is a single number, it must be "
                                 f"positive, got {sigma}")
            sigma = (float(sigma), float(sigma))
        elif isinstance(sigma, (tuple, list)) and len(sigma) == 2:
            if not 0.0 < sigma[0] <= sigma[1]:
                raise ValueError(f"[GaussianBlur] sigma values should be positive and of the "
                                 f"form (min, max), got {sigma!r}")
            sigma = (float(sigma[0]), float(sigma[1]))
        else:
            raise ValueError(f"[GaussianBlur] sigma should be a single number or a list/tuple "
                             f"with length 2, got {sigma!r}")
        self.sigma = sigma

    @staticmethod
    def get_params(sigma_min, sigma_max):
        return float(_gen().uniform(sigma_min, sigma_max))

    @staticmethod
    def _kernel1d(size, sigma):
        half = (size - 1) * 0.5
        x = np.linspace(-half, half, size)
        pdf = np.exp(-0.5 * (x / sigma) ** 2)
        return pdf / pdf.sum()

    def __call__(self, img):
        a = _image(img, "GaussianBlur")
        s = self.get_params(*self.sigma)
        kx, ky = self.kernel_size
        h, w = a.shape[-2:]
        if kx // 2 >= w or ky // 2 >= h:
            raise ValueError(f"[GaussianBlur] kernel_size {self.kernel_size} needs reflect "
                             f"padding wider than the image ({h}, {w})")
        pad = [(0, 0)] * (a.ndim - 2) + [(ky // 2, ky // 2), (kx // 2, kx // 2)]
        x = np.pad(a.astype(np.float64), pad, mode="reflect")
        wx, wy = self._kernel1d(kx, s), self._kernel1d(ky, s)
        x = sum(wx[j] * x[..., :, j:j + w] for j in range(kx))
        x = sum(wy[i] * x[..., i:i + h, :] for i in range(ky))
        if a.dtype.kind != "f":
            x = np.round(x)
        return _finish(x, a, img._device)

    def __repr__(self):
        return f"GaussianBlur(kernel_size={self.kernel_size}, sigma={self.sigma})"


class RandomApply(Compose):
    """The transforms in order (Compose) with probability p, else the input unchanged."""

    def __init__(self, transforms, p=0.5):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"[RandomApply] p must be in [0, 1], got {p}")
        super().__init__(transforms)
        self.p = p

    def __call__(self, img):
        if self.p < _gen().random():
            return img
        return super().__call__(img)

    def __repr__(self):
        inner = "".join(f"\n    {t!r}" for t in self.transforms)
        return f"RandomApply(\n    p={self.p}{inner}\n)"
