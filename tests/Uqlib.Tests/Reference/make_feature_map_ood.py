"""Golden values for Uqlib.Latent.FeatureMapDetector: per-location Mahalanobis and kNN scores of tiny 2-D and 3-D feature maps, upsampled.

Each location's F-vector is one feature. Mahalanobis (class-agnostic, Lee et al. 2018): mean and maximum-likelihood covariance (divided by
N, scikit-learn's EmpiricalCovariance) of all training locations; score = (x - mu)^T inv(Sigma) (x - mu). kNN (Sun et al. 2022): every
location L2-normalised; score = Euclidean distance to the k-th nearest normalised training location (all training locations in the bank).
Scores are upsampled with torch.nn.functional.interpolate(mode="bilinear" / "trilinear", align_corners=False) in float64.

Run: /usr/bin/python3 make_feature_map_ood.py  (writes feature_map_ood.json beside this script)
"""
import json
import os

import numpy as np
import torch

rng = np.random.default_rng(171)
K = 3


def locations(maps):
    n, f = maps.shape[:2]
    return maps.reshape(n, f, -1).transpose(0, 2, 1).reshape(-1, f)


def mahalanobis(train, test):
    x = locations(train)
    mu = x.mean(0)
    sigma = (x - mu).T @ (x - mu) / len(x)
    d = locations(test) - mu
    return np.einsum("ij,jk,ik->i", d, np.linalg.inv(sigma), d)


def knn(train, test):
    bank = locations(train)
    bank = bank / np.linalg.norm(bank, axis=1, keepdims=True)
    q = locations(test)
    q = q / np.linalg.norm(q, axis=1, keepdims=True)
    distances = np.linalg.norm(q[:, None, :] - bank[None, :, :], axis=2)
    return np.sort(distances, axis=1)[:, K - 1]


def case(train_shape, test_shape, output_size, mode):
    train = rng.normal(size=train_shape)
    test = rng.normal(size=test_shape) * 1.5 + 0.3
    spatial = test_shape[2:]
    out = {"train": train.tolist(), "test": test.tolist(), "outputSize": list(output_size), "k": K}
    for name, fn in (("mahalanobis", mahalanobis), ("knn", knn)):
        scores = fn(train, test).reshape((test_shape[0],) + spatial)
        up = torch.nn.functional.interpolate(torch.from_numpy(scores)[:, None], size=output_size, mode=mode, align_corners=False)[:, 0]
        out[name] = scores.tolist()
        out[name + "Upsampled"] = up.numpy().tolist()
    return out


versions = {"numpy": np.__version__, "torch": torch.__version__}
print(versions)
result = {
    "versions": versions,
    "map2d": case((3, 4, 3, 4), (2, 4, 3, 4), (7, 9), "bilinear"),
    "map3d": case((2, 3, 2, 3, 3), (1, 3, 2, 3, 3), (4, 5, 6), "trilinear"),
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "feature_map_ood.json")
with open(path, "w", encoding="utf-8") as handle:
    json.dump(result, handle)
print(np.array(result["map2d"]["mahalanobis"]).round(3))
