"""Image grids for RBM filters and DBN samples, saved through matplotlib when it is installed
(the `plot` extra); without it `save_grid` says so and returns None, so examples still run."""
import numpy as np


def tile(images, shape, cols=None, pad=1):
    """(n, h*w) rows -> one 2-D mosaic of n images of `shape`, each rescaled to [0, 1]."""
    images = np.asarray(images, np.float64).reshape(len(images), *shape)
    n = len(images)
    cols = cols or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    h, w = shape
    out = np.ones((rows * (h + pad) + pad, cols * (w + pad) + pad))
    for i, img in enumerate(images):
        lo, hi = img.min(), img.max()
        img = (img - lo) / (hi - lo) if hi > lo else np.zeros_like(img)
        r, c = divmod(i, cols)
        top, left = pad + r * (h + pad), pad + c * (w + pad)
        out[top:top + h, left:left + w] = img
    return out


def save_grid(path, images, shape, title, cols=None):
    """Writes the mosaic of `images` to `path` (PNG); returns the path, or None when matplotlib
    is missing."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"matplotlib is not installed: {path} not written (pip install 'pyengine[plot]')")
        return None
    mosaic = tile(images, shape, cols)
    fig, ax = plt.subplots(figsize=(6, 6 * mosaic.shape[0] / mosaic.shape[1] + 0.4))
    ax.imshow(mosaic, cmap="gray_r" if title.lower().startswith("sample") else "gray",
              interpolation="nearest")
    ax.set_axis_off()
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"wrote {path}")
    return path
