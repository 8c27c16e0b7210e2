"""Expected values for the consumer test's temperature-scaling and ROC checks (SciPy, scikit-learn; float64).

Run: python3 reference.py   (prints the numbers pasted into Program.cs)
"""
import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax
from sklearn.metrics import average_precision_score, roc_auc_score

logits = np.array([[2, 0, -1], [0.5, 0.4, 0.3], [-3, 4, 0], [1, 2, 0], [3, -1, 0], [0, 0, 2.5]], dtype=np.float64)
labels = np.array([0, 2, 1, 0, 0, 1])


def nll(t):
    return -log_softmax(logits / t, axis=1)[np.arange(len(labels)), labels].mean()


t = minimize_scalar(nll, bounds=(0.05, 50), method="bounded", options={"xatol": 1e-12}).x
print("temperature", repr(t))

scores = np.array([0.9, 0.1, 0.4, 0.4, 0.8, 0.2, 0.7, 0.3])
failures = np.array([1, 0, 1, 0, 1, 0, 0, 0])
print("auroc", repr(roc_auc_score(failures, scores)))
print("ap", repr(average_precision_score(failures, scores)))
