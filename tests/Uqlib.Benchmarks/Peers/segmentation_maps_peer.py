"""Peer timing for SegmentationMapsBenchmarks: the same maps in PyTorch, (4, 2, 64, 128, 128) float32 logits, one thread.

Entropy from log_softmax, 1 - max softmax, boundary band of half-width 2 by 3-D max-pooling (dilation minus erosion),
its masked mean (separable max-pools, as Uqlib; the single 5x5x5 max-pool is timed too), and the 95th percentile per volume (torch.quantile, linear). SciPy's ndimage band is timed once too,
for scale. Prints the median of 10 runs after 2 warm-ups (ms) and the peak resident set above the baseline (MiB),
measured as the C# side does (VmHWM after writing 5 to /proc/self/clear_refs).

Run: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python3 segmentation_maps_peer.py
"""
import gc
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage

torch.set_num_threads(1)
logits = torch.randn((4, 2, 64, 128, 128), generator=torch.manual_seed(0))


def entropy_map():
    logp = torch.log_softmax(logits, 1)
    return -(logp.exp() * logp).sum(1)


def max_probability_map():
    return 1.0 - torch.softmax(logits, 1).amax(1)


entropy = entropy_map()
mask = logits.argmax(1).ne(0)


def cube_pool(x):
    return F.max_pool3d(x, 5, 1, 2)


def separable_pool(x):
    for k, p in [((5, 1, 1), (2, 0, 0)), ((1, 5, 1), (0, 2, 0)), ((1, 1, 5), (0, 0, 2))]:
        x = F.max_pool3d(x, k, 1, p)
    return x


def boundary_mean(pool=separable_pool):
    m = mask.to(entropy.dtype).unsqueeze(1)
    dil = pool(m)
    ero = 1 - pool(1 - m)
    band = (dil - ero).squeeze(1).flatten(1)
    x = entropy.flatten(1)
    count = band.sum(1)
    return torch.where(count > 0, (x * band).sum(1) / count.clamp_min(1), x.mean(1))


def percentile():
    return torch.quantile(entropy.flatten(1), 0.95, dim=1)


def status_kb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def peak(fn):
    gc.collect()
    before = status_kb("VmRSS:")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    fn()
    return (status_kb("VmHWM:") - before) / 1024.0


for name, fn in [("EntropyMap", entropy_map), ("OneMinusMaxProbabilityMap", max_probability_map),
                 ("BoundaryMean", boundary_mean),
                 ("BoundaryMean (one 5x5x5 max-pool)", lambda: boundary_mean(cube_pool)), ("Percentile", percentile)]:
    mib = peak(fn)
    for _ in range(2):
        fn()
    times = []
    for _ in range(10):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    print(f"{name}: median {statistics.median(times):.1f} ms, peak above baseline {mib:.1f} MiB (torch {torch.__version__})")

m = mask.numpy()
structure = np.ones((3, 3, 3), dtype=bool)
start = time.perf_counter()
for i in range(m.shape[0]):
    ndimage.binary_dilation(m[i], structure, iterations=2) & ~ndimage.binary_erosion(m[i], structure, iterations=2, border_value=1)
print(f"scipy.ndimage band (once, for scale): {(time.perf_counter() - start) * 1000:.1f} ms")
