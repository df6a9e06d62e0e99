"""tf.image.non_max_suppression and combined_non_max_suppression (greedy NMS, TensorFlow's
rules): boxes are [y1, x1, y2, x2] with the corners in either order; a candidate is kept when
its score is above score_threshold and its IoU with every box kept before it (higher score;
ties keep the lower index first) is at most iou_threshold. Selection has no gradient, as in
TensorFlow; the outputs are new tensors."""
import collections

import numpy as np

from .tensor import Tensor

CombinedNonMaxSuppression = collections.namedtuple(
    "CombinedNonMaxSuppression",
    ["nmsed_boxes", "nmsed_scores", "nmsed_classes", "valid_detections"])


def _array(op, name, x):
    a = np.asarray(getattr(x, "_data", x))
    if a.dtype.kind not in "fiu":
        raise TypeError(f"[{op}] {name} must be numbers, got dtype {a.dtype}")
    return a.astype(np.float32)


def _count(op, name, v):
    v = getattr(v, "_data", v)
    if np.ndim(v) != 0 or float(v) != int(float(v)) or int(float(v)) < 0:
        raise ValueError(f"[{op}] {name} must be a non-negative integer, got {v!r}")
    return int(float(v))


def _iou(box, others):
    """IoU of one [y1, x1, y2, x2] box with each row of others (corner order free)."""
    y1, y2 = min(box[0], box[2]), max(box[0], box[2])
    x1, x2 = min(box[1], box[3]), max(box[1], box[3])
    oy1, oy2 = np.minimum(others[:, 0], others[:, 2]), np.maximum(others[:, 0], others[:, 2])
    ox1, ox2 = np.minimum(others[:, 1], others[:, 3]), np.maximum(others[:, 1], others[:, 3])
    inter = np.clip(np.minimum(y2, oy2) - np.maximum(y1, oy1), 0, None) * \
        np.clip(np.minimum(x2, ox2) - np.maximum(x1, ox1), 0, None)
    area, areas = (y2 - y1) * (x2 - x1), (oy2 - oy1) * (ox2 - ox1)
    union = area + areas - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where((area > 0) & (areas > 0) & (union > 0), inter / union, 0.0)
    return out


def _select(boxes, scores, max_out, iou_threshold, score_threshold):
    """Indices kept by greedy NMS, best first."""
    cand = np.nonzero(scores > score_threshold)[0]
    cand = cand[np.argsort(-scores[cand], kind="stable")]
    kept = []
    for i in cand:
        if len(kept) >= max_out:
            break
        if not kept or (_iou(boxes[i], boxes[np.array(kept)]) <= iou_threshold).all():
            kept.append(int(i))
    return kept


def _check_thresholds(op, iou_threshold):
    t = float(getattr(iou_threshold, "_data", iou_threshold))
    if not 0.0 <= t <= 1.0:
        raise ValueError(f"[{op}] iou_threshold must be in [0, 1], got {t}")
    return t


def non_max_suppression(boxes, scores, max_output_size, iou_threshold=0.5,
                        score_threshold=float("-inf"), name=None):
    """int32 indices (at most max_output_size) of the boxes greedy NMS keeps, best first."""
    op = "image.non_max_suppression"
    b, s = _array(op, "boxes", boxes), _array(op, "scores", scores)
    if b.ndim != 2 or b.shape[1] != 4 or s.shape != (b.shape[0],):
        raise ValueError(f"[{op}] boxes must be (num_boxes, 4) and scores (num_boxes,), got "
                         f"{b.shape} and {s.shape}")
    kept = _select(b, s, _count(op, "max_output_size", max_output_size),
                   _check_thresholds(op, iou_threshold),
                   float(getattr(score_threshold, "_data", score_threshold)))
    return Tensor._wrap(np.asarray(kept, np.int32))


def combined_non_max_suppression(boxes, scores, max_output_size_per_class, max_total_size,
                                 iou_threshold=0.5, score_threshold=float("-inf"),
                                 pad_per_class=False, clip_boxes=True, name=None):
    """Per-class greedy NMS over a batch, then the best max_total_size detections of all
    classes: boxes (batch, num_boxes, q, 4) with q 1 (shared) or num_classes, scores (batch,
    num_boxes, num_classes). Returns CombinedNonMaxSuppression(nmsed_boxes (batch, T, 4),
    nmsed_scores (batch, T), nmsed_classes (batch, T) float32, valid_detections (batch,)
    int32), zero-padded after the valid ones; T is max_total_size, or with pad_per_class
    min(max_total_size, max_output_size_per_class * num_classes). clip_boxes clips the
    coordinates to [0, 1]."""
    op = "image.combined_non_max_suppression"
    b, s = _array(op, "boxes", boxes), _array(op, "scores", scores)
    if b.ndim != 4 or b.shape[-1] != 4 or s.ndim != 3 or s.shape[:2] != b.shape[:2]:
        raise ValueError(f"[{op}] boxes must be (batch, num_boxes, q, 4) and scores (batch, "
                         f"num_boxes, num_classes), got {b.shape} and {s.shape}")
    n_cls = s.shape[2]
    if b.shape[2] not in (1, n_cls):
        raise ValueError(f"[{op}] boxes' third dimension q must be 1 or num_classes "
                         f"({n_cls}), got {b.shape[2]}")
    per_class = _count(op, "max_output_size_per_class", max_output_size_per_class)
    total = _count(op, "max_total_size", max_total_size)
    iou = _check_thresholds(op, iou_threshold)
    score_t = float(getattr(score_threshold, "_data", score_threshold))
    size = min(total, per_class * n_cls) if pad_per_class else total
    batch = b.shape[0]
    out_b = np.zeros((batch, size, 4), np.float32)
    out_s = np.zeros((batch, size), np.float32)
    out_c = np.zeros((batch, size), np.float32)
    valid = np.zeros((batch,), np.int32)
    for k in range(batch):
        found = []  # (score, class, box)
        for c in range(n_cls):
            bc = b[k, :, 0 if b.shape[2] == 1 else c]
            for i in _select(bc, s[k, :, c], per_class, iou, score_t):
                found.append((s[k, i, c], c, bc[i]))
        order = sorted(range(len(found)), key=lambda j: (-found[j][0], j))[:size]
        for r, j in enumerate(order):
            out_s[k, r], out_c[k, r], out_b[k, r] = found[j]
        valid[k] = len(order)
    if clip_boxes:
        out_b = np.clip(out_b, 0.0, 1.0)
        out_b[np.arange(size)[None, :] >= valid[:, None]] = 0.0
    return CombinedNonMaxSuppression(Tensor._wrap(out_b), Tensor._wrap(out_s),
                                     Tensor._wrap(out_c), Tensor._wrap(valid))
