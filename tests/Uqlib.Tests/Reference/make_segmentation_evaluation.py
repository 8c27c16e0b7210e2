"""Golden values for Uqlib.Evaluation.SegmentationEvaluation: Spearman rank correlation and per-image Dice.

- Spearman: scipy.stats.spearmanr (Pearson correlation of average ranks; ties get the mean of their ranks).
- Dice per image, NumPy: 2|A & B| / (|A| + |B|), 1 when both masks are empty; for label maps the mean over the
  foreground classes 1..C-1 (each class absent from both maps counts 1), or the Dice of one chosen class.

Run: python3 make_segmentation_evaluation.py  (writes segmentation_evaluation.json beside this script)
"""
import json
import os

import numpy as np
from scipy import stats

rng = np.random.default_rng(20261127)


def dice(a, b):
    a = a.astype(bool)
    b = b.astype(bool)
    total = a.sum() + b.sum()
    return 1.0 if total == 0 else 2.0 * np.logical_and(a, b).sum() / total


def spearman(x, y):
    return float(stats.spearmanr(x, y).correlation)


spearman_cases = []
for n, digits in [(3, None), (7, 0), (25, 1), (200, 1), (1000, None)]:
    x = rng.normal(size=n)
    y = 0.6 * x + rng.normal(size=n)
    if digits is not None:  # rounding makes ties
        x = np.round(x, digits)
        y = np.round(y * 2, digits)
    spearman_cases.append({"x": x.tolist(), "y": y.tolist(), "rho": spearman(x, y)})
# all tied but one, and a perfect inverse order
spearman_cases.append({"x": [1.0, 1.0, 1.0, 2.0], "y": [4.0, 3.0, 2.0, 1.0], "rho": spearman([1, 1, 1, 2], [4, 3, 2, 1])})
spearman_cases.append({"x": [1.0, 2.0, 3.0, 4.0, 5.0], "y": [5.0, 4.0, 3.0, 2.0, 1.0], "rho": -1.0})


def binary_case(n, shape):
    truth = np.zeros((n,) + shape, dtype=bool)
    predicted = np.zeros_like(truth)
    for i in range(n):
        lo = [rng.integers(0, s // 2) for s in shape]
        hi = [l + rng.integers(2, s - l + 1) for l, s in zip(lo, shape)]
        truth[(i,) + tuple(slice(a, b) for a, b in zip(lo, hi))] = True
        noise = rng.random(shape) < rng.uniform(0.0, 0.5)
        predicted[i] = truth[i] ^ (noise & (rng.random(shape) < 0.5))
    truth[0] = False
    predicted[0] = False  # empty against empty: Dice 1
    d = np.array([dice(predicted[i], truth[i]) for i in range(n)])
    scores = {"noisy": (1 - d + rng.normal(scale=0.1, size=n)).tolist(), "tied": np.round(1 - d, 1).tolist()}
    return {
        "shape": [n] + list(shape),
        "predicted": predicted.astype(int).ravel().tolist(),
        "true": truth.astype(int).ravel().tolist(),
        "dice": d.tolist(),
        "scores": scores,
        "spearman": {k: spearman(v, d) for k, v in scores.items()},
    }


def multiclass_case(n, classes, shape):
    truth = rng.integers(0, classes, size=(n,) + shape)
    predicted = truth.copy()
    for i in range(n):
        flip = rng.random(shape) < rng.uniform(0.0, 0.6)
        predicted[i][flip] = rng.integers(0, classes, size=flip.sum())
    truth[1][truth[1] == 2] = 0
    predicted[1][predicted[1] == 2] = 0  # class 2 absent from both maps of image 1
    fg = np.array([np.mean([dice(predicted[i] == c, truth[i] == c) for c in range(1, classes)]) for i in range(n)])
    per_class = {str(c): [dice(predicted[i] == c, truth[i] == c) for i in range(n)] for c in range(classes)}
    scores = {"noisy": (1 - fg + rng.normal(scale=0.05, size=n)).tolist()}
    return {
        "shape": [n] + list(shape),
        "classes": classes,
        "predicted": predicted.ravel().tolist(),
        "true": truth.ravel().tolist(),
        "diceForeground": fg.tolist(),
        "dicePerClass": per_class,
        "scores": scores,
        "spearmanForeground": {k: spearman(v, fg) for k, v in scores.items()},
        "spearmanClass1": {k: spearman(v, per_class["1"]) for k, v in scores.items()},
    }


out = {
    "spearman": spearman_cases,
    "binary2d": binary_case(16, (12, 12)),
    "multi3d": multiclass_case(12, 3, (3, 6, 6)),
}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "segmentation_evaluation.json"), "w") as f:
    json.dump(out, f)
print({c["rho"] for c in spearman_cases})
print(out["binary2d"]["spearman"], out["multi3d"]["spearmanForeground"], out["multi3d"]["spearmanClass1"])
