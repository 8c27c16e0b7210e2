"""Golden values for Uqlib.Calibration: metrics from the reference formulas (NumPy, float64, explicit bin-boundary loops as in
Guo et al. 2017), temperature scaling from a PyTorch LBFGS fit (float64), Platt and isotonic outputs from scikit-learn 1.2.

Run: /usr/bin/python3 make_calibration.py  (writes calibration.json beside this script)
"""
import json
import os

import numpy as np
import torch
from scipy.special import softmax, expit
from sklearn.calibration import _sigmoid_calibration
from sklearn.isotonic import IsotonicRegression

BINS = 15
STRIDE = 5
rng = np.random.default_rng(20261127)


def top_label_bins(p, y, bins):
    conf = p.max(axis=1)
    correct = (p.argmax(axis=1) == y).astype(float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    ece, mce, rows = 0.0, 0.0, []
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (conf > lo) & (conf <= hi)
        n = int(m.sum())
        if n == 0:
            rows.append([0, 0.0, 0.0])
            continue
        gap = abs(correct[m].mean() - conf[m].mean())
        ece += n / len(y) * gap
        mce = max(mce, gap)
        rows.append([n, conf[m].mean(), correct[m].mean()])
    return ece, mce, rows


def adaptive_ece(p, y, bins):
    conf = p.max(axis=1)
    correct = (p.argmax(axis=1) == y).astype(float)
    order = np.argsort(conf, kind="stable")
    total = 0.0
    for chunk in np.array_split(order, bins):
        if len(chunk):
            total += len(chunk) / len(y) * abs(correct[chunk].mean() - conf[chunk].mean())
    return total


def classwise_ece(p, y, bins):
    edges = np.linspace(0.0, 1.0, bins + 1)
    per_class = []
    for c in range(p.shape[1]):
        pc, yc = p[:, c], (y == c).astype(float)
        total = 0.0
        for i, (lo, hi) in enumerate(zip(edges[:-1], edges[1:])):
            m = ((pc > lo) | ((i == 0) & (pc >= lo))) & (pc <= hi)
            if m.any():
                total += m.sum() / len(y) * abs(yc[m].mean() - pc[m].mean())
        per_class.append(total)
    return float(np.mean(per_class))


def lbfgs_temperature(logits, y):
    z = torch.tensor(logits, dtype=torch.float64)
    t = torch.ones(1, dtype=torch.float64, requires_grad=True)
    target = torch.tensor(y)
    opt = torch.optim.LBFGS([t], lr=1.0, max_iter=1000, tolerance_grad=1e-14, tolerance_change=1e-16,
                            line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(z / t, target)
        loss.backward()
        return loss

    opt.step(closure)
    return float(t.item())


def lbfgs_linear(logits, y, matrix, off_diagonal=0.0):
    """Vector (z * w + b) or matrix (z W^T + b) scaling by PyTorch LBFGS in float64; off-diagonal L2 as Kull et al. 2019."""
    z = torch.tensor(logits, dtype=torch.float64)
    c = z.shape[1]
    w = (torch.eye(c, dtype=torch.float64) if matrix else torch.ones(c, dtype=torch.float64)).requires_grad_(True)
    b = torch.zeros(c, dtype=torch.float64, requires_grad=True)
    target = torch.tensor(y)
    opt = torch.optim.LBFGS([w, b], lr=1.0, max_iter=5000, tolerance_grad=1e-13, tolerance_change=1e-16,
                            history_size=20, line_search_fn="strong_wolfe")
    mask = 1.0 - torch.eye(c, dtype=torch.float64)

    def closure():
        opt.zero_grad()
        out = z @ w.T + b if matrix else z * w + b
        loss = torch.nn.functional.cross_entropy(out, target)
        if matrix and off_diagonal > 0:
            loss = loss + off_diagonal * ((w * mask) ** 2).sum() / (c * (c - 1))
        loss.backward()
        return loss

    opt.step(closure)
    with torch.no_grad():
        out = z @ w.T + b if matrix else z * w + b
        return torch.softmax(out, dim=1).numpy().tolist()


def metrics(p, y):
    ece, mce, rows = top_label_bins(p, y, BINS)
    onehot = np.eye(p.shape[1])[y]
    return {
        "ece": ece, "mce": mce, "ece10": top_label_bins(p, y, 10)[0],
        "adaptiveEce": adaptive_ece(p, y, BINS),
        "classwiseEce": classwise_ece(p, y, BINS),
        "brier": float(((p - onehot) ** 2).sum(axis=1).mean()),
        "nll": float(-np.log(p[np.arange(len(y)), y]).mean()),
        "diagram": rows,
    }


def isotonic_sklearn(p_fit, y_fit, p_eval):
    n, c = p_fit.shape
    out = np.zeros_like(p_eval)
    for k in (range(c) if c > 2 else [1]):
        iso = IsotonicRegression(out_of_bounds="clip").fit(p_fit[:, k], (y_fit == k).astype(float))
        out[:, k] = iso.predict(p_eval[:, k])
    if c == 2:
        out[:, 0] = 1.0 - out[:, 1]
        return out
    den = out.sum(axis=1, keepdims=True)
    return np.divide(out, den, out=np.full_like(out, 1.0 / c), where=den != 0)


def histogram_binning(p_fit, y_fit, p_eval, bins):
    """Zadrozny & Elkan 2001, one-vs-rest: each bin's positive fraction; an empty bin keeps its midpoint."""
    n, c = p_fit.shape
    edges = np.linspace(0.0, 1.0, bins + 1)

    def bin_of(v):
        out = np.empty(len(v), dtype=int)
        for i, x in enumerate(v):
            out[i] = 0 if x <= edges[1] else max(b for b in range(bins) if x > edges[b])
        return out

    out = np.zeros_like(p_eval)
    for k in (range(c) if c > 2 else [1]):
        fb, eb = bin_of(p_fit[:, k]), bin_of(p_eval[:, k])
        theta = np.array([((y_fit == k) & (fb == b)).sum() / (fb == b).sum() if (fb == b).any() else (b + 0.5) / bins
                          for b in range(bins)])
        out[:, k] = theta[eb]
    if c == 2:
        out[:, 0] = 1.0 - out[:, 1]
        return out
    den = out.sum(axis=1, keepdims=True)
    return np.divide(out, den, out=np.full_like(out, 1.0 / c), where=den != 0)


cases = []
for name, n, c, scale, truth_t in [("wellCalibrated", 600, 5, 2.0, 1.0), ("overConfident", 600, 5, 4.0, 2.5),
                                   ("wide", 400, 10, 3.0, 0.6)]:
    logits = rng.normal(0.0, scale, size=(n, c))
    y = np.array([rng.choice(c, p=row) for row in softmax(logits / truth_t, axis=1)])
    p = softmax(logits, axis=1)
    case = {"name": name, "logits": logits.tolist(), "labels": y.tolist()}
    case.update(metrics(p, y))
    case["temperature"] = lbfgs_temperature(logits, y)
    # Isotonic fitted on the first half's probabilities, evaluated on all rows (clipping outside the fitted range).
    half = n // 2
    # Calibrated outputs are stored for every 5th row (STRIDE) to keep this file small.
    case["isotonic"] = isotonic_sklearn(p[:half], y[:half], p)[::STRIDE].tolist()
    case["histogram"] = histogram_binning(p[:half], y[:half], p, 10)[::STRIDE].tolist()
    case["vectorScaling"] = lbfgs_linear(logits, y, matrix=False)[::STRIDE]
    case["matrixScaling"] = lbfgs_linear(logits, y, matrix=True)[::STRIDE]
    case["matrixScalingOdir"] = lbfgs_linear(logits, y, matrix=True, off_diagonal=0.01)[::STRIDE]
    cases.append(case)

# Binary single-logit model: labels drawn from an over-confident sigmoid.
z = rng.normal(0.0, 3.0, size=500)
yb = (rng.random(500) < expit(z / 2.0)).astype(int)
pb = expit(z)
p2 = np.stack([1 - pb, pb], axis=1)
zz = np.stack([np.zeros_like(z), z], axis=1)
a, b = _sigmoid_calibration(z, yb)  # sklearn: P(y=1) = 1 / (1 + exp(a z + b))
binary = {"logits": z.tolist(), "labels": yb.tolist(), "positive": pb.tolist(),
          "temperature": lbfgs_temperature(zz, yb),
          "plattA": float(-a), "plattB": float(-b), "platt": (1.0 / (1.0 + np.exp(a * z + b))).tolist(),
          "brierBinary": float(((pb - yb) ** 2).mean()),
          "isotonic": isotonic_sklearn(p2[:250], yb[:250], p2)[::STRIDE].tolist(),
          "histogram": histogram_binning(p2[:250], yb[:250], p2, 10)[::STRIDE].tolist()}
binary.update(metrics(p2, yb))

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "calibration.json"), "w") as f:
    json.dump({"bins": BINS, "stride": STRIDE, "cases": cases, "binary": binary}, f)
for c in cases:
    print(c["name"], c["temperature"], c["ece"], c["adaptiveEce"])
print("binary", binary["temperature"], binary["plattA"], binary["plattB"])
