"""Reference values for scores at the edges of float32 (extreme finite logits, ties, tiny and huge temperatures).

Each logit row is rounded to float32 first (what the tests pass in). Every score is then computed from its definition in Python's
decimal arithmetic with 60 significant digits (exp and ln included), so no term is lost to float64 rounding: a plain float64
log_softmax drops the −p·log p term of the top class once the others sum below 1e-16, and 1 − p near 1 is 0. The only rewriting is
the exact identity softmax(z) = softmax(z − c), with c = max z, which keeps exp from overflowing:
  p_c = exp(z_c − c) / Σ_j exp(z_j − c); MSP score 1 − max p = Σ_{c ≠ top} p_c; entropy −Σ p log p (0 log 0 = 0);
  margin 1 − p₁ + p₂; max logit −max z; energy −T·log Σ exp(z / T) = −(c + T·log Σ exp((z − c) / T)); temperature scaling
  softmax(z / T). Binary logits z are the two class logits (0, z). A float64 SciPy cross-check (logsumexp, log_softmax) agrees
  wherever float64 can hold the answer (asserted below).

Run: /usr/bin/python3 make_float_edges.py  (writes float_edges.json beside this script)
"""
import json
import os
import sys
from decimal import Decimal, getcontext

import numpy as np
import scipy
from scipy.special import logsumexp

getcontext().prec = 60

ROWS = {
    "ties_1e8": [1e8, 1e8, 0.0],
    "spread_max": [3e38, -3e38, 0.0],
    "all_lowest": [-3.4e38, -3.4e38, -3.4e38],
    "all_highest": [3.4e38, 3.4e38],
    "gap_20": [20.0, 0.0, 0.0],
    "gap_60": [60.0, 0.0, 0.0, 0.0],
    "gap_1e8": [1e8, 0.0],
    "mixed": [1.5, -2.0, 0.25, 3.0],
    "near_tie": [1.0, 1.0000001, -1.0],
}
TEMPERATURES = [1.0, 1e-30, 1e-40, 1e30]
SCALING_TEMPERATURES = [1e-3, 1e-300, 1e300]
BINARY = [-3e38, -1e8, -40.0, -20.0, 0.0, 1e-3, 17.0, 1e8, 3e38]


def softmax(z, t=Decimal(1)):
    c = max(z)
    e = [((v - c) / t).exp() for v in z]
    total = sum(e)
    return [v / total for v in e]


def scores(row):
    z = [Decimal(v) for v in row]
    p = softmax(z)
    top = max(range(len(z)), key=lambda c: z[c])
    others = [p[c] for c in range(len(z)) if c != top]
    c = max(z)
    energy = {}
    for t in TEMPERATURES:
        td = Decimal(t)
        energy[repr(t)] = float(-(c + td * sum(((v - c) / td).exp() for v in z).ln()))
    return {
        "maxProbability": float(sum(others)),
        "entropy": float(-sum(v * v.ln() for v in p if v > 0)),
        "margin": float(1 - p[top] + max(others)),
        "maxLogit": float(-c),
        "energy": energy,
        "temperatureScaled": {repr(t): [float(v) for v in softmax(z, Decimal(t))] for t in SCALING_TEMPERATURES},
    }


cases = []
for name, row in ROWS.items():
    z = [float(v) for v in np.asarray(row, dtype=np.float32)]
    case = {"name": name, "logits": z}
    case.update(scores(z))
    # Cross-check against SciPy in float64 where float64 keeps every digit that matters (moderate logits).
    if max(abs(v) for v in z) < 100:
        zz = np.asarray(z)
        for t in TEMPERATURES[:1]:
            assert abs(case["energy"][repr(t)] + t * logsumexp(zz / t)) <= 1e-12 * abs(case["energy"][repr(t)])
    cases.append(case)

binary = []
for v in BINARY:
    z = float(np.float32(v))
    s = scores([0.0, z])
    binary.append({"logit": z, "maxProbability": s["maxProbability"], "entropy": s["entropy"]})

versions = {"python": sys.version.split()[0], "numpy": np.__version__, "scipy": scipy.__version__, "decimal precision": getcontext().prec}
print(versions)
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "float_edges.json"), "w") as f:
    json.dump({"versions": versions, "cases": cases, "binary": binary}, f, indent=1)
