"""Golden values for Uqlib.Scores.SoftmaxScores, computed with SciPy/NumPy (float64).

Run: python3 make_softmax_scores.py  (writes softmax_scores.json beside this script)
"""
import json
import os

import numpy as np
from scipy.special import expit, logsumexp, softmax
from scipy.stats import entropy

rng = np.random.default_rng(20261126)
cases = []
for name, n, c, scale in [("small", 12, 3, 1.0), ("wide", 16, 10, 4.0), ("peaked", 10, 5, 25.0)]:
    logits = rng.normal(0.0, scale, size=(n, c))
    p = softmax(logits, axis=1)
    top = np.sort(p, axis=1)[:, ::-1]
    cases.append({
        "name": name,
        "logits": logits.tolist(),
        "probabilities": p.tolist(),
        "maxProbability": (1.0 - p.max(axis=1)).tolist(),
        "entropy": entropy(p, axis=1).tolist(),
        "margin": (1.0 - (top[:, 0] - top[:, 1])).tolist(),
        "maxLogit": (-logits.max(axis=1)).tolist(),
        "energy": (-logsumexp(logits, axis=1)).tolist(),
        "energyT2": (-2.0 * logsumexp(logits / 2.0, axis=1)).tolist(),
    })

binary_logits = rng.normal(0.0, 3.0, size=25)
binary_p = expit(binary_logits)
binary = {
    "logits": binary_logits.tolist(),
    "probabilities": binary_p.tolist(),
    "distanceToHardLabel": (0.5 - np.abs(binary_p - 0.5)).tolist(),
}

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "softmax_scores.json"), "w") as f:
    json.dump({"cases": cases, "binary": binary}, f, indent=1)
