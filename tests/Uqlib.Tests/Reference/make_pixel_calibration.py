"""Golden values for Uqlib.Segmentation.PixelCalibration: ECE over pixels and temperature scaling fitted on pixels.

Every pixel (or every pixel of the region of interest) is one sample; NumPy/SciPy in float64, written from the papers:
- ECE (Guo et al. 2017): top-label confidence max_c p_c, correctness argmax == label, B = 15 equal-width bins
  (b/B, (b+1)/B] (confidence 0 goes to bin 0), sum_b n_b/N |acc_b - conf_b|.
- Temperature scaling (Guo et al. 2017): T minimising the mean NLL of softmax(z / T) over the pixels; for a sigmoid
  model the logit z is the class pair (0, z). Minimised over beta = 1/T with scipy.optimize.minimize_scalar (bounded,
  xatol 1e-13) on [0.01, 100] (T in [0.01, 100]).

Run: python3 make_pixel_calibration.py  (writes pixel_calibration.json beside this script)
"""
import json
import os

import numpy as np
from scipy import optimize, special

rng = np.random.default_rng(20261128)


def pixels(z):
    """(N, C, *S) -> (N * prod(S), C), pixel-major in row-major order of (N, *S)."""
    return np.moveaxis(z, 1, -1).reshape(-1, z.shape[1])


def ece(p, y, bins=15):
    conf = p.max(axis=1)
    correct = (p.argmax(axis=1) == y).astype(float)
    b = np.clip(np.ceil(conf * bins).astype(int) - 1, 0, bins - 1)
    total = 0.0
    for k in range(bins):
        sel = b == k
        if sel.any():
            total += sel.sum() / len(conf) * abs(correct[sel].mean() - conf[sel].mean())
    return float(total)


def fit_temperature(z, y):
    def nll(beta):
        return float(np.mean(special.logsumexp(beta * z, axis=1) - beta * z[np.arange(len(y)), y]))
    res = optimize.minimize_scalar(nll, bounds=(0.01, 100.0), method="bounded", options={"xatol": 1e-13})
    return float(1.0 / res.x)


def roi_box(shape):
    roi = np.zeros(shape, dtype=bool)
    for i in range(shape[0]):
        lo = [rng.integers(0, s // 2) for s in shape[1:]]
        hi = [l + rng.integers(2, s - l + 1) for l, s in zip(lo, shape[1:])]
        roi[(i,) + tuple(slice(a, b) for a, b in zip(lo, hi))] = True
    return roi


def labels_from(p):
    """Labels drawn from a softened version of p: the model is over-confident (T > 1 fits)."""
    soft = special.softmax(np.log(p + 1e-12) / 2.5, axis=-1)
    u = rng.random(len(soft))[:, None]
    return (u > np.cumsum(soft, axis=-1)).sum(axis=-1).clip(0, p.shape[1] - 1)


# multiclass, 2-D
n, c, h, w = 3, 4, 10, 12
logits = rng.normal(scale=3.0, size=(n, c, h, w))
rows = pixels(logits)
p = special.softmax(rows, axis=1)
y = labels_from(p)
roi = roi_box((n, h, w))
sel = roi.ravel()
multi = {
    "shape": [n, c, h, w],
    "logits": logits.ravel().tolist(),
    "labels": y.tolist(),
    "roi": roi.astype(int).ravel().tolist(),
    "ece": ece(p, y),
    "eceRoi": ece(p[sel], y[sel]),
    "ece10": ece(p, y, 10),
    "temperature": fit_temperature(rows, y),
    "temperatureRoi": fit_temperature(rows[sel], y[sel]),
}

# binary sigmoid, 3-D
n, d, h, w = 2, 4, 6, 6
z = rng.normal(scale=4.0, size=(n, 1, d, h, w))
zr = pixels(z)[:, 0]
p1 = special.expit(zr)
p2 = np.stack([1 - p1, p1], axis=1)
yb = labels_from(p2)
roib = roi_box((n, d, h, w))
selb = roib.ravel()
pair = np.stack([np.zeros_like(zr), zr], axis=1)
binary = {
    "shape": [n, 1, d, h, w],
    "logits": z.ravel().tolist(),
    "labels": yb.tolist(),
    "roi": roib.astype(int).ravel().tolist(),
    "ece": ece(p2, yb),
    "eceRoi": ece(p2[selb], yb[selb]),
    "temperature": fit_temperature(pair, yb),
    "temperatureRoi": fit_temperature(pair[selb], yb[selb]),
}

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "pixel_calibration.json"), "w") as f:
    json.dump({"multiclass2d": multi, "binary3d": binary}, f)
print({k: v for k, v in multi.items() if not isinstance(v, list)})
print({k: v for k, v in binary.items() if not isinstance(v, list)})
