"""Golden values for Uqlib.Evaluation (RocEvaluator, DeLong), from scikit-learn 1.2.1 and R pROC 1.18.

Failures are the positive class and a higher score means a more likely failure.
AUROC, AP, ROC points (drop_intermediate=True) and the precision-recall curve come from scikit-learn;
FPR@95%TPR, operating points and AURC/E-AURC from direct brute-force definitions (O(N^2), no sorting tricks);
the DeLong CI, variance and paired test from pROC via roc_delong_reference.R.

Run: python3 make_roc_reference.py  (writes roc_reference.json beside this script; needs Rscript with pROC)
"""
import json
import math
import os
import subprocess
import tempfile

import numpy as np
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score, roc_curve

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261126)


def make_case(name, n, rate, quantum):
    failures = (rng.random(n) < rate).astype(int)
    failures[0], failures[1] = 1, 0
    score = rng.normal(0.0, 1.0, n) + 0.9 * failures
    score2 = 0.6 * score + rng.normal(0.0, 0.8, n) + 0.3 * failures
    if quantum:
        score, score2 = np.round(score / quantum) * quantum, np.round(score2 / quantum) * quantum
    return name, failures, score, score2


def operating_point(scores, failures, t):
    flagged = scores >= t
    p, n = failures.sum(), (1 - failures).sum()
    return {"threshold": float(t),
            "sensitivity": float((flagged & (failures == 1)).sum() / p),
            "specificity": float((~flagged & (failures == 0)).sum() / n),
            "fractionFlagged": float(flagged.mean())}


def direct_risk_coverage(scores, failures):
    """Points at every distinct threshold t: keep cases with score <= t (the most confident), risk = failures kept / kept."""
    n = len(scores)
    coverage, risk = [], []
    for t in sorted(set(scores.tolist()), reverse=True):
        kept = scores <= t
        coverage.append(kept.sum() / n)
        risk.append(failures[kept].sum() / kept.sum())
    coverage.append(0.0)
    risk.append(risk[-1])
    aurc = sum((coverage[i] - coverage[i + 1]) * (risk[i] + risk[i + 1]) / 2 for i in range(len(coverage) - 1))
    r = failures.mean()
    return coverage, risk, aurc, aurc - (r + (1 - r) * math.log(1 - r))


cases = [make_case("untied", 40, 0.35, None), make_case("tied", 60, 0.3, 0.5),
         make_case("heavilyTied", 50, 0.4, 1.5), make_case("larger", 300, 0.2, None)]
out = []
for name, failures, score, score2 in cases:
    fpr, tpr, thr = roc_curve(failures, score)
    full_fpr, full_tpr, full_thr = roc_curve(failures, score, drop_intermediate=False)
    precision, recall, pr_thr = precision_recall_curve(failures, score)
    reaching = full_tpr >= 0.95
    distinct = sorted(set(score.tolist()), reverse=True)
    target = next(t for t in distinct if operating_point(score, failures, t)["sensitivity"] >= 0.9)
    j = full_tpr - full_fpr
    youden = full_thr[1:][int(np.argmax(j[1:]))]
    coverage, risk, aurc, eaurc = direct_risk_coverage(score, failures)
    out.append({
        "name": name, "failures": failures.tolist(), "scores": score.tolist(), "scores2": score2.tolist(),
        "auroc": roc_auc_score(failures, score), "averagePrecision": average_precision_score(failures, score),
        "rocFpr": fpr.tolist(), "rocTpr": tpr.tolist(), "rocThresholds": thr.tolist(),
        "precision": precision.tolist(), "recall": recall.tolist(), "prThresholds": pr_thr.tolist(),
        "fprAt95Tpr": float(full_fpr[reaching].min()),
        "coverage": coverage, "risk": risk, "aurc": aurc, "eAurc": eaurc,
        "atMedian": operating_point(score, failures, float(np.median(score))),
        "forSensitivity90": operating_point(score, failures, target),
        "youden": operating_point(score, failures, youden),
        "auroc2": roc_auc_score(failures, score2),
    })

with tempfile.TemporaryDirectory() as tmp:
    csv = os.path.join(tmp, "cases.csv")
    with open(csv, "w") as f:
        f.write("case,failure,score,score2\n")
        for k, c in enumerate(out):
            for y, s, s2 in zip(c["failures"], c["scores"], c["scores2"]):
                f.write(f"{k},{y},{s!r},{s2!r}\n")
    lines = subprocess.run(["Rscript", os.path.join(here, "roc_delong_reference.R"), csv],
                           check=True, capture_output=True, text=True).stdout.split("\n")
for line in filter(None, lines):
    v = line.split()
    c = out[int(v[0])]
    auc, lo95, hi95, lo90, hi90, var, auc2, z, p, dlo, dhi = map(float, v[1:])
    assert abs(auc - c["auroc"]) < 1e-12 and abs(auc2 - c["auroc2"]) < 1e-12
    c["delong"] = {"variance": var, "ci95": [lo95, hi95], "ci90": [lo90, hi90],
                   "pairedZ": z, "pairedP": p, "pairedDifferenceCi95": [dlo, dhi]}

with open(os.path.join(here, "roc_reference.json"), "w") as f:
    json.dump({"cases": out}, f, indent=1)
