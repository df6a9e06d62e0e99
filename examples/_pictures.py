"""Picture helpers shared by the examples: an image grid saved as PNG through matplotlib when it
is installed (`pip install pyengine[plot]`); without it the examples still run and say so."""
import numpy as np


def save_grid(images, path, ncols=10, title=None):
    """images (N, H, W) or (N, H, W, C) in [0, 1] -> a PNG grid at `path`. Returns the path, or
    None (with a message) when matplotlib is not installed."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"matplotlib is not installed (pip install pyengine[plot]): {path} not written")
        return None
    images = np.clip(np.asarray(images, np.float32), 0, 1)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    n = len(images)
    nrows = (n + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * 0.9, nrows * 0.9 + (0.4 if title else 0)))
    for ax, k in zip(np.atleast_1d(axes).ravel(), range(nrows * ncols)):
        ax.axis("off")
        if k < n:
            ax.imshow(images[k], cmap="gray" if images.ndim == 3 else None, vmin=0, vmax=1)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    print(f"wrote {path}")
    return path


def load_mnist(path):
    """(x_train, y_train), (x_test, y_test) from a Keras-format mnist.npz, pixels in [0, 1]."""
    with np.load(path, allow_pickle=False) as f:
        return ((f["x_train"].astype(np.float32) / 255.0, f["y_train"].astype(np.int64)),
                (f["x_test"].astype(np.float32) / 255.0, f["y_test"].astype(np.int64)))


def synthetic_digits(n, seed=0):
    """Stand-in data for --quick runs without --data: blurry class-dependent blobs, 28x28."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, n)
    yy, xx = np.mgrid[0:28, 0:28]
    x = np.zeros((n, 28, 28), np.float32)
    for k in range(n):
        cy, cx = 6 + 2 * (y[k] % 5) + rng.normal(0, 0.5), 8 + 2 * (y[k] // 5) + rng.normal(0, 0.5)
        x[k] = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 18.0)
    return x, y.astype(np.int64)
