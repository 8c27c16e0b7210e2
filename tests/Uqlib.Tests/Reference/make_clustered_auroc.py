"""Golden values for Uqlib.Evaluation.ClusteredAuroc: Obuchowski's nonparametric AUROC for clustered data.

Implements the formulas of Obuchowski 1997, "Nonparametric analysis of clustered ROC curve data", Biometrics 53:567-578,
directly and by brute force (every failure/success pair, O(M N)), independently of the C# code (which sorts):

  psi(X, Y) = 1 if X > Y, 1/2 if X == Y, 0 otherwise          (failures X are the positive class)
  theta = 1/(M N) sum_ij sum_i'k psi(X_ij, Y_i'k)
  V10(X_ij) = 1/N sum_i'k psi(X_ij, Y_i'k)   V01(Y_ik) = 1/M sum_i'j psi(X_i'j, Y_ik)
  V10(X_i.) = sum_j V10(X_ij)                V01(Y_i.) = sum_k V01(Y_ik)      (0 for a cluster without such units)
  S10 = I10 / ((I10 - 1) M) sum_i (V10(X_i.) - m_i theta)^2
  S01 = I01 / ((I01 - 1) N) sum_i (V01(Y_i.) - n_i theta)^2
  S11 = I / (I - 1) sum_i (V10(X_i.) - m_i theta)(V01(Y_i.) - n_i theta)
  var(theta) = S10 / M + S01 / N + 2 S11 / (M N)
  cov(theta1, theta2) = S10^12 / M + S01^12 / N + (S11^12 + S11^21) / (M N)

I clusters, I10 of them holding a failure, I01 a success; m_i failures and n_i successes in cluster i, M and N in all.
CI: theta -/+ z_(1 - alpha/2) sqrt(var), clipped to [0, 1]. Paired test: z = (theta1 - theta2) / sqrt(var1 + var2 - 2 cov),
p = 2 Phi(-|z|), difference CI unclipped.

Run: /usr/bin/python3 make_clustered_auroc.py  (writes clustered_auroc.json beside this script)
"""
import json
import os
import sys

import numpy as np
import scipy
from scipy.stats import norm

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261206)


def obuchowski(a, b, failures, clusters):
    keys = list(dict.fromkeys(clusters.tolist()))  # clusters in order of first appearance
    f = failures.astype(bool)
    big_m, big_n = f.sum(), (~f).sum()
    m = np.array([np.sum(f & (clusters == k)) for k in keys], dtype=float)
    n = np.array([np.sum(~f & (clusters == k)) for k in keys], dtype=float)
    i_all, i10, i01 = len(keys), int(np.sum(m > 0)), int(np.sum(n > 0))

    def components(s):
        x, y = s[f], s[~f]
        psi = (x[:, None] > y[None, :]) + 0.5 * (x[:, None] == y[None, :])
        theta = psi.mean()
        v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
        cx, cy = clusters[f], clusters[~f]
        xs = np.array([v10[cx == k].sum() for k in keys]) - m * theta
        ys = np.array([v01[cy == k].sum() for k in keys]) - n * theta
        return theta, xs, ys

    def cov(c1, c2):
        _, x1, y1 = c1
        _, x2, y2 = c2
        s10 = i10 / ((i10 - 1) * big_m) * np.sum(x1 * x2)
        s01 = i01 / ((i01 - 1) * big_n) * np.sum(y1 * y2)
        s11_12 = i_all / (i_all - 1) * np.sum(x1 * y2)
        s11_21 = i_all / (i_all - 1) * np.sum(x2 * y1)
        return s10 / big_m + s01 / big_n + (s11_12 + s11_21) / (big_m * big_n)

    ca, cb = components(a), components(b)
    var_a, var_b, cov_ab = cov(ca, ca), cov(cb, cb), cov(ca, cb)
    sizes = np.array([np.sum(clusters == k) for k in keys])

    def ci(theta, var, level):
        q = norm.ppf(1 - (1 - level) / 2)
        return [float(np.clip(theta - q * np.sqrt(var), 0, 1)), float(np.clip(theta + q * np.sqrt(var), 0, 1))]

    var_diff = var_a + var_b - 2 * cov_ab
    diff = ca[0] - cb[0]
    z = diff / np.sqrt(var_diff)
    q95 = norm.ppf(0.975)
    return {
        "clusterCount": i_all, "clustersWithFailures": i10, "clustersWithSuccesses": i01,
        "minClusterSize": int(sizes.min()), "medianClusterSize": float(np.median(sizes)), "maxClusterSize": int(sizes.max()),
        "aurocA": float(ca[0]), "varianceA": float(var_a), "ci95A": ci(ca[0], var_a, 0.95), "ci90A": ci(ca[0], var_a, 0.90),
        "aurocB": float(cb[0]), "varianceB": float(var_b), "covariance": float(cov_ab),
        "differenceVariance": float(var_diff), "z": float(z), "p": float(2 * norm.sf(abs(z))),
        "differenceCi95": [float(diff - q95 * np.sqrt(var_diff)), float(diff + q95 * np.sqrt(var_diff))],
    }


def make_case(name, cluster_sizes, quantum, pure_fraction):
    """Clusters with a shared random effect; some clusters hold only failures or only successes; ids are sparse and cases interleaved."""
    ids, failures, a, b = [], [], [], []
    for c, size in enumerate(cluster_sizes):
        key = 1000 + 7 * c
        effect = rng.normal(0.0, 0.8)
        kind = rng.random()
        rate = 1.0 if kind < pure_fraction / 2 else 0.0 if kind < pure_fraction else rng.uniform(0.2, 0.8)
        for _ in range(size):
            fail = int(rng.random() < rate)
            s = effect + rng.normal(0.0, 1.0) + 1.0 * fail
            ids.append(key)
            failures.append(fail)
            a.append(s)
            b.append(0.5 * s + rng.normal(0.0, 0.9) + 0.4 * fail)
    order = rng.permutation(len(ids))
    ids, failures = np.array(ids)[order], np.array(failures)[order]
    a, b = np.array(a)[order], np.array(b)[order]
    if quantum:
        a, b = np.round(a / quantum) * quantum, np.round(b / quantum) * quantum
    f = failures.astype(bool)
    clusters_f, clusters_s = set(ids[f].tolist()), set(ids[~f].tolist())
    assert clusters_f - clusters_s and clusters_s - clusters_f and clusters_f & clusters_s, name
    return {"name": name, "clusters": ids.tolist(), "failures": failures.tolist(), "scoresA": a.tolist(), "scoresB": b.tolist(),
            **obuchowski(a, b, failures, ids)}


def make_singletons(name, n):
    failures = (rng.random(n) < 0.4).astype(int)
    failures[0], failures[1] = 1, 0
    a = np.round(rng.normal(0.0, 1.0, n) + 0.8 * failures, 1)
    b = np.round(0.6 * a + rng.normal(0.0, 0.8, n), 1)
    ids = rng.permutation(n) * 3 + 11
    return {"name": name, "clusters": ids.tolist(), "failures": failures.tolist(), "scoresA": a.tolist(), "scoresB": b.tolist(),
            **obuchowski(a, b, failures, ids)}


cases = [
    make_case("mixed", rng.integers(1, 8, 30), None, 0.3),
    make_case("tied", rng.integers(1, 6, 40), 0.5, 0.4),
    make_case("heavilyTied", rng.integers(2, 10, 20), 1.5, 0.3),
    make_case("unequal", [1, 1, 2, 25, 3, 1, 12, 2, 1, 4, 8, 1, 1, 30, 2, 6], None, 0.4),
    make_singletons("singletons", 45),
]
versions = {"python": sys.version.split()[0], "numpy": np.__version__, "scipy": scipy.__version__}
print(versions)
with open(os.path.join(here, "clustered_auroc.json"), "w") as f:
    json.dump({"versions": versions, "cases": cases}, f)
for c in cases:
    print(c["name"], len(c["clusters"]), c["clusterCount"], c["aurocA"], c["varianceA"], c["z"], c["p"])
