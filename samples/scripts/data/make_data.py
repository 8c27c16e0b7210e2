"""Stand-in model outputs for the scripts in samples/scripts and the "From PyTorch" docs page, saved as a PyTorch user would: np.save.

Run: /usr/bin/python3 make_data.py  (writes the .npy files beside this script; ran with NumPy 1.24.2; seeded, so reruns give the same bytes)

A 3-class "model": features (8-d, one Gaussian per class), logits = 0.35 features @ W, over-confident by a factor of about 2, as deep
networks are (Guo et al. 2017). new_batch_features.npy is a batch from a shifted distribution (half of it out of distribution).
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


train_features, _, train_labels = split(600)
val_features, val_logits, val_labels = split(500)
test_features, test_logits, test_labels = split(500)
shifted, _, _ = split(100, shift=4.0)
new_batch = np.concatenate([test_features[:100], shifted])
arrays = {
    "train_features": train_features, "train_labels": train_labels,
    "val_logits": val_logits, "val_labels": val_labels,
    "test_logits": test_logits, "test_labels": test_labels, "test_features": test_features,
    "new_batch_features": new_batch,
}
for name, array in arrays.items():
    np.save(os.path.join(here, name + ".npy"), array)
print(f"NumPy {np.__version__}; test accuracy {np.mean(test_logits.argmax(1) == test_labels):.3f}")
