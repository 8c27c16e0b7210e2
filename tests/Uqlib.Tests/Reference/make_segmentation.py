"""Golden values for Uqlib.Segmentation.MapAggregation, NumPy/SciPy in float64.

Definitions, written from their publications (not from any library's segmentation code):
- Mean over the image; mean over the predicted foreground (an empty foreground falls back to the image mean).
- Boundary band of half-width w: scipy.ndimage.binary_dilation(m, ones((3,)*d), iterations=w)
  & ~scipy.ndimage.binary_erosion(m, ones((3,)*d), iterations=w, border_value=1) (pixels outside the image are
  neither foreground for the dilation nor background for the erosion); the band mean falls back to the image mean
  when the band is empty.
- Percentile: numpy.percentile(..., method="linear") per image.
- Volume coefficient of variation (Roy et al. 2019, Bayesian QuickNAT): std (ddof=0) / mean of the members'
  foreground voxel counts; 0 when every member is empty.
- Pairwise Dice disagreement (Roy et al. 2019): 1 - mean over member pairs i < j of 2|A_i & A_j| / (|A_i| + |A_j|),
  with Dice(empty, empty) = 1; written as an explicit double loop.

Per-pixel maps of SegmentationScores (NumPy/SciPy, not PyTorch): probabilities p = scipy.special.softmax(z, axis=1)
(multiclass) or (1 - expit(z), expit(z)) (binary sigmoid); entropy -sum p log p over classes (scipy.special.entr);
max-probability score 1 - max p; predicted labels argmax over classes (first of ties), foreground = label != 0.

Run: python3 make_segmentation.py  (writes segmentation.json beside this script)
"""
import itertools
import json
import os

import numpy as np
from scipy import ndimage, special

rng = np.random.default_rng(20261126)
WIDTHS = [1, 2, 3]
PERCENTILES = [0.0, 37.3, 50.0, 95.0, 99.0, 100.0]


def blob_mask(shape):
    """A random box plus a little salt noise: a realistic predicted mask with holes and specks."""
    m = np.zeros(shape, dtype=bool)
    lo = [rng.integers(0, s // 2) for s in shape]
    hi = [l + rng.integers(2, s - l + 1) for l, s in zip(lo, shape)]
    m[tuple(slice(a, b) for a, b in zip(lo, hi))] = True
    m ^= rng.random(shape) < 0.08
    return m


def band(mask, w):
    structure = np.ones((3,) * mask.ndim, dtype=bool)
    dil = ndimage.binary_dilation(mask, structure, iterations=w)
    ero = ndimage.binary_erosion(mask, structure, iterations=w, border_value=1)
    return dil & ~ero


def region_mean(x, r):
    return float(x[r].mean()) if r.any() else float(x.mean())


def map_case(shape):
    n = shape[0]
    maps = rng.random(shape)
    masks = np.stack([blob_mask(shape[1:]) for _ in range(n)])
    masks[1] = False                      # an empty prediction
    masks[n - 1] = True if n > 2 else masks[n - 1]   # an all-foreground prediction (empty band) when there is room
    case = {
        "shape": list(shape),
        "map": maps.ravel().tolist(),
        "mask": masks.astype(int).ravel().tolist(),
        "mean": [float(m.mean()) for m in maps],
        "foregroundMean": [region_mean(x, m) for x, m in zip(maps, masks)],
        "widths": WIDTHS,
        "bands": [[int(v) for v in np.stack([band(m, w) for m in masks]).astype(int).ravel()] for w in WIDTHS],
        "boundaryMean": [[region_mean(x, band(m, w)) for x, m in zip(maps, masks)] for w in WIDTHS],
        "percentiles": PERCENTILES,
        "percentile": [[float(np.percentile(x, q)) for x in maps] for q in PERCENTILES],
    }
    return case


def dice(a, b):
    s = a.sum() + b.sum()
    return 1.0 if s == 0 else 2.0 * (a & b).sum() / s


def member_case(shape):
    m, n = shape[0], shape[1]
    masks = np.stack([np.stack([blob_mask(shape[2:]) for _ in range(n)]) for _ in range(m)])
    masks[:, 0] = False                  # every member predicts nothing: CV 0, disagreement 0
    masks[: m // 2, 1] = False           # half the members predict nothing
    volumes = masks.reshape(m, n, -1).sum(2).astype(float)
    mean = volumes.mean(0)
    cv = np.where(mean > 0, volumes.std(0) / np.where(mean > 0, mean, 1), 0.0)
    disagreement = [1.0 - float(np.mean([dice(masks[i, k], masks[j, k]) for i, j in itertools.combinations(range(m), 2)]))
                    for k in range(n)]
    return {
        "shape": list(shape),
        "masks": masks.astype(int).ravel().tolist(),
        "volumeCv": cv.tolist(),
        "diceDisagreement": disagreement,
    }


def scores_case(shape, binary):
    z = rng.normal(0.0, 2.0, shape)
    z.flat[0] = 0.0                      # a tie: sigmoid 0.5, background
    if binary:
        q = special.expit(z)
        p = np.concatenate([1 - q, q], axis=1)
    else:
        z[:, :, 0, 0] = 1.5              # every class tied at the first pixel: entropy log C, label 0
        p = special.softmax(z, axis=1)
    labels = p.argmax(1)
    return {
        "shape": list(shape),
        "binary": binary,
        "logits": z.ravel().tolist(),
        "entropy": special.entr(p).sum(1).ravel().tolist(),
        "maxProbability": (1 - p.max(1)).ravel().tolist(),
        "labels": labels.ravel().tolist(),
        "foreground": (labels != 0).astype(int).ravel().tolist(),
    }


out = {
    "scores": [scores_case((2, 3, 4, 5), False), scores_case((2, 1, 3, 4, 5), True), scores_case((1, 4, 3, 3, 2), False)],
    "maps": [map_case((4, 9, 11)), map_case((3, 5, 6, 7))],
    "members": [member_case((4, 3, 8, 9)), member_case((3, 3, 4, 5, 6))],
}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "segmentation.json"), "w") as f:
    json.dump(out, f, indent=None, separators=(",", ":"))
