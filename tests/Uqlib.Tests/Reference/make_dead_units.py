"""Golden values for the pseudo-inverse Mahalanobis on rank-deficient features (dead ReLU units), from scikit-learn and SciPy.

Run: /usr/bin/python3 make_dead_units.py  (writes dead_units.npz and dead_units.json beside this script; prints the versions)

Features: 800 samples of a ReLU layer of width 64, 4 classes, with 20 units that never fire (constant-zero columns), as a
trained network's penultimate layer often has. Queries: 10 in-distribution, 6 shifted, 3 of which also fire dead units.
Precision: scikit-learn's EmpiricalCovariance / LedoitWolf precision_, i.e. scipy.linalg.pinvh (eigenvalues with
|lambda| <= max|lambda| * n * eps dropped). Class-conditional covariance of the class-centred features with
assume_centered=True (Lee et al. 2018); background covariance of all features (Ren et al. 2021).
"""
import json
import os

import numpy as np
import scipy
import sklearn
from scipy.linalg import pinvh
from sklearn.covariance import EmpiricalCovariance, LedoitWolf

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261206)
n, f, classes, dead = 800, 64, 4, 20
dead_units = np.sort(rng.choice(f, size=dead, replace=False))
centres = rng.normal(0.0, 1.5, size=(classes, f))
mixing = rng.normal(0.0, 1.0, size=(f, f)) / np.sqrt(f)
labels = np.arange(n) % classes


def relu_layer(count, centre_rows, shift):
    x = np.maximum(rng.normal(0.0, 1.0, size=(count, f)) @ (np.eye(f) + mixing) + centre_rows + shift, 0.0)
    x[:, dead_units] = 0.0
    return x.astype(np.float32).astype(np.float64)   # stored as float32, the reference computed on the same values


x = relu_layer(n, centres[labels], 0.5)
queries = np.concatenate([relu_layer(10, centres[rng.integers(0, classes, size=10)], 0.5),
                          relu_layer(6, 0.0, 2.5)])
queries[-3:, dead_units[:5]] = 1.0   # dead in training, firing here: outside the span, ignored by the pseudo-inverse


def scores(within, total, means):
    p_within, p_total = within.precision_, total.precision_
    d = queries[:, None, :] - means[None, :, :]
    md = np.einsum("ncf,fg,ncg->nc", d, p_within, d)
    b = queries - total.location_
    background = np.einsum("nf,fg,ng->n", b, p_total, b)
    return md, background


means = np.stack([x[labels == c].mean(axis=0) for c in range(classes)])
centred = x - means[labels]
arrays = {"features": x.astype(np.float32), "labels": labels.astype(np.int64), "queries": queries.astype(np.float32), "means": means}
ranks = {}
for kind, estimator in [("empirical", EmpiricalCovariance), ("ledoit_wolf", LedoitWolf)]:
    within = estimator(assume_centered=True).fit(centred)
    total = estimator().fit(x)
    assert np.allclose(within.precision_, pinvh(within.covariance_))
    md, background = scores(within, total, means)
    arrays[kind + "_precision"] = within.precision_
    arrays[kind + "_class_distances"] = md
    arrays[kind + "_mahalanobis"] = md.min(axis=1)
    arrays[kind + "_class_agnostic"] = total.mahalanobis(queries)
    arrays[kind + "_relative"] = md.min(axis=1) - background
    for name, fitted in [("within", within), ("total", total)]:
        eigenvalues = np.linalg.eigvalsh(fitted.covariance_)
        cutoff = np.abs(eigenvalues).max() * f * np.finfo(np.float64).eps
        ranks[f"{kind}_{name}_rank"] = int((np.abs(eigenvalues) > cutoff).sum())

np.savez(os.path.join(here, "dead_units.npz"), **arrays)
versions = {"numpy": np.__version__, "scipy": scipy.__version__, "sklearn": sklearn.__version__}
with open(os.path.join(here, "dead_units.json"), "w") as handle:
    json.dump({"versions": versions, "deadUnits": dead_units.tolist(), **ranks}, handle, indent=1)
print(versions, ranks)
