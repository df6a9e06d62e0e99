"""tf.image.sample_distorted_bounding_box: a random crop window for Inception-style
augmentation (keras-io FixRes: `begin, size, _ = sample_distorted_bounding_box(tf.shape(image),
tf.zeros([0, 0, 4]), area_range=(0.05, 1.0), min_object_covered=0,
use_image_if_no_bounding_boxes=True)` then `tf.slice(image, begin, size)`).

TensorFlow's algorithm (sample_distorted_bounding_box_op.cc), drawn from pyengine's generator
(or `seed`): for up to max_attempts tries, an aspect ratio w / h uniform in aspect_ratio_range;
a height between round(sqrt(min_area / ratio)) and round(sqrt(max_area / ratio)) (areas in
pixels from area_range, the height capped so the width fits), the width round(height * ratio),
nudged once up / down if rounding leaves the area range; a uniform offset; the window is kept
when it covers at least min_object_covered of one of the bounding boxes (pixel rectangles from
the normalised [ymin, xmin, ymax, xmax]). When no try succeeds the whole image is the window.
Returns begin [y, x, 0], size [h, w, -1] (image_size's int dtype) and the window as a
normalised (1, 1, 4) float32 box."""
import math

import numpy as np

from .tensor import Tensor
from .tf_debugging import invalid
from .tf_image_random import _gen


def _crop(gen, width, height, min_area, max_area, ratio):
    """One of TensorFlow's GenerateRandomCrop draws: (x, y, w, h) or None."""
    height_lo = int(np.rint(math.sqrt(min_area / ratio)))
    height_hi = int(np.rint(math.sqrt(max_area / ratio)))
    if np.rint(height_hi * ratio) > width:
        height_hi = int((width + 0.5 - 1e-7) / ratio)
        if np.rint(height_hi * ratio) > width:
            height_hi -= 1
    height_hi = min(height_hi, height)
    h = min(height_lo, height_hi)
    if h < height_hi:
        h += int(gen.integers(0, height_hi - h + 1))
    w = int(np.rint(h * ratio))
    if w * h < min_area:
        h += 1
        w = int(np.rint(h * ratio))
    if w * h > max_area:
        h -= 1
        w = int(np.rint(h * ratio))
    if not (min_area <= w * h <= max_area) or w > width or h > height or w <= 0 or h <= 0:
        return None
    y = int(gen.integers(0, height - h)) if h < height else 0
    x = int(gen.integers(0, width - w)) if w < width else 0
    return x, y, w, h


def _covers(crop, boxes, min_covered):
    x, y, w, h = crop
    for bx0, by0, bx1, by1 in boxes:
        area = (bx1 - bx0) * (by1 - by0)
        if area < 1:
            continue
        iw = max(0, min(x + w, bx1) - max(x, bx0))
        ih = max(0, min(y + h, by1) - max(y, by0))
        if iw * ih / area >= min_covered:
            return True
    return False


def sample_distorted_bounding_box(image_size, bounding_boxes, seed=None, min_object_covered=0.1,
                                  aspect_ratio_range=None, area_range=None, max_attempts=None,
                                  use_image_if_no_bounding_boxes=None, name=None):
    op = "image.sample_distorted_bounding_box"
    dims = np.asarray(getattr(image_size, "_data", image_size))
    if dims.shape != (3,) or dims.dtype.kind not in "iu":
        raise invalid(op, f"image_size must be 1-D [height, width, channels] of ints. "
                          f"Received: {dims!r}")
    height, width = int(dims[0]), int(dims[1])
    boxes = np.asarray(getattr(bounding_boxes, "_data", bounding_boxes), np.float64)
    if boxes.ndim != 3 or boxes.shape[-1] != 4:
        raise invalid(op, f"bounding_boxes must be (batch, N, 4). Received shape {boxes.shape}")
    boxes = boxes.reshape(-1, 4)
    if boxes.size and ((boxes < 0).any() or (boxes > 1).any()):
        raise invalid(op, "All bounding box coordinates must be in [0.0, 1.0]")
    if (boxes[:, 0] > boxes[:, 2]).any() or (boxes[:, 1] > boxes[:, 3]).any():
        raise invalid(op, "each bounding box must have ymin <= ymax and xmin <= xmax")
    rects = [(int(b[1] * width), int(b[0] * height), int(b[3] * width), int(b[2] * height))
             for b in boxes]
    if not rects:
        if not use_image_if_no_bounding_boxes:
            raise invalid(op, "No bounding boxes provided as input. One must enable "
                              "use_image_if_no_bounding_boxes if you wish to not provide any "
                              "bounding boxes.")
        rects = [(0, 0, width, height)]
    lo_ratio, hi_ratio = aspect_ratio_range or (0.75, 1.33)
    lo_area, hi_area = area_range or (0.05, 1.0)
    if not 0 < lo_area <= hi_area <= 1 or not 0 < lo_ratio <= hi_ratio:
        raise invalid(op, f"area_range must be within (0, 1] and aspect_ratio_range positive, "
                          f"each (low, high). Received: {area_range}, {aspect_ratio_range}")
    attempts = 100 if max_attempts is None else int(max_attempts)
    if attempts < 1:
        raise invalid(op, f"max_attempts must be positive. Received: {max_attempts}")
    gen = _gen(seed or None)  # TensorFlow: seed 0 means unseeded
    window = (0, 0, width, height)
    for _ in range(attempts):
        ratio = gen.random() * (hi_ratio - lo_ratio) + lo_ratio
        crop = _crop(gen, width, height, lo_area * width * height, hi_area * width * height,
                     ratio)
        if crop is not None and crop[2] * crop[3] >= 1 and _covers(crop, rects,
                                                                   min_object_covered):
            window = crop
            break
    x, y, w, h = window
    begin = Tensor._wrap(np.array([y, x, 0], dims.dtype))
    size = Tensor._wrap(np.array([h, w, -1], dims.dtype))
    box = np.array([[[y / height, x / width, (y + h) / height, (x + w) / width]]], np.float32)
    return begin, size, Tensor._wrap(box)
