"""Golden values for Uqlib.Augmentation: Gaussian blur and unsharp masking against scipy.ndimage (float64).

scipy.ndimage.gaussian_filter with mode='nearest' (edge replication) and truncate=3 uses a kernel of radius int(3*sigma + 0.5),
which equals Uqlib's ceil(3*sigma) for the sigmas used here. Filtering is per channel, over the spatial axes only.

Run: python3 make_augmentations.py  (writes augmentations.json beside this script)
"""
import json
import os

import numpy as np
from scipy.ndimage import gaussian_filter

rng = np.random.default_rng(20261126)
image = rng.normal(0.0, 1.0, size=(2, 2, 7, 9))
volume = rng.normal(0.0, 1.0, size=(1, 2, 5, 6, 7))


def blur(x, sigma):
    s = [0, 0] + [sigma] * (x.ndim - 2)
    return gaussian_filter(x, sigma=s, mode="nearest", truncate=3.0)


out = {
    "image": image.tolist(),
    "imageBlur1_5": blur(image, 1.5).tolist(),
    "imageSharpness0_7": (image + 0.7 * (image - blur(image, 1.0))).tolist(),
    "volume": volume.tolist(),
    "volumeBlur1": blur(volume, 1.0).tolist(),
}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "augmentations.json"), "w") as f:
    json.dump(out, f)
