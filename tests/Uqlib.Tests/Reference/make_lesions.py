"""Golden values for Uqlib.Segmentation's connected components and per-lesion analysis.

Run with Debian's python (numpy 1.24.2, scipy 1.10.1):
    /usr/bin/python3 tests/Uqlib.Tests/Reference/make_lesions.py
Connected components come from scipy.ndimage.label with generate_binary_structure(rank, 1..rank), i.e. 4/8-connectivity
in 2-D and 6/18/26 in 3-D. The per-lesion analysis is written here from its definition (Uqlib's XML docs), independently
of the C# code: predicted and true lesions are the components of the masks; a predicted lesion and a true lesion match when
their Dice is at least the threshold; a predicted lesion that matches none is a false positive, a true lesion that none
matches is missed; a lesion's uncertainty is the mean, max and the q-th percentile (NumPy's linear rule) of the map over
its voxels, and the mean over its boundary band (the voxels within `width` steps of its boundary, on both sides, by
26/8-neighbourhood dilation minus erosion of the whole predicted mask, the image edge not a boundary (MapAggregation.BoundaryBand), each band voxel assigned to the lesion it touches,
the highest-numbered one where several do).
"""
import json
import os

import numpy as np
import scipy
from scipy import ndimage

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(7)


def blobs(shape, density, smooth):
    noise = rng.standard_normal(shape)
    noise = ndimage.gaussian_filter(noise, smooth)
    return noise > np.quantile(noise, 1 - density)


def lesion_table(map_, pred, true, conn, threshold, q, width):
    structure = ndimage.generate_binary_structure(pred.ndim, conn)
    pl, pn = ndimage.label(pred, structure)
    tl, tn = ndimage.label(true, structure)
    full = np.ones((3,) * pred.ndim, dtype=bool)
    band = ndimage.binary_dilation(pred, full, iterations=width) & ~ndimage.binary_erosion(pred, full, iterations=width, border_value=1)
    # Assign each band voxel to a lesion: its own label inside, else the largest label within `width` steps.
    grown = ndimage.maximum_filter(pl, size=2 * width + 1, mode="constant", cval=0)
    owner = np.where(pl > 0, pl, grown)
    rows = []
    for p in range(1, pn + 1):
        voxels = map_[pl == p]
        pv = pl == p
        dices = [2.0 * np.sum(pv & (tl == t)) / (pv.sum() + np.sum(tl == t)) for t in range(1, tn + 1)]
        best = max(dices) if dices else 0.0
        b = map_[band & (owner == p)]
        rows.append({
            "label": p, "voxels": int(pv.sum()), "mean": float(voxels.mean()), "max": float(voxels.max()),
            "quantile": float(np.percentile(voxels, q)), "band_mean": float(b.mean()) if b.size else float(voxels.mean()),
            "best_dice": float(best), "false_positive": bool(best < threshold),
        })
    missed = []
    for t in range(1, tn + 1):
        tv = tl == t
        dices = [2.0 * np.sum(tv & (pl == p)) / (tv.sum() + np.sum(pl == p)) for p in range(1, pn + 1)]
        if not dices or max(dices) < threshold:
            missed.append({"label": t, "voxels": int(tv.sum())})
    return {"predicted": rows, "missed": missed, "true_lesions": tn}


def main():
    out = {"generator": f"numpy {np.__version__}, scipy {scipy.__version__}", "labels": [], "lesions": []}
    for shape, conns in [((12, 13), (1, 2)), ((7, 8, 9), (1, 2, 3))]:
        for density in (0.3, 0.55):
            mask = rng.random(shape) < density
            for conn in conns:
                labels, n = ndimage.label(mask, ndimage.generate_binary_structure(len(shape), conn))
                neighbours = {(2, 1): 4, (2, 2): 8, (3, 1): 6, (3, 2): 18, (3, 3): 26}[(len(shape), conn)]
                out["labels"].append({"shape": list(shape), "connectivity": neighbours, "mask": mask.astype(int).ravel().tolist(),
                                      "labels": labels.ravel().tolist(), "count": int(n)})
    for shape, conn, neighbours in [((20, 22), 2, 8), ((10, 12, 14), 3, 26), ((10, 12, 14), 1, 6)]:
        pred = blobs(shape, 0.12, 1.2)
        true = blobs(shape, 0.10, 1.2) | (pred & (rng.random(shape) < 0.5))
        map_ = rng.random(shape)
        table = lesion_table(map_, pred, true, conn, 0.1, 90.0, 1)
        out["lesions"].append({"shape": list(shape), "connectivity": neighbours, "threshold": 0.1, "percentile": 90.0, "width": 1,
                               "map": map_.ravel().tolist(), "predicted_mask": pred.astype(int).ravel().tolist(),
                               "true_mask": true.astype(int).ravel().tolist(), **table})
    with open(os.path.join(HERE, "lesions.json"), "w") as f:
        json.dump(out, f)
    print("wrote", len(out["labels"]), "labelings and", len(out["lesions"]), "lesion tables;", out["generator"])
    for t in out["lesions"]:
        print(" ", t["shape"], "predicted", len(t["predicted"]), "FP", sum(r["false_positive"] for r in t["predicted"]), "missed", len(t["missed"]))


if __name__ == "__main__":
    main()
