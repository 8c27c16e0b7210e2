"""Golden values for Uqlib.Evaluation.Failures (Dice per image, misclassification, absolute error), computed with NumPy.

Run: python3 make_failures_reference.py  (writes failures_reference.json beside this script)
"""
import json
import os

import numpy as np

rng = np.random.default_rng(4)


def dice(a, b):
    a, b = a.astype(bool), b.astype(bool)
    total = a.sum() + b.sum()
    return 1.0 if total == 0 else 2.0 * (a & b).sum() / total


def binary_case(shape):
    pred = (rng.random(shape) < 0.4).astype(int)
    true = (rng.random(shape) < 0.4).astype(int)
    pred[0] = 0
    true[0] = 0  # empty vs empty: Dice 1
    true[1] = pred[1]  # identical: Dice 1
    pred[2] = 0  # empty prediction against a non-empty truth: Dice 0
    return {"predicted": pred.tolist(), "true": true.tolist(),
            "dice": [dice(p, t) for p, t in zip(pred, true)]}


def multiclass_case(shape, classes):
    pred = rng.integers(0, classes, shape)
    true = np.where(rng.random(shape) < 0.6, pred, rng.integers(0, classes, shape))
    pred[0] = 0
    true[0] = 0  # background only in both: every foreground class absent from both, Dice 1
    fg = [np.mean([dice(p == c, t == c) for c in range(1, classes)]) for p, t in zip(pred, true)]
    allc = [np.mean([dice(p == c, t == c) for c in range(classes)]) for p, t in zip(pred, true)]
    return {"predicted": pred.tolist(), "true": true.tolist(), "classes": classes,
            "meanDiceForeground": fg, "meanDiceAll": allc}


logits = rng.normal(size=(30, 4))
labels = rng.integers(0, 4, 30)
predicted = rng.normal(size=(20, 3))
target = predicted + rng.normal(0, 0.5, size=(20, 3))
out = {
    "binary2d": binary_case((6, 5, 7)), "binary3d": binary_case((5, 3, 4, 6)),
    "multi2d": multiclass_case((6, 8, 8), 3), "multi3d": multiclass_case((4, 3, 5, 5), 4),
    "logits": logits.tolist(), "labels": labels.tolist(), "misclassified": (logits.argmax(1) != labels).tolist(),
    "predicted": predicted.tolist(), "target": target.tolist(),
    "maxAbsoluteError": np.abs(predicted - target).max(1).tolist(),
    "absoluteError": np.abs(predicted[:, 0] - target[:, 0]).tolist(),
}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "failures_reference.json"), "w") as f:
    json.dump(out, f)
