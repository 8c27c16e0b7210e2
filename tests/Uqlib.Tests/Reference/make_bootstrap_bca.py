"""Golden values for the BCa interval of Uqlib.Evaluation.Bootstrap, from SciPy's scipy.stats.bootstrap(method="BCa").

For a one-sample statistic SciPy draws its own resamples, computes the leave-one-out jackknife of the statistic and returns the
bias-corrected and accelerated interval (Efron 1987, "Better bootstrap confidence intervals", JASA 82:171-185). The fixture holds
SciPy's replicates (bootstrap_distribution), the estimate, the jackknife values (recomputed here exactly as SciPy does: the
statistic of the data without case i) and SciPy's interval; the C# test feeds the same replicates and jackknife values to
Uqlib's BCa step and must reproduce the interval.

Run: /usr/bin/python3 make_bootstrap_bca.py  (writes bootstrap_bca.json beside this script)
"""
import json
import os
import sys

import numpy as np
import scipy
from scipy.stats import bootstrap

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261207)


def case(name, data, statistic, level):
    result = bootstrap((data,), statistic, n_resamples=999, confidence_level=level, method="BCa", random_state=7, vectorized=False)
    jackknife = np.array([statistic(np.delete(data, i)) for i in range(len(data))])
    return {"name": name, "level": level, "estimate": float(statistic(data)),
            "replicates": result.bootstrap_distribution.tolist(), "jackknife": jackknife.tolist(),
            "lower": float(result.confidence_interval.low), "upper": float(result.confidence_interval.high)}


cases = [
    case("meanOfExponential", rng.exponential(1.0, 30), np.mean, 0.95),
    case("stdOfLognormal", rng.lognormal(0.0, 0.7, 25), lambda x: float(np.std(x, ddof=1)), 0.9),
]
versions = {"python": sys.version.split()[0], "numpy": np.__version__, "scipy": scipy.__version__}
print(versions)
with open(os.path.join(here, "bootstrap_bca.json"), "w") as f:
    json.dump({"versions": versions, "cases": cases}, f)
for c in cases:
    print(c["name"], c["estimate"], c["lower"], c["upper"])
