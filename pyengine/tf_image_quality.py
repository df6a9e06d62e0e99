"""tf.image.ssim and tf.image.image_gradients (keras-io monocular depth estimation's loss:
SSIM + L1 + an edge-aware smoothness term). TensorFlow's definitions on (..., H, W, C) images:

image_gradients: dy[i] = x[i + 1] - x[i] along height, dx along width, zero in the last row /
column, each the input's shape.
ssim: per channel, with a filter_size x filter_size Gaussian window (sigma filter_sigma,
normalised, applied 'VALID'), c1 = (k1 max_val)^2, c2 = (k2 max_val)^2,
luminance = (2 mu_x mu_y + c1) / (mu_x^2 + mu_y^2 + c1),
contrast-structure = (2 E[xy] - 2 mu_x mu_y + c2) / (E[x^2 + y^2] - mu_x^2 - mu_y^2 + c2),
averaged over the window positions, then over the channels: one value per image.
Both are Tensor ops (depthwise convolution), so gradients flow; integer images are read as
float32 (SSIM does not change when images and max_val are scaled together)."""
import numpy as np

from .tensor import Tensor
from .tf_names import _t


def image_gradients(image):
    x = _t(image)
    if x.ndim != 4:
        raise ValueError(f"[tf.image.image_gradients] image must be 4-D (batch, height, width, "
                         f"channels). Received: shape {tuple(x.shape)}")
    from .nn import functional as F
    dy = F.pad(x[:, 1:] - x[:, :-1], (0, 0, 0, 0, 0, 1))
    dx = F.pad(x[:, :, 1:] - x[:, :, :-1], (0, 0, 0, 1))
    return dy, dx


def total_variation(images, name=None):
    """The sum of absolute differences between neighbouring pixels (along height and width)
    of each image: a scalar for one (H, W, C) image, (batch,) for (batch, H, W, C) images
    (the smoothness term of TensorFlow's style-transfer tutorial)."""
    x = _t(images)
    if x.ndim not in (3, 4):
        raise ValueError(f"[tf.image.total_variation] images must be 3-D or 4-D. Received: "
                         f"shape {tuple(x.shape)}")
    h = 1 if x.ndim == 4 else 0
    dy = (x.narrow(h, 1, x.shape[h] - 1) - x.narrow(h, 0, x.shape[h] - 1)).abs()
    dx = (x.narrow(h + 1, 1, x.shape[h + 1] - 1) - x.narrow(h + 1, 0, x.shape[h + 1] - 1)).abs()
    axes = tuple(range(h, x.ndim))
    return dy.sum(axis=axes) + dx.sum(axis=axes)


def _gauss(size, sigma):
    coords = np.arange(size, dtype=np.float64) - (size - 1) / 2.0
    g = np.exp(-0.5 * coords ** 2 / sigma ** 2)
    g2 = np.outer(g, g)
    return g2 / g2.sum()


def ssim(img1, img2, max_val, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03,
         return_index_map=False):
    """One SSIM value per image; img1 / img2 (..., H, W, C) whose leading dimensions
    broadcast. A list of images (a model's outputs) is stacked first, as TensorFlow converts
    it."""
    from .tf_nn_more import depthwise_conv2d
    op = "tf.image.ssim"
    x, y = _t(img1), _t(img2)
    if x.ndim < 3 or y.ndim < 3 or tuple(x.shape[-3:]) != tuple(y.shape[-3:]):
        raise ValueError(f"[{op}] img1 and img2 must be images of one shape (..., H, W, C). "
                         f"Received: {tuple(x.shape)} and {tuple(y.shape)}")
    if tuple(x.shape) != tuple(y.shape):
        # leading (batch) dimensions broadcast, as TensorFlow's: keras-io BASNet compares a
        # (B, H, W, 1) mask with its 8 stacked (8, B, H, W, 1) side outputs
        try:
            lead = np.broadcast_shapes(tuple(x.shape[:-3]), tuple(y.shape[:-3]))
        except ValueError:
            raise ValueError(f"[{op}] the batch dimensions of img1 {tuple(x.shape)} and img2 "
                             f"{tuple(y.shape)} do not broadcast") from None
        x = x.expand(tuple(lead) + tuple(x.shape[-3:]))
        y = y.expand(tuple(lead) + tuple(y.shape[-3:]))
    if x._data.dtype.kind != "f":
        x = x.astype("float32")
    if y._data.dtype != x._data.dtype:
        y = y.astype(x.dtype)
    lead = tuple(x.shape[:-3])
    h, w, c = x.shape[-3:]
    size = int(filter_size)
    if h < size or w < size:
        raise ValueError(f"[{op}] images ({h} x {w}) must be at least filter_size ({size}) "
                         f"in height and width")
    x4, y4 = x.reshape(-1, h, w, c), y.reshape(-1, h, w, c)
    kernel = np.tile(_gauss(size, float(filter_sigma))[:, :, None, None], (1, 1, c, 1))
    kernel = Tensor._wrap(kernel.astype(x._data.dtype))

    def blur(t):
        return depthwise_conv2d(t, kernel, [1, 1, 1, 1], "VALID")
    c1 = (float(k1) * float(max_val)) ** 2
    c2 = (float(k2) * float(max_val)) ** 2
    mx, my = blur(x4), blur(y4)
    num0, den0 = mx * my * 2.0, mx * mx + my * my
    luminance = (num0 + c1) / (den0 + c1)
    num1, den1 = blur(x4 * y4) * 2.0, blur(x4 * x4 + y4 * y4)
    cs = (num1 - num0 + c2) / (den1 - den0 + c2)
    index = luminance * cs
    if return_index_map:
        return index.reshape(lead + tuple(index.shape[1:]))
    return index.mean((1, 2, 3)).reshape(lead)
