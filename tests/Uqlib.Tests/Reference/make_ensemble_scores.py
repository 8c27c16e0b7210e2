"""Golden values for Uqlib.Ensembles.EnsembleScores, computed with NumPy/SciPy (float64).

Members' probabilities have shape (M, N, C[, ...]); every measure reduces over members (axis 0) and classes (axis 1 of a
member). Variances are population variances (ddof = 0), as in the mixture variance of Lakshminarayanan et al. 2017.

Run: python3 make_ensemble_scores.py  (writes ensemble_scores.json beside this script)
"""
import itertools
import json
import os

import numpy as np
from scipy.special import softmax
from scipy.stats import entropy, mode


def measures(p):
    """p: (M, N, C, *spatial) -> dict of (N, *spatial) arrays."""
    m = p.shape[0]
    mean = p.mean(axis=0)
    predictive = entropy(mean, axis=1)
    expected = np.mean([entropy(p[k], axis=1) for k in range(m)], axis=0)
    predicted = mean.argmax(axis=1)
    chosen = np.take_along_axis(p, predicted[None, :, None], axis=2)[:, :, 0]
    votes = p.argmax(axis=2)
    vote = mode(votes, axis=0, keepdims=False).mode
    disagreement = (votes != vote[None]).mean(axis=0)
    kl = np.zeros_like(predictive)
    for a, b in itertools.permutations(range(m), 2):
        kl += entropy(p[a], p[b], axis=1)  # scipy: KL(p_a || p_b)
    kl /= m * (m - 1)
    return {
        "predictiveEntropy": predictive,
        "expectedEntropy": expected,
        "mutualInformation": predictive - expected,
        "variance": np.var(chosen, axis=0),
        "totalVariance": np.var(p, axis=0).sum(axis=1),
        "disagreement": disagreement,
        "expectedPairwiseKL": kl,
    }


def as_lists(d):
    return {k: np.asarray(v).tolist() for k, v in d.items()}


rng = np.random.default_rng(20261126)
cases = []
for name, m, n, c, scale in [("five_by_three", 5, 12, 3, 1.5), ("three_by_ten", 3, 9, 10, 3.0), ("two_binary", 2, 8, 2, 2.0)]:
    p = softmax(rng.normal(0.0, scale, size=(m, n, c)), axis=2)
    case = {"name": name, "probabilities": p.tolist()}
    case.update(as_lists(measures(p)))
    cases.append(case)

# Segmentation: (M, N, C, H, W) = (4, 2, 3, 3, 4), per-pixel maps (N, H, W).
seg = softmax(rng.normal(0.0, 2.0, size=(4, 2, 3, 3, 4)), axis=2)
segmentation = {"probabilities": seg.tolist()}
segmentation.update(as_lists(measures(seg)))

# Binary: positive-class probabilities (M, N); std over members.
binary_p = 1.0 / (1.0 + np.exp(-rng.normal(0.0, 2.0, size=(5, 10))))
binary = {"positive": binary_p.tolist(), "std": np.std(binary_p, axis=0).tolist()}

# Regression: members' means (M, N) and variances (M, N).
means = rng.normal(0.0, 3.0, size=(5, 10))
variances = rng.uniform(0.1, 2.0, size=(5, 10))
regression = {
    "means": means.tolist(),
    "variances": variances.tolist(),
    "varianceOfMeans": np.var(means, axis=0).tolist(),
    "totalVariance": (variances.mean(axis=0) + np.var(means, axis=0)).tolist(),
}

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "ensemble_scores.json"), "w") as f:
    json.dump({"cases": cases, "segmentation": segmentation, "binary": binary, "regression": regression}, f)
