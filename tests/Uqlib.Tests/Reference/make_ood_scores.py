"""Golden values for Uqlib.Scores.OodScores.Gen and KlMatching, written from the papers in NumPy.

Run with Debian's python (numpy 1.24.2):
    /usr/bin/python3 tests/Uqlib.Tests/Reference/make_ood_scores.py
GEN (Liu, Lochman & Zach 2023, "GEN: Pushing the limits of softmax-based out-of-distribution detection", CVPR): with the class
probabilities sorted in decreasing order, G = sum over the M largest of p^gamma (1 - p)^gamma; higher = more uncertain
(the paper's confidence is -G). Defaults gamma = 0.1, M = 100 (M = C when C < M).
KL matching (Hendrycks et al. 2022, "Scaling out-of-distribution detection for real-world settings", ICML): templates d_k are the
mean probability vectors of the fitting samples whose argmax is k; the score is min_k KL(p || d_k) = sum_i p_i log(p_i / d_k,i)
over the classes that have a template; higher = more out of distribution.
"""
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def gen(p, gamma, m):
    s = -np.sort(-p, axis=1)[:, :min(m, p.shape[1])]
    return np.sum(s ** gamma * (1 - s) ** gamma, axis=1)


def kl_matching(fit, p):
    pred = fit.argmax(axis=1)
    templates = [fit[pred == k].mean(axis=0) for k in range(fit.shape[1]) if np.any(pred == k)]
    kl = np.stack([np.sum(np.where(p > 0, p * (np.log(np.where(p > 0, p, 1)) - np.log(d)), 0), axis=1) for d in templates], axis=1)
    return kl.min(axis=1), len(templates)


def main():
    rng = np.random.default_rng(21)
    fit = softmax(rng.standard_normal((60, 5)) * 2 + np.array([1.5, 0.5, 0, 0, -3.0]))
    test = softmax(rng.standard_normal((20, 5)) * 2.5)
    test[0] = np.array([1.0, 0, 0, 0, 0])  # a one-hot row: 0 log 0 = 0
    wide = softmax(rng.standard_normal((10, 150)) * 3)
    kl, used = kl_matching(fit, test)
    out = {
        "generator": f"numpy {np.__version__}",
        "fit": fit.ravel().tolist(), "test": test.ravel().tolist(), "classes": 5,
        "gen_default": gen(test, 0.1, 100).tolist(), "gen_gamma05_m2": gen(test, 0.5, 2).tolist(),
        "wide": wide.ravel().tolist(), "wide_classes": 150, "gen_wide_default": gen(wide, 0.1, 100).tolist(),
        "kl_matching": kl.tolist(), "kl_templates": used,
    }
    with open(os.path.join(HERE, "ood_scores.json"), "w") as f:
        json.dump(out, f)
    print("wrote ood_scores.json;", out["generator"], "templates", used)


if __name__ == "__main__":
    main()
