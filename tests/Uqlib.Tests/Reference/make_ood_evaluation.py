"""Golden values for Uqlib.Evaluation.OodEvaluator (AUROC, AUPR-In, AUPR-Out, FPR@95%TPR, ROC curve) from scikit-learn, and for the
AUGRC, risk at a fixed coverage and coverage at a fixed risk of Uqlib.Evaluation.RocEvaluator, written in NumPy from their papers.

OOD detection (positive = OOD, a higher score = more OOD), as OpenOOD v1.5 (`auc_and_fpr_recall`) and pytorch-ood state it:
  AUROC      = roc_auc_score(is_ood, score)
  AUPR-Out   = average_precision_score(is_ood, score)          (OOD positive)
  AUPR-In    = average_precision_score(1 - is_ood, -score)     (ID positive, ranked by -score)
  FPR@95%TPR = fpr[argmax(tpr >= 0.95)] of roc_curve(is_ood, score, drop_intermediate=False): the share of ID cases flagged at the
               highest threshold that flags at least 95 % of the OOD cases (pytorch-ood's fpr_at_tpr). OpenOOD calls roc_curve with
               drop_intermediate=True; "fpr95_openood" records that value too, to show where the two can differ.
  OpenOOD integrates the precision-recall curve with the trapezoid (metrics.auc(recall, precision)); "aupr_*_trapezoid" records it
  beside the step-wise average precision that Uqlib reports (the trapezoid is known to be optimistic: Davis & Goadrich 2006).

AUGRC (Traub et al. 2024, "Overcoming common flaws in the evaluation of selective classification systems", NeurIPS): the generalized
risk at coverage c is the joint probability that a case is accepted and failed, (failures among the accepted) / N. Cases are accepted
from the most confident (lowest uncertainty score) down; tied scores are accepted or rejected together, so the curve has one point per
distinct score (as fd-shifts' `generalized_risk_stats`) plus (0, 0), and the area is the trapezoid over coverage (fd-shifts `augrc`,
without its display factor 1000).

Risk at coverage c: the lowest selective risk (failures among accepted / accepted) over the achievable coverages >= c.
Coverage at risk r: the largest achievable coverage > 0 whose selective risk is <= r; none when no coverage reaches it.
Both as fd-shifts' `get_working_point` (risk="selective-risk"), ties kept together.

Run: /usr/bin/python3 make_ood_evaluation.py  (writes ood_evaluation.json beside this script)
"""
import json
import os

import numpy as np
import sklearn
from sklearn.metrics import average_precision_score, auc, precision_recall_curve, roc_auc_score, roc_curve

rng = np.random.default_rng(17)


def ood_case(name, id_scores, ood_scores):
    scores = np.concatenate([id_scores, ood_scores])
    is_ood = np.concatenate([np.zeros(len(id_scores), int), np.ones(len(ood_scores), int)])
    fpr_all, tpr_all, _ = roc_curve(is_ood, scores, drop_intermediate=False)
    fpr_drop, tpr_drop, thr_drop = roc_curve(is_ood, scores)
    p_in, r_in, _ = precision_recall_curve(1 - is_ood, -scores)
    p_out, r_out, _ = precision_recall_curve(is_ood, scores)
    return {
        "name": name,
        "id": id_scores.tolist(),
        "ood": ood_scores.tolist(),
        "auroc": roc_auc_score(is_ood, scores),
        "aupr_in": average_precision_score(1 - is_ood, -scores),
        "aupr_out": average_precision_score(is_ood, scores),
        "fpr95": float(fpr_all[np.argmax(tpr_all >= 0.95)]),
        "fpr95_openood": float(fpr_drop[np.argmax(tpr_drop >= 0.95)]),
        "aupr_in_trapezoid": auc(r_in, p_in),
        "aupr_out_trapezoid": auc(r_out, p_out),
        "roc_fpr": fpr_drop.tolist(),
        "roc_tpr": tpr_drop.tolist(),
        "roc_thresholds": thr_drop[1:].tolist(),
    }


def curve_points(scores, failures):
    """Accept from the lowest score up; one point per distinct score, coverage descending from 1, as fd-shifts."""
    n = len(scores)
    order = np.argsort(-scores, kind="stable")  # rejected first: highest score first
    s, f = scores[order], failures[order]
    coverages, selective, generalized = [1.0], [f.sum() / n], [f.sum() / n]
    errors, kept = f.sum(), n
    for i in range(n - 1):
        errors -= f[i]
        kept -= 1
        if s[i] != s[i + 1]:
            coverages.append(kept / n)
            selective.append(errors / kept)
            generalized.append(errors / n)
    return np.array(coverages), np.array(selective), np.array(generalized)


def augrc(scores, failures):
    coverages, _, generalized = curve_points(scores, failures)
    coverages = np.append(coverages, 0.0)
    generalized = np.append(generalized, 0.0)
    return float(-np.trapz(generalized, coverages))


def risk_at_coverage(scores, failures, c):
    coverages, selective, _ = curve_points(scores, failures)
    return float(selective[coverages >= c].min())


def coverage_at_risk(scores, failures, r):
    coverages, selective, _ = curve_points(scores, failures)
    ok = selective <= r
    return float(coverages[ok].max()) if ok.any() else None


def failure_case(name, scores, failures):
    coverage_targets = [1.0, 0.9, 0.75, 0.5, 0.33, 0.1, 0.01]
    risk_targets = [0.0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0]
    return {
        "name": name,
        "scores": scores.tolist(),
        "failures": failures.astype(bool).tolist(),
        "augrc": augrc(scores, failures),
        "coverage_targets": coverage_targets,
        "risk_at_coverage": [risk_at_coverage(scores, failures, c) for c in coverage_targets],
        "risk_targets": risk_targets,
        "coverage_at_risk": [coverage_at_risk(scores, failures, r) for r in risk_targets],
    }


ood = [
    ood_case("near", rng.normal(0, 1, 400), rng.normal(1.0, 1, 300)),
    ood_case("far", rng.normal(0, 1, 300), rng.normal(4.0, 1, 200)),
    ood_case("ties", np.round(rng.normal(0, 1, 250), 1), np.round(rng.normal(0.7, 1, 150), 1)),
    ood_case("coarse", rng.integers(0, 5, 120).astype(float), rng.integers(2, 7, 80).astype(float)),
    ood_case("small", np.array([0.1, 0.4, 0.35, 0.8]), np.array([0.9, 0.35, 0.7])),
]

n = 500
score = rng.normal(0, 1, n)
fail = rng.random(n) < 1 / (1 + np.exp(-(2 * score - 1.5)))
tied = np.round(rng.normal(0, 1, 300), 1)
tied_fail = rng.random(300) < 1 / (1 + np.exp(-(1.5 * tied - 1)))
coarse = rng.integers(0, 4, 200).astype(float)
coarse_fail = rng.random(200) < 0.1 + 0.2 * coarse
failures = [
    failure_case("continuous", score, fail),
    failure_case("ties", tied, tied_fail),
    failure_case("coarse", coarse, coarse_fail),
    failure_case("small", np.array([0.9, 0.1, 0.5, 0.5, 0.3, 0.7]), np.array([1, 0, 1, 0, 0, 0])),
]

versions = {"numpy": np.__version__, "scikit-learn": sklearn.__version__}
print(versions)
out = {"versions": versions, "ood": ood, "failures": failures}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ood_evaluation.json")
with open(path, "w", encoding="utf-8") as handle:
    json.dump(out, handle)
for case in ood:
    print(case["name"], case["auroc"], case["aupr_in"], case["aupr_out"], case["fpr95"], case["fpr95_openood"])
for case in failures:
    print(case["name"], case["augrc"], case["risk_at_coverage"], case["coverage_at_risk"])
