"""Golden kNN distances (Sun et al. 2022) in float64 from scikit-learn, with near-duplicate neighbours.

Run: /usr/bin/python3 make_knn_precision.py  (writes knn_precision.npz and knn_precision.json beside this script; prints the versions)

Bank: 2,500 features of dimension 32 (float32, as a network emits them): 1,500 Gaussian, then for each of 40 anchors 25
near-duplicates at relative distances 1e-6 to 1e-2 (a training set with repeated or augmented images). Queries: the 40
anchors themselves (their nearest neighbours are the near-duplicates: float32 sqrt(2 - 2s) loses most digits there),
10 Gaussian queries and 2 zero vectors (normalize leaves them at zero; every unit row is then at distance 1).
Ties: 3 float64 anchors with 100 near-duplicates each at relative distances 1e-9 to 1e-7 (float32 cannot rank them), k = 5.
Reference: sklearn.preprocessing.normalize then NearestNeighbors(algorithm="kd_tree") in float64 on the float32 values,
distances to the 1st, 5th and 30th neighbours. kd_tree computes each distance from the differences; "brute" uses the
expansion |x|^2 + |y|^2 - 2 x.y, which in float64 itself loses digits below ~1e-5 (checked here against NumPy).
"""
import json
import os

import numpy as np
import scipy
import sklearn
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import normalize

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261206)
f = 32
base = rng.normal(size=(1500, f))
anchors = rng.normal(size=(40, f)) + 0.5
scales = np.logspace(-6, -2, 25)
duplicates = np.concatenate([a + (rng.normal(size=(25, f)) / np.sqrt(f)) * scales[:, None] * np.linalg.norm(a) for a in anchors])
bank = np.concatenate([base, duplicates]).astype(np.float32)
queries = np.concatenate([anchors, rng.normal(size=(10, f)), np.zeros((2, f))]).astype(np.float32)

unit_bank = normalize(bank.astype(np.float64))
unit_queries = normalize(queries.astype(np.float64))
arrays = {"bank": bank, "queries": queries}
for k in (1, 5, 30):
    distances, _ = NearestNeighbors(n_neighbors=k, algorithm="kd_tree").fit(unit_bank).kneighbors(unit_queries)
    direct = np.sort(np.sqrt(((unit_queries[:, None, :] - unit_bank[None, :, :]) ** 2).sum(axis=2)), axis=1)[:, k - 1]
    assert np.allclose(distances[:, k - 1], direct, rtol=1e-12, atol=0)
    arrays[f"k{k}"] = distances[:, k - 1]
# Ties in float32: 100 float64 near-duplicates of each of 3 anchors at relative distances 1e-9 to 1e-7, whose float32
# similarities to the anchor all round alike, so the float32 candidates cannot rank them (the exact fallback must).
tie_anchors = rng.normal(size=(3, 16))
tie_scales = np.logspace(-9, -7, 100)
tie_bank = np.concatenate([rng.normal(size=(200, 16))] + [a + rng.normal(size=(100, 16)) / 4.0 * tie_scales[:, None] * np.linalg.norm(a)
                                                          for a in tie_anchors])
unit_tie_bank = normalize(tie_bank)
unit_tie_queries = normalize(tie_anchors)
tie_distances, _ = NearestNeighbors(n_neighbors=5, algorithm="kd_tree").fit(unit_tie_bank).kneighbors(unit_tie_queries)
arrays.update(tie_bank=tie_bank, tie_queries=tie_anchors, tie_k5=tie_distances[:, 4])
np.savez(os.path.join(here, "knn_precision.npz"), **arrays)
versions = {"numpy": np.__version__, "scipy": scipy.__version__, "sklearn": sklearn.__version__}
with open(os.path.join(here, "knn_precision.json"), "w") as handle:
    json.dump({"versions": versions, "k": [1, 5, 30]}, handle, indent=1)
print(versions, {k: float(arrays[f"k{k}"][:40].min()) for k in (1, 5, 30)})
