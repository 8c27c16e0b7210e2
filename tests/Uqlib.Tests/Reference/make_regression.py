"""Golden values for Uqlib.Regression (RegressionMetrics, SigmaScaling, SplitConformal), NumPy/SciPy in float64.

Each definition below is implemented from its publication, not copied from any library:
- Gaussian NLL: mean over values of -log N(y; mu, sigma^2) (scipy.stats.norm.logpdf).
- ENCE (Levi, Gispan, Giladi & Fetaya 2019, "Evaluating and calibrating uncertainty prediction in regression tasks",
  eq. 6): sort by predicted sigma, split into K equal-count bins (numpy.array_split: the first n mod K bins hold one
  more), ENCE = (1/K) sum_k |RMV_k - RMSE_k| / RMV_k, RMV_k = sqrt(mean sigma^2), RMSE_k = sqrt(mean (y - mu)^2).
- Interval coverage and miscalibration area as Uncertainty Toolbox defines them (Chung et al. 2021, "Uncertainty
  Toolbox", metrics_calibration.get_proportion_lists_vectorized with prop_type="interval" and miscalibration_area):
  expected proportions p = linspace(0, 1, num_bins); observed proportion = share of normalised residuals
  (mu - y) / sigma inside [Phi^-1(0.5 - p/2), Phi^-1(0.5 + p/2)], bounds included; the area is that of the polygon
  between the observed curve (linear between the points) and the diagonal, i.e. the integral of |obs(p) - p| with
  obs linear between the points. Uncertainty Toolbox measures it with shapely's polygonize; here it is integrated
  exactly segment by segment (the curve may cross the diagonal inside a segment) and cross-checked by dense sampling.
- Sharpness (Uncertainty Toolbox metrics_calibration.sharpness): sqrt(mean sigma^2).
- Sigma scaling (Levi et al. 2019, section 4): sigma' = s * sigma with s minimising the Gaussian NLL on validation;
  the minimiser has the closed form s^2 = mean((y - mu)^2 / sigma^2), cross-checked with scipy.optimize.
- Split conformal (Lei et al. 2018; Angelopoulos & Bates 2021): scores |y - mu| or |y - mu| / sigma, quantile = the
  ceil((n+1)(1-alpha))-th smallest score, i.e. numpy.quantile(scores, ceil((n+1)(1-alpha))/n, method="inverted_cdf").
  (method="higher", as in Angelopoulos & Bates' code listings, lands one order statistic higher when k < n, since its
  position is (n-1)k/n; the k-th smallest is the quantile of the finite-sample guarantee.)

Run: python3 make_regression.py  (writes regression.json beside this script)
"""
import json
import math
import os

import numpy as np
from scipy import optimize, stats

rng = np.random.default_rng(20261126)


def nll(mu, var, y):
    return float(-stats.norm.logpdf(y, loc=mu, scale=np.sqrt(var)).mean())


def ence(mu, var, y, bins):
    order = np.argsort(var, kind="stable")
    total = 0.0
    for idx in np.array_split(order, bins):
        rmv = math.sqrt(var[idx].mean())
        rmse = math.sqrt(((y[idx] - mu[idx]) ** 2).mean())
        total += abs(rmv - rmse) / rmv
    return total / bins


def proportions(mu, var, y, p):
    r = (mu - y) / np.sqrt(var)
    lower = stats.norm.ppf(0.5 - p / 2.0)
    upper = stats.norm.ppf(0.5 + p / 2.0)
    inside = (r[:, None] >= lower[None, :]) & (r[:, None] <= upper[None, :])
    return inside.sum(axis=0) / len(r)


def area_exact(p, obs):
    d = obs - p
    total = 0.0
    for i in range(len(p) - 1):
        h = p[i + 1] - p[i]
        a, b = d[i], d[i + 1]
        if a * b >= 0:
            total += h * (abs(a) + abs(b)) / 2.0
        else:
            total += h * (a * a + b * b) / (2.0 * (abs(a) + abs(b)))
    return total


def area_dense(p, obs):
    x = np.linspace(0.0, 1.0, 2_000_001)
    return float(np.trapz(np.abs(np.interp(x, p, obs) - x), x))


def miscalibration_area(mu, var, y, bins):
    p = np.linspace(0.0, 1.0, bins)
    obs = proportions(mu, var, y, p)
    exact = area_exact(p, obs)
    assert abs(exact - area_dense(p, obs)) < 1e-6, (exact, area_dense(p, obs))
    return exact


def sigma_scale(mu, var, y):
    s = math.sqrt(((y - mu) ** 2 / var).mean())
    objective = lambda log_s: -stats.norm.logpdf(y, loc=mu, scale=np.exp(log_s) * np.sqrt(var)).mean()
    found = math.exp(optimize.minimize_scalar(objective, bounds=(-5, 5), method="bounded", options={"xatol": 1e-10}).x)
    assert abs(found - s) < 1e-6 * s, (found, s)
    return s


def conformal_quantile(scores, alpha):
    n = len(scores)
    k = math.ceil((n + 1) * (1 - alpha))
    q = float(np.quantile(scores, k / n, method="inverted_cdf"))
    assert q == float(np.sort(scores)[k - 1])
    return q


LEVELS = [0.1, 0.5, 0.8, 0.9, 0.95, 0.99]
cases = []
for name, n, sigma_factor in [("calibrated", 200, 1.0), ("overconfident", 150, 0.5), ("underconfident", 97, 2.0)]:
    mu = rng.normal(0.0, 3.0, size=n)
    var = np.exp(rng.normal(0.0, 0.7, size=n))
    y = mu + rng.normal(0.0, 1.0, size=n) * np.sqrt(var) / sigma_factor
    abs_scores = np.abs(y - mu)
    norm_scores = abs_scores / np.sqrt(var)
    cases.append({
        "name": name,
        "mean": mu.tolist(),
        "variance": var.tolist(),
        "targets": y.tolist(),
        "nll": nll(mu, var, y),
        "ence10": ence(mu, var, y, 10),
        "ence7": ence(mu, var, y, 7),
        "levels": LEVELS,
        "coverage": proportions(mu, var, y, np.array(LEVELS)).tolist(),
        "miscalibrationArea100": miscalibration_area(mu, var, y, 100),
        "miscalibrationArea13": miscalibration_area(mu, var, y, 13),
        "sharpness": float(np.sqrt(var.mean())),
        "sigmaScale": sigma_scale(mu, var, y),
        "conformalAbsolute": {str(a): conformal_quantile(abs_scores, a) for a in [0.05, 0.1, 0.2]},
        "conformalNormalized": {str(a): conformal_quantile(norm_scores, a) for a in [0.05, 0.1, 0.2]},
    })

# Tied variances (three distinct values), so that the stable order inside ties decides which values share an ENCE bin.
mu = rng.normal(0.0, 1.0, size=50)
var = rng.choice([0.5, 1.0, 2.0], size=50)
y = mu + rng.normal(0.0, 1.0, size=50) * np.sqrt(var) * rng.uniform(0.5, 2.0, size=50)
tied = {"mean": mu.tolist(), "variance": var.tolist(), "targets": y.tolist(), "ence7": ence(mu, var, y, 7), "ence4": ence(mu, var, y, 4)}

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "regression.json"), "w") as f:
    json.dump({"cases": cases, "tied": tied}, f, indent=1)
