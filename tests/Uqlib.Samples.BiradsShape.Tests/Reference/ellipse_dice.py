"""Reference ellipse Dice for EllipseDiceTests: PCA by numpy's covariance and symmetric eigensolver (not the closed form the
sample uses), ellipse with semi-axes 2*sqrt(eigenvalue) (scikit-image regionprops convention), Dice with the mask.
Run with /usr/bin/python3 (numpy, scipy); writes ellipse_dice.json beside this script."""
import json
import os

import numpy as np
from scipy import ndimage


def ellipse_dice(mask):
    ys, xs = np.nonzero(mask)
    points = np.stack([xs, ys]).astype(np.float64)
    centre = points.mean(axis=1)
    cov = np.cov(points, bias=True)
    values, vectors = np.linalg.eigh(cov)  # ascending
    minor, major = 2 * np.sqrt(np.maximum(values, 0))
    major, minor = max(major, 0.5), max(minor, 0.5)
    u_major = vectors[:, 1]
    u_minor = vectors[:, 0]
    h, w = mask.shape
    gy, gx = np.mgrid[0:h, 0:w].astype(np.float64)
    d = np.stack([gx - centre[0], gy - centre[1]])
    along = (d[0] * u_major[0] + d[1] * u_major[1]) / major
    across = (d[0] * u_minor[0] + d[1] * u_minor[1]) / minor
    ellipse = (along ** 2 + across ** 2) <= 1.0
    m = mask.astype(bool)
    return 2.0 * np.logical_and(m, ellipse).sum() / (m.sum() + ellipse.sum())


def main():
    rng = np.random.default_rng(20261126)
    size = 32
    gy, gx = np.mgrid[0:size, 0:size].astype(np.float64)
    cases = {}
    # a rotated ellipse
    a, b, t = 11.0, 6.0, 0.7
    dx, dy = gx - 15.3, gy - 16.8
    cases["ellipse"] = (((dx * np.cos(t) + dy * np.sin(t)) / a) ** 2 + ((dy * np.cos(t) - dx * np.sin(t)) / b) ** 2 <= 1)
    # a five-point star
    r = np.hypot(gx - 15.5, gy - 15.5)
    phase = (np.arctan2(gy - 15.5, gx - 15.5) + np.pi) / (2 * np.pi) * 5
    tri = np.abs((phase - np.floor(phase)) - 0.5) * 2
    cases["star"] = r <= 5 + 9 * tri
    # a square and an L shape
    square = np.zeros((size, size), bool)
    square[8:24, 8:24] = True
    cases["square"] = square
    ell = np.zeros((size, size), bool)
    ell[4:28, 6:12] = True
    ell[22:28, 6:26] = True
    cases["l_shape"] = ell
    # random smooth blobs: the largest connected component of thresholded smoothed noise
    for k in range(4):
        field = ndimage.gaussian_filter(rng.standard_normal((size, size)), 3.0)
        blob = field > np.quantile(field, 0.75)
        labels, count = ndimage.label(blob)
        sizes = ndimage.sum(blob, labels, range(1, count + 1))
        cases[f"blob_{k}"] = labels == (1 + int(np.argmax(sizes)))
    # a single pixel and a one-pixel-wide line (degenerate axes)
    single = np.zeros((size, size), bool)
    single[10, 20] = True
    cases["single_pixel"] = single
    line = np.zeros((size, size), bool)
    line[5:25, 16] = True
    cases["line"] = line

    out = {
        "size": size,
        "cases": [
            {"name": name, "mask": mask.astype(int).tolist(), "dice": float(ellipse_dice(mask))}
            for name, mask in cases.items()
        ],
    }
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "ellipse_dice.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))
    for case in out["cases"]:
        print(case["name"], round(case["dice"], 6))


if __name__ == "__main__":
    main()
