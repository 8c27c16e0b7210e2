"""Golden values for Uqlib.Conformal.LesionMissRate with ConformalRiskControl, NumPy/SciPy in float64, written from the paper.

- Conformal risk control (Angelopoulos, Bates, Fisch, Lei & Schuster 2022) of the per-image lesion miss rate of the mask {p >= t}:
  the true lesions of image i are the connected components of its true mask (scipy.ndimage.label with
  generate_binary_structure(rank, c): connectivity 4/6 is c = 1, 8/18 is c = 2, 26 is c = 3); a lesion is FOUND when any of its
  voxels has p >= t, MISSED otherwise; L_i(t) = #missed / #lesions (0 when the image has no lesion), B = 1.
- t_hat = sup{t : n/(n+1) Rhat(t) + B/(n+1) <= alpha}, found by brute force: Rhat is evaluated directly from the rule above (not
  from lesion maxima) at every distinct true-voxel value and above them all (Rhat is constant on (c_{j-1}, c_j], so the supremum is
  one of these points or +inf); lambda_hat = 1 - t_hat is written too, and the calibration risk at t_hat.

Run: /usr/bin/python3 make_lesion_risk_control.py  (writes lesion_risk_control.json beside this script)
"""
import json
import os

import numpy as np
import scipy
from scipy import ndimage

STRUCTURE = {4: 1, 8: 2, 6: 1, 18: 2, 26: 3}


def miss_rate(p, y, t, connectivity):
    labels, count = ndimage.label(y, ndimage.generate_binary_structure(y.ndim, STRUCTURE[connectivity]))
    if count == 0:
        return 0.0
    found = sum(bool((p[labels == k] >= t).any()) for k in range(1, count + 1))
    return (count - found) / count


def case(rng, name, shape, connectivity, density):
    n = shape[0]
    truth = rng.random(shape) < density
    truth[0] = False  # one image with no true lesion (its loss is 0)
    maps = np.where(truth, rng.beta(4, 2, shape), rng.beta(2, 4, shape))
    candidates = np.append(np.unique(maps[truth]), np.inf)
    risk = {t: np.mean([miss_rate(maps[i], truth[i], t, connectivity) for i in range(n)]) for t in candidates}
    alphas = {}
    for alpha in [0.1, 0.2, 0.3]:
        t_hat = max(t for t in candidates if n / (n + 1) * risk[t] + 1 / (n + 1) <= alpha)
        alphas[repr(alpha)] = dict(threshold=float(t_hat), lambdaHat=float(1 - t_hat), calibrationRisk=float(risk[t_hat]))
    lesions = [int(ndimage.label(truth[i], ndimage.generate_binary_structure(truth.ndim - 1, STRUCTURE[connectivity]))[1]) for i in range(n)]
    return dict(name=name, connectivity=connectivity, maps=maps.tolist(), masks=truth.astype(int).tolist(), lesions=lesions, alphas=alphas)


def main():
    rng = np.random.default_rng(20261216)
    cases = [case(rng, "2d-4", (20, 8, 8), 4, 0.2), case(rng, "2d-8", (20, 8, 8), 8, 0.2),
             case(rng, "3d-6", (15, 3, 5, 5), 6, 0.15), case(rng, "3d-26", (15, 3, 5, 5), 26, 0.15)]
    golden = dict(numpy=np.__version__, scipy=scipy.__version__, cases=cases)
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lesion_risk_control.json")
    with open(path, "w") as f:
        json.dump(golden, f, separators=(",", ":"))
    print(f"numpy {np.__version__}, scipy {scipy.__version__}; wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
