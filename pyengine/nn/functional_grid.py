"""F.affine_grid and F.grid_sample (the spatial transformer tutorial's sampler), with
PyTorch's semantics: normalised coordinates in [-1, 1] (x indexes width, y height),
align_corners choosing whether -1 / 1 are the corner pixels' centres (True) or their outer
edges (False), padding_mode "zeros" / "border" / "reflection", mode "bilinear" / "nearest".

Composed from differentiable ops (matmul, gather, arithmetic), so gradients reach both the
input and the grid (hence theta). The piecewise parts (which pixels are the corners, whether
a coordinate is clipped or reflected) are decided on detached values: each padded coordinate
is written as slope * x + offset with slope in {-1, 0, 1}, the derivative PyTorch's kernels
use (0 where clipped). 4-D (images) only for grid_sample; 5-D volumes and "bicubic" raise."""
import numpy as np

__all__ = ["affine_grid", "grid_sample"]


def _base_coords(n, align_corners):
    # torch's linspace_from_neg_one: one step is the centre 0
    if n <= 1:
        return np.zeros(max(n, 0))
    steps = np.linspace(-1.0, 1.0, n)
    return steps if align_corners else steps * (n - 1) / n


def affine_grid(theta, size, align_corners=None):
    """theta (N, 2, 3) and size (N, C, H, W) -> grid (N, H, W, 2); theta (N, 3, 4) and size
    (N, C, D, H, W) -> (N, D, H, W, 3). Each output location's [x, y(, z), 1] times theta^T."""
    from ..creation import tensor
    align_corners = bool(align_corners) if align_corners is not None else False
    size = [int(s) for s in size]
    if len(size) not in (4, 5):
        raise NotImplementedError(f"[affine_grid] size must have 4 (2-D) or 5 (3-D) entries, "
                                  f"got {size}")
    spatial = size[2:]
    k = len(spatial)
    if theta.ndim != 3 or tuple(theta.shape[1:]) != (k, k + 1) or theta.shape[0] != size[0]:
        raise ValueError(f"[affine_grid] expected theta of shape ({size[0]}, {k}, {k + 1}) for "
                         f"size {size}, got {tuple(theta.shape)}")
    if not theta.dtype.is_floating_point:
        raise TypeError(f"[affine_grid] theta must be floating point, got {theta.dtype}")
    axes = [_base_coords(s, align_corners) for s in spatial]  # (D,) H, W
    mesh = np.meshgrid(*axes, indexing="ij")
    # coordinate order is x (width) first: reverse the spatial axes
    base = np.stack([m for m in reversed(mesh)] + [np.ones_like(mesh[0])], axis=-1)
    base = tensor(base.reshape(1, -1, k + 1), dtype=theta.dtype, device=theta.device)
    grid = base.matmul(theta.transpose(1, 2))  # (N, prod(spatial), k)
    return grid.reshape(size[0], *spatial, k)


def _unnormalize(coord, n, align_corners):
    return (coord + 1) * ((n - 1) / 2) if align_corners else ((coord + 1) * n - 1) / 2


def _pad_coords(c, n, padding_mode, align_corners):
    """c: pixel coordinates (Tensor). Returns slope * c + offset for the padding mode."""
    if padding_mode == "zeros":
        return c
    v = c.detach().numpy().astype(np.float64)
    slope = np.ones_like(v)
    if padding_mode == "reflection":
        lo2, hi2 = (0, 2 * (n - 1)) if align_corners else (-1, 2 * n - 1)
        if lo2 == hi2:
            v, slope = np.zeros_like(v), np.zeros_like(v)
        else:
            low, span = lo2 / 2, (hi2 - lo2) / 2
            d = v - low
            slope = np.where(d < 0, -1.0, 1.0)
            d = np.abs(d)
            extra, flips = np.fmod(d, span), np.floor(d / span)
            even = (flips % 2) == 0
            v = np.where(even, extra + low, span - extra + low)
            slope = np.where(even, slope, -slope)
    # clip into [0, n - 1]; PyTorch's derivative is 0 at and beyond both ends
    inside = (v > 0) & (v < n - 1)
    v = np.clip(v, 0, n - 1)
    slope = np.where(inside, slope, 0.0)
    from ..creation import tensor
    offset = v - slope * c.detach().numpy().astype(np.float64)
    return c * tensor(slope, dtype=c.dtype, device=c.device) + \
        tensor(offset, dtype=c.dtype, device=c.device)


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Samples input (N, C, H, W) at grid (N, Ho, Wo, 2) -> (N, C, Ho, Wo)."""
    from ..creation import tensor
    if mode not in ("bilinear", "nearest"):
        raise NotImplementedError(f"[grid_sample] mode {mode!r}: only 'bilinear' and "
                                  "'nearest' are implemented")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"[grid_sample] padding_mode must be 'zeros', 'border' or "
                         f"'reflection', got {padding_mode!r}")
    if input.ndim == 5:
        raise NotImplementedError("[grid_sample] 5-D (volumetric) input is not implemented")
    if input.ndim != 4 or grid.ndim != 4 or grid.shape[-1] != 2:
        raise ValueError(f"[grid_sample] expected input (N, C, H, W) and grid (N, Ho, Wo, 2), "
                         f"got {tuple(input.shape)} and {tuple(grid.shape)}")
    if grid.shape[0] != input.shape[0]:
        raise ValueError(f"[grid_sample] grid and input batch sizes differ: "
                         f"{grid.shape[0]} vs {input.shape[0]}")
    if grid.dtype != input.dtype:
        raise TypeError(f"[grid_sample] input ({input.dtype}) and grid ({grid.dtype}) must "
                        "have the same dtype")
    align_corners = bool(align_corners) if align_corners is not None else False
    N, C, H, W = (int(s) for s in input.shape)
    Ho, Wo = int(grid.shape[1]), int(grid.shape[2])
    ix = _pad_coords(_unnormalize(grid[..., 0], W, align_corners), W, padding_mode, align_corners)
    iy = _pad_coords(_unnormalize(grid[..., 1], H, align_corners), H, padding_mode, align_corners)
    flat = input.reshape(N, C, H * W)

    def corner(xc, yc):
        valid = (xc >= 0) & (xc < W) & (yc >= 0) & (yc < H)
        idx = (np.clip(yc, 0, H - 1) * W + np.clip(xc, 0, W - 1)).astype(np.int64)
        idx = tensor(idx.reshape(N, 1, Ho * Wo), device=input.device).expand(N, C, Ho * Wo)
        return flat.gather(2, idx), tensor(valid.reshape(N, 1, Ho * Wo), dtype=input.dtype,
                                           device=input.device)

    xv, yv = ix.detach().numpy(), iy.detach().numpy()
    if mode == "nearest":
        vals, valid = corner(np.rint(xv), np.rint(yv))  # round half to even, as nearbyint
        # the grid stays in the graph with a zero derivative, as PyTorch (grid.grad is zeros)
        zero = (ix + iy).reshape(N, 1, Ho * Wo) * 0
        return (vals * valid + zero).reshape(N, C, Ho, Wo)
    x0, y0 = np.floor(xv), np.floor(yv)
    wx1 = (ix - tensor(x0, dtype=ix.dtype, device=ix.device)).reshape(N, 1, Ho * Wo)
    wy1 = (iy - tensor(y0, dtype=iy.dtype, device=iy.device)).reshape(N, 1, Ho * Wo)
    wx0, wy0 = 1 - wx1, 1 - wy1
    out = None
    for xc, yc, w in ((x0, y0, wx0 * wy0), (x0 + 1, y0, wx1 * wy0),
                      (x0, y0 + 1, wx0 * wy1), (x0 + 1, y0 + 1, wx1 * wy1)):
        vals, valid = corner(xc, yc)
        term = vals * (w * valid)
        out = term if out is None else out + term
    return out.reshape(N, C, Ho, Wo)
