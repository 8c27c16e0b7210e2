"""Golden values for Uqlib.Ensembles.SubEnsembles, written from its definition in NumPy (float64).

Run: /usr/bin/python3 make_sub_ensembles.py  (writes sub_ensembles.json beside this script; prints the versions it ran with)

M members' probabilities p_m (N, C); S subsets of m distinct members (drawn here with NumPy and stored, so the golden test
passes the same subsets explicitly). The subset mean is pbar_s = mean over m in s of p_m.
- predictionVariance: c* = argmax of the full ensemble's mean (lowest class on ties); the population variance over the
  S subsets of pbar_s[c*].
- scoreVariance[name]: the population variance over the S subsets of the ensemble measure computed on the subset alone
  (predictive entropy H[pbar_s]; mutual information H[pbar_s] - mean H[p_m]; disagreement 1 - max votes / m).
"""
import json
import os
import sys

import numpy as np

rng = np.random.default_rng(20261206)
members, n, c, size, count = 8, 20, 4, 3, 6
p = rng.dirichlet(np.ones(c) * 0.7, size=(members, n))
subsets = [sorted(rng.choice(members, size=size, replace=False).tolist()) for _ in range(count)]


def entropy(q):
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.where(q > 0, q * np.log(q), 0.0).sum(-1)


full_mean = p.mean(0)
predicted = full_mean.argmax(1)
subset_means = np.stack([p[s].mean(0) for s in subsets])          # (S, N, C)
chosen = subset_means[:, np.arange(n), predicted]                  # (S, N)
prediction_variance = chosen.var(0)

scores = {}
pe = np.stack([entropy(p[s].mean(0)) for s in subsets])
mi = np.stack([np.maximum(entropy(p[s].mean(0)) - entropy(p[s]).mean(0), 0.0) for s in subsets])
dis = []
for s in subsets:
    votes = np.zeros((n, c))
    for m in s:
        votes[np.arange(n), p[m].argmax(1)] += 1
    dis.append(1.0 - votes.max(1) / len(s))
dis = np.stack(dis)
scores["PredictiveEntropy"] = pe.var(0).tolist()
scores["MutualInformation"] = mi.var(0).tolist()
scores["Disagreement"] = dis.var(0).tolist()

out = {
    "versions": {"python": sys.version.split()[0], "numpy": np.__version__},
    "probabilities": p.tolist(), "subsets": subsets,
    "predictionVariance": prediction_variance.tolist(), "scoreVariance": scores,
}
print(out["versions"])
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "sub_ensembles.json"), "w") as handle:
    json.dump(out, handle, indent=1)
