"""Golden values for Uqlib.Combination: z-score (NumPy mean/std, ddof=0), rank (SciPy percentileofscore, kind="mean")
and logistic (scikit-learn LogisticRegression, L2, C = 1/lambda) combiners.

Run: python3 make_combination_reference.py  (writes combination_reference.json beside this script)
"""
import json
import os

import numpy as np
from scipy.stats import percentileofscore
from sklearn.linear_model import LogisticRegression

rng = np.random.default_rng(99)
n_val, n_test = 200, 40
fail_val = rng.random(n_val) < 0.3
fail_test = rng.random(n_test) < 0.3


def method(failures, shift, scale, heavy):
    base = rng.standard_t(2, len(failures)) if heavy else rng.normal(size=len(failures))
    return scale * (base + shift * failures)


names = ["entropy", "mahalanobis", "tta"]
spec = {"entropy": (1.0, 0.3, False), "mahalanobis": (0.7, 50.0, True), "tta": (0.4, 2.0, False)}
val = {m: method(fail_val, *spec[m]) for m in names}
test = {m: method(fail_test, *spec[m]) for m in names}
val["tta"] = np.round(val["tta"], 1)  # ties in the rank reference
test["tta"] = np.round(test["tta"], 1)

weights = {"entropy": 2.0, "mahalanobis": 1.0, "tta": 0.5}
z = {m: (test[m] - val[m].mean()) / val[m].std() for m in names}
zscore = np.mean([z[m] for m in names], axis=0)
zscore_weighted = sum(weights[m] * z[m] for m in names) / sum(weights.values())
rank = np.mean([[percentileofscore(val[m], s, kind="mean") / 100 for s in test[m]] for m in names], axis=0)

X = np.stack([(val[m] - val[m].mean()) / val[m].std() for m in names], axis=1)
lam = 2.0
lr = LogisticRegression(C=1 / lam, solver="newton-cg", tol=1e-11, max_iter=100000).fit(X, fail_val)
Xt = np.stack([z[m] for m in names], axis=1)

out = {
    "methods": names,
    "validation": {m: val[m].tolist() for m in names}, "validationFailures": fail_val.astype(int).tolist(),
    "test": {m: test[m].tolist() for m in names},
    "weights": weights, "means": {m: val[m].mean() for m in names}, "stds": {m: val[m].std() for m in names},
    "zscore": zscore.tolist(), "zscoreWeighted": zscore_weighted.tolist(), "rank": rank.tolist(),
    "l2": lam, "logisticWeights": lr.coef_[0].tolist(), "logisticIntercept": float(lr.intercept_[0]),
    "logisticLogOdds": lr.decision_function(Xt).tolist(),
}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "combination_reference.json"), "w") as f:
    json.dump(out, f)
print(lr.coef_, lr.intercept_, lr.n_iter_)
