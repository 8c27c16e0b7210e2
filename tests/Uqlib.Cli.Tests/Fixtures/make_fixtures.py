"""Small seeded model outputs for the `uqlib` tool's tests and CI's `uqlib report` run, saved as a PyTorch user would: np.save.

Run: /usr/bin/python3 make_fixtures.py  (writes the .npy/.csv files beside this script; seeded, so reruns give the same bytes;
the NumPy version it ran with is printed and recorded below).

A 3-class "model": 8-d features (one Gaussian per class), logits = 0.35 features @ W (over-confident, as deep networks are,
Guo et al. 2017). Test cases come from 60 "patients" (clusters, 5 cases each); test_clusters.csv gives them as a string column.
ood_features.npy is a shifted batch (out of distribution). A candidate cache for `uqlib gps`: log-probabilities of 6 "TTA
candidates" (noisy copies of the validation logits; candidate 0 is the identity) with shape (candidates, cases, classes).
"""
import os

import numpy as np

rng = np.random.default_rng(20261206)
here = os.path.dirname(os.path.abspath(__file__))
classes, dim = 3, 8
centres = rng.normal(0.0, 1.6, size=(classes, dim))
weights = centres.T + rng.normal(0.0, 0.6, size=(dim, classes))


def split(n, shift=0.0):
    labels = rng.integers(0, classes, size=n)
    features = centres[labels] + rng.normal(0.0, 1.0, size=(n, dim)) + shift
    logits = 0.35 * features @ weights
    return features.astype(np.float32), logits.astype(np.float32), labels.astype(np.int64)


train_features, _, train_labels = split(400)
val_features, val_logits, val_labels = split(300)
test_features, test_logits, test_labels = split(300)
ood_features, _, _ = split(100, shift=4.0)
clusters = np.repeat(np.arange(60), 5)


def log_softmax(x):
    x = x - x.max(axis=-1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=-1, keepdims=True))


candidates = np.stack([val_logits] + [val_logits * rng.uniform(0.6, 1.0) + rng.normal(0.0, 0.5, size=val_logits.shape)
                                      for _ in range(5)])
arrays = {
    "train_features": train_features, "train_labels": train_labels,
    "val_logits": val_logits, "val_labels": val_labels, "val_features": val_features,
    "test_logits": test_logits, "test_labels": test_labels, "test_features": test_features,
    "ood_features": ood_features, "test_clusters": clusters.astype(np.int64),
    "candidate_log_probabilities": log_softmax(candidates).astype(np.float32),
}
for name, array in arrays.items():
    np.save(os.path.join(here, name + ".npy"), array)
with open(os.path.join(here, "test_clusters.csv"), "w") as f:
    f.write("case,patient\n")
    for i, c in enumerate(clusters):
        f.write(f"{i},P{c:03d}\n")
print(f"NumPy {np.__version__}; test accuracy {np.mean(test_logits.argmax(1) == test_labels):.3f}")
