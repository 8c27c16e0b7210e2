"""Golden colours of matplotlib's colour maps, for ColorMapTests.

Writes colormaps.json: for each map, the 8-bit RGB colour of 256 evenly spaced values in [0, 1]
(matplotlib's own 256-entry lookup table) and the 65 anchors (values k/64) that Uqlib interpolates.
Run with /usr/bin/python3 (matplotlib 3.6.3).
"""
import json

import matplotlib
import numpy as np

result = {"matplotlib": matplotlib.__version__}
for name in ["viridis", "inferno", "gray"]:
    cmap = matplotlib.colormaps[name]
    t = np.linspace(0.0, 1.0, 256)
    table = np.round(cmap(t)[:, :3] * 255).astype(int).tolist()
    anchors = np.round(cmap(np.linspace(0.0, 1.0, 65))[:, :3] * 255).astype(int).tolist()
    result[name] = {"values": t.tolist(), "rgb": table, "anchors": anchors}

with open("colormaps.json", "w") as f:
    json.dump(result, f)

for name in ["viridis", "inferno"]:
    print(name, result[name]["anchors"])

# How far linear interpolation between the anchors is from the full table (the tolerance the test uses).
for name in ["viridis", "inferno", "gray"]:
    a = np.array(result[name]["anchors"], dtype=float)
    t = np.linspace(0.0, 1.0, 256)
    pos = t * 64
    lo = np.minimum(np.floor(pos).astype(int), 63)
    frac = pos - lo
    interp = np.round(a[lo] * (1 - frac)[:, None] + a[lo + 1] * frac[:, None])
    print(name, "max abs error", np.abs(interp - np.array(result[name]["rgb"])).max())
