"""Reference values for scores at the edges of float32 (extreme finite logits, ties, tiny and huge temperatures).

Each logit row is rounded to float32 first (what the tests pass in), then every score is computed in float64 from its definition with
SciPy's log_softmax/logsumexp (both shift by the maximum) and Python's math.fsum, independently of Uqlib's log-space formulas:
  p = exp(log_softmax(z)); MSP score 1 - max p = fsum(p without the arg max); entropy -fsum(p log p) over p > 0;
  margin 1 - p1 + p2 = fsum(p without the arg max) + p2; energy -T logsumexp(z / T); temperature scaling softmax((z - max z) / T)
  (the shift is exact algebra; without it z / T overflows float64 for T = 1e-300).

Run: /usr/bin/python3 make_float_edges.py  (writes float_edges.json beside this script)
"""
import json
import math
import os
import sys

import numpy as np
import scipy
from scipy.special import log_softmax, logsumexp, softmax

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
BINARY = [-3e38, -1e8, -40.0, -20.0, 0.0, 1e-3, 17.0, 1e8, 3e38]


def scores(z):
    z = np.asarray(z, dtype=np.float64)
    logp = log_softmax(z)
    p = np.exp(logp)
    top = int(np.argmax(z))
    others = [p[c] for c in range(len(z)) if c != top]
    second = max(others)
    return {
        "maxProbability": math.fsum(others),
        "entropy": -math.fsum(p[c] * logp[c] for c in range(len(z)) if p[c] > 0),
        "margin": math.fsum(others) + second,
        "maxLogit": -float(z.max()),
        "energy": {repr(t): float(-t * logsumexp(z / t)) for t in TEMPERATURES},
    }


def temperature_scaled(z, t):
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(over="ignore"):
        return softmax((z - z.max()) / t).tolist()


cases = []
for name, row in ROWS.items():
    z = [float(v) for v in np.asarray(row, dtype=np.float32)]
    case = {"name": name, "logits": z}
    case.update(scores(z))
    case["temperatureScaled"] = {repr(t): temperature_scaled(z, t) for t in [1e-3, 1e-300, 1e300]}
    cases.append(case)

binary = []
for v in BINARY:
    z = float(np.float32(v))
    # A binary logit z is the two class logits (0, z): p = (1 - sigmoid(z), sigmoid(z)).
    s = scores([0.0, z])
    binary.append({"logit": z, "maxProbability": s["maxProbability"], "entropy": s["entropy"]})

versions = {"python": sys.version.split()[0], "numpy": np.__version__, "scipy": scipy.__version__}
print(versions)
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "float_edges.json"), "w") as f:
    json.dump({"versions": versions, "temperatures": TEMPERATURES, "cases": cases, "binary": binary}, f, indent=1)
