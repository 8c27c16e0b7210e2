"""Golden values for Uqlib.Models.SlidingWindowModel: MONAI's sliding_window_inference semantics in NumPy.

Run with Debian's python (numpy 1.24.2):
    /usr/bin/python3 tests/Uqlib.Tests/Reference/make_sliding_window.py
Written from MONAI 1.x's documented semantics (monai.inferers.sliding_window_inference), independently of the C# code:
- an image smaller than the window in a dimension is padded to the window size, half before (rounded down) and the rest after;
- the scan interval per dimension is the window size where it equals the image size, else int(roi * (1 - overlap)), at least 1;
- window starts per dimension: idx * interval for idx = 0 .. (the first idx whose window reaches the end), each shifted back so the
  window ends inside the image; all windows are the C-order product of the starts, images one after the other;
- each window's output is multiplied by the importance map and added in; the result is divided by the summed importance map;
- the importance map is 1 (constant) or the product of 1-D Gaussians exp(-x^2 / (2 (sigma_scale * roi)^2)) over
  x = -(roi - 1)/2 .. (roi - 1)/2, clamped below at max(min, 1e-3);
- the padding is cropped off the result.
The "model" is a fixed function whose value depends on the position inside the window, so overlapping windows disagree and the
blending shows: out[k] = (k + 1) * x + 0.01 * (flat index inside the window) - 0.5 * k, for K = 2 output channels.
"""
import json
import math
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def model(windows):
    # windows: (B, 1, *roi) float32 -> (B, 2, *roi)
    roi = windows.shape[2:]
    ramp = (np.arange(int(np.prod(roi)), dtype=np.float32) * np.float32(0.01)).reshape(roi)
    outs = [np.float32(k + 1) * windows[:, 0] + ramp - np.float32(0.5 * k) for k in range(2)]
    return np.stack(outs, axis=1).astype(np.float32)


def importance(roi, mode, sigma_scale):
    if mode == "constant":
        return np.ones(roi, dtype=np.float32)
    m = None
    for i, r in enumerate(roi):
        x = np.arange(-(r - 1) / 2.0, (r - 1) / 2.0 + 1, dtype=np.float32)
        sigma = np.float32(r * sigma_scale)
        g = np.exp(x ** 2 / (np.float32(-2) * sigma ** 2)).astype(np.float32)
        m = g if m is None else m[..., None] * g
    return np.maximum(m, max(float(m.min()), 1e-3)).astype(np.float32)


def sliding_window(image, roi, overlap, mode, sigma_scale, batch, padding):
    n, c = image.shape[:2]
    size = image.shape[2:]
    pads = []
    for s, r in zip(size, roi):
        diff = max(r - s, 0)
        pads.append((diff // 2, diff - diff // 2))
    np_mode = {"constant": "constant", "replicate": "edge", "reflect": "reflect"}[padding]
    padded = np.pad(image, [(0, 0), (0, 0)] + pads, mode=np_mode)
    psize = padded.shape[2:]
    intervals = [r if r == s else max(int(r * (1 - overlap)), 1) for s, r in zip(psize, roi)]
    starts = []
    for s, r, iv in zip(psize, roi, intervals):
        num = int(math.ceil(float(s) / iv))
        count = next((d for d in range(num) if d * iv + r >= s), None)
        count = count + 1 if count is not None else 1
        starts.append([idx * iv - max(idx * iv + r - s, 0) for idx in range(count)])
    grid = [g.ravel() for g in np.meshgrid(*starts, indexing="ij")]
    windows = [(b, tuple(int(g[w]) for g in grid)) for b in range(n) for w in range(len(grid[0]))]
    imp = importance(roi, mode, sigma_scale)
    out = np.zeros((n, 2) + psize, dtype=np.float32)
    weight = np.zeros((n, 1) + psize, dtype=np.float32)
    for i in range(0, len(windows), batch):
        chunk = windows[i:i + batch]
        crops = np.stack([padded[(b, slice(None)) + tuple(slice(s, s + r) for s, r in zip(st, roi))] for b, st in chunk])
        pred = model(crops)
        for (b, st), p in zip(chunk, pred):
            sl = tuple(slice(s, s + r) for s, r in zip(st, roi))
            out[(b, slice(None)) + sl] += p * imp
            weight[(b, slice(None)) + sl] += imp
    out = out / weight
    crop = tuple(slice(before, before + s) for (before, _), s in zip(pads, size))
    return out[(slice(None), slice(None)) + crop], len(windows)


def main():
    rng = np.random.default_rng(11)
    cases = []
    for name, shape, roi, overlap, mode, batch, padding in [
        ("2d-constant-padded", (2, 1, 13, 5), (6, 8), 0.25, "constant", 3, "constant"),
        ("2d-gaussian-overlap-half", (1, 1, 17, 19), (8, 8), 0.5, "gaussian", 4, "constant"),
        ("3d-gaussian", (1, 1, 9, 10, 11), (4, 6, 5), 0.25, "gaussian", 5, "constant"),
        ("3d-replicate-padded", (2, 1, 3, 9, 7), (4, 4, 4), 0.4, "constant", 2, "replicate"),
        ("2d-reflect-padded", (1, 1, 5, 12), (8, 6), 0.25, "gaussian", 1, "reflect"),
        ("3d-window-equals-image", (1, 1, 4, 6, 5), (4, 6, 5), 0.25, "gaussian", 1, "constant"),
    ]:
        image = rng.standard_normal(shape).astype(np.float32)
        out, windows = sliding_window(image, roi, overlap, mode, 0.125, batch, padding)
        cases.append({"name": name, "shape": list(shape), "roi": list(roi), "overlap": overlap, "mode": mode, "batch": batch,
                      "padding": padding, "windows": windows, "image": image.ravel().tolist(),
                      "output": out.astype(np.float64).ravel().tolist()})
    with open(os.path.join(HERE, "sliding_window.json"), "w") as f:
        json.dump({"generator": f"numpy {np.__version__}", "cases": cases}, f)
    print("wrote", len(cases), "cases with numpy", np.__version__, [c["windows"] for c in cases])


if __name__ == "__main__":
    main()
