"""Peer timing for RegressionMetricsBenchmarks: the same metrics in NumPy/SciPy on 10^6 float64 Gaussian predictions, one thread.

Definitions as in tests/Uqlib.Tests/Reference/make_regression.py. Miscalibration area follows Uncertainty Toolbox's vectorised
proportions (an (n, 100) comparison) with the exact segment integral in place of shapely's polygon.
Run: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python3 regression_metrics_peer.py   (median of 10 runs after 2 warm-ups, in ms)
"""
import math
import statistics
import time

import numpy as np
from scipy import stats

rng = np.random.default_rng(0)
n = 1_000_000
mu = rng.normal(size=n)
var = rng.random(n) + 0.1
y = mu + rng.normal(size=n) * np.sqrt(var)


def nll():
    return -stats.norm.logpdf(y, loc=mu, scale=np.sqrt(var)).mean()


def ence(bins=10):
    order = np.argsort(var, kind="stable")
    total = 0.0
    for idx in np.array_split(order, bins):
        rmv = math.sqrt(var[idx].mean())
        rmse = math.sqrt(((y[idx] - mu[idx]) ** 2).mean())
        total += abs(rmv - rmse) / rmv
    return total / bins


def area(bins=100):
    p = np.linspace(0, 1, bins)
    r = ((mu - y) / np.sqrt(var)).reshape(-1, 1)
    inside = (r >= stats.norm.ppf(0.5 - p / 2)) & (r <= stats.norm.ppf(0.5 + p / 2))
    d = inside.sum(axis=0) / n - p
    a, b, h = np.abs(d[:-1]), np.abs(d[1:]), np.diff(p)
    same = d[:-1] * d[1:] >= 0
    return float(np.where(same, h * (a + b) / 2, h * (a * a + b * b) / (2 * np.maximum(a + b, 1e-300))).sum())


def conformal(alpha=0.1):
    scores = np.abs(y - mu) / np.sqrt(var)
    k = math.ceil((n + 1) * (1 - alpha))
    return np.quantile(scores, k / n, method="inverted_cdf")


for name, fn in [("GaussianNll", nll), ("Ence", ence), ("MiscalibrationArea", area), ("SplitConformalNormalized", conformal)]:
    for _ in range(2):
        fn()
    times = []
    for _ in range(10):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    print(f"{name}: median {statistics.median(times):.1f} ms (numpy {np.__version__})")
