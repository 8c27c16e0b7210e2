"""Golden values for Uqlib.Latent.VimDetector, following OpenOOD's ViM postprocessor (Wang et al. 2022) with NumPy/scikit-learn.

Run: /usr/bin/python3 make_vim.py  (writes vim.json beside this script)

u = -pinv(W) b; principal space from EmpiricalCovariance(assume_centered=True) of (X - u), eigenvectors sorted by eigenvalue
descending; NS = eigenvectors beyond the first D; alpha = mean max-logit / mean |(X - u) NS| over the training features;
score (higher = more uncertain) = alpha |(x - u) NS| - logsumexp(W x + b).
"""
import json
import os

import numpy as np
from numpy.linalg import norm, pinv
from scipy.special import logsumexp
from sklearn.covariance import EmpiricalCovariance

rng = np.random.default_rng(20261127)
f, c, n, d = 12, 4, 200, 5
mixing = rng.normal(size=(f, f)) * np.linspace(2.0, 0.2, f)
x = np.abs(rng.normal(size=(n, f)) @ mixing + 1.0)
w = rng.normal(size=(c, f))
b = rng.normal(size=c)
queries = np.concatenate([np.abs(rng.normal(size=(6, f)) @ mixing + 1.0), rng.normal(size=(4, f)) * 3.0 + 2.0])

u = -np.matmul(pinv(w), b)
ec = EmpiricalCovariance(assume_centered=True).fit(x - u)
eig_vals, eigen_vectors = np.linalg.eig(ec.covariance_)
ns = np.ascontiguousarray((eigen_vectors.T[np.argsort(eig_vals * -1)][d:]).T)
logits_train = x @ w.T + b
vlogit_train = norm(np.matmul(x - u, ns), axis=-1)
alpha = logits_train.max(axis=-1).mean() / vlogit_train.mean()
logits = queries @ w.T + b
vlogit = norm(np.matmul(queries - u, ns), axis=-1) * alpha
score = vlogit - logsumexp(logits, axis=-1)

out = {"features": x.tolist(), "weight": w.tolist(), "bias": b.tolist(), "queries": queries.tolist(), "dimension": d,
       "origin": u.tolist(), "alpha": float(alpha), "virtualLogits": vlogit.tolist(), "scores": score.tolist()}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "vim.json"), "w") as handle:
    json.dump(out, handle, indent=1)
