"""Golden values for Uqlib.Latent (Mahalanobis, relative Mahalanobis, kNN), from scikit-learn and SciPy (float64).

Run: /usr/bin/python3 make_latent.py  (writes latent.json beside this script)

Shared within-class covariance (Lee et al. 2018): the covariance of the class-centred features x - mu_y, fitted with
assume_centered=True. Class-agnostic and background Gaussians (Ren et al. 2021): the covariance of the features.
"""
import json
import os

import numpy as np
from scipy.spatial.distance import mahalanobis
from sklearn.covariance import EmpiricalCovariance, LedoitWolf
from sklearn.neighbors import NearestNeighbors

rng = np.random.default_rng(20261126)


def gaussians(n, f, classes, spread):
    centres = rng.normal(0.0, spread, size=(classes, f)) + 3.0
    mixing = rng.normal(0.0, 1.0, size=(f, f)) / np.sqrt(f)
    labels = np.arange(n) % classes
    x = rng.normal(0.0, 1.0, size=(n, f)) @ (np.eye(f) + mixing) + centres[labels]
    return x, labels, centres


def squared(q, mean, precision):
    return mahalanobis(q, mean, precision) ** 2


def case(name, n, f, classes, k, with_empirical):
    x, y, centres = gaussians(n, f, classes, 2.0)
    queries = np.concatenate([
        rng.normal(0.0, 1.0, size=(8, f)) + centres[rng.integers(0, classes, size=8)],
        rng.normal(0.0, 1.0, size=(6, f)) + 6.0,
    ])
    means = np.stack([x[y == c].mean(axis=0) for c in range(classes)])
    centred = x - means[y]
    out = {"name": name, "features": x.tolist(), "labels": y.tolist(), "queries": queries.tolist(), "k": k,
           "means": means.tolist(), "globalMean": x.mean(axis=0).tolist()}
    kinds = ["ledoitWolf"] + (["empirical"] if with_empirical else [])
    for kind in kinds:
        if kind == "ledoitWolf":
            within = LedoitWolf(assume_centered=True).fit(centred)
            total = LedoitWolf().fit(x)
            out["withinShrinkage"] = within.shrinkage_
            out["totalShrinkage"] = total.shrinkage_
        else:
            within = EmpiricalCovariance(assume_centered=True).fit(centred)
            total = EmpiricalCovariance().fit(x)
        p_within = np.linalg.inv(within.covariance_)
        p_total = np.linalg.inv(total.covariance_)
        md = np.array([[squared(q, means[c], p_within) for c in range(classes)] for q in queries])
        background = np.array([squared(q, total.location_, p_total) for q in queries])
        out[kind] = {
            "withinCovariance": within.covariance_.tolist(),
            "totalCovariance": total.covariance_.tolist(),
            "classDistances": md.tolist(),
            "mahalanobis": md.min(axis=1).tolist(),
            "classAgnostic": total.mahalanobis(queries).tolist(),
            "background": background.tolist(),
            "relativeMahalanobis": (md.min(axis=1) - background).tolist(),
        }
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    unit_q = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    distances, _ = NearestNeighbors(n_neighbors=k).fit(unit).kneighbors(unit_q)
    out["knn"] = distances[:, k - 1].tolist()
    out["knnFirst"] = distances[:, 0].tolist()
    return out


cases = [case("many", 120, 6, 3, 5, True), case("few", 24, 30, 2, 3, False)]
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "latent.json"), "w") as handle:
    json.dump({"cases": cases}, handle, indent=1)
