"""Peer timing for SegmentationTtaBenchmarks: TTA mutual-information maps of 3-D volumes in PyTorch, one thread.

Inputs (4, 1, 64, 128, 128) float32 (torch.rand, seed 0), the pointwise model logits (6x - 3, -(6x - 3)), 8 geometric
augmentations (identity, flips of D, H, W, rot90 by 1, 2, 3 turns in the H-W plane, flip D then rot90 by 1), each copy's
softmax inverted and folded into running sums (sum of p, sum of the entropies); MI = H(mean p) - mean H(p). Streamed: one
augmentation per forward pass; one pass: the 8 copies concatenated. Median of 10 runs after 2 warm-ups (ms) and the peak
resident set above the baseline (MiB), measured as the C# side does (VmHWM after writing 5 to /proc/self/clear_refs).

Run: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python3 segmentation_tta_peer.py
"""
import gc
import statistics
import time

import torch

torch.set_num_threads(1)
inputs = torch.rand((4, 1, 64, 128, 128), generator=torch.manual_seed(0))


def model(x):
    z = x * 6 - 3
    return torch.cat([z, -z], 1)


# (apply, invert) on (N, C, D, H, W); spatial dims 2, 3, 4.
AUGS = [
    (lambda x: x, lambda y: y),
    (lambda x: torch.flip(x, [2]), lambda y: torch.flip(y, [2])),
    (lambda x: torch.flip(x, [3]), lambda y: torch.flip(y, [3])),
    (lambda x: torch.flip(x, [4]), lambda y: torch.flip(y, [4])),
    (lambda x: torch.rot90(x, 1, [3, 4]), lambda y: torch.rot90(y, -1, [3, 4])),
    (lambda x: torch.rot90(x, 2, [3, 4]), lambda y: torch.rot90(y, -2, [3, 4])),
    (lambda x: torch.rot90(x, 3, [3, 4]), lambda y: torch.rot90(y, -3, [3, 4])),
    (lambda x: torch.rot90(torch.flip(x, [2]), 1, [3, 4]), lambda y: torch.flip(torch.rot90(y, -1, [3, 4]), [2])),
]


def entropy(p):
    return -torch.special.xlogy(p, p).sum(1)


def tta_streamed():
    total = None
    total_entropy = None
    for apply, invert in AUGS:
        p = invert(torch.softmax(model(apply(inputs)), 1))
        h = entropy(p)
        total = p if total is None else total.add_(p)
        total_entropy = h if total_entropy is None else total_entropy.add_(h)
    k = len(AUGS)
    mean = total / k
    return mean, (entropy(mean) - total_entropy / k).clamp_min_(0)


def tta_one_pass():
    n = inputs.shape[0]
    probs = torch.softmax(model(torch.cat([a(inputs) for a, _ in AUGS], 0)), 1)
    total = None
    total_entropy = None
    for j, (_, invert) in enumerate(AUGS):
        p = invert(probs[j * n:(j + 1) * n])
        h = entropy(p)
        total = p.clone() if total is None else total.add_(p)
        total_entropy = h if total_entropy is None else total_entropy.add_(h)
    k = len(AUGS)
    mean = total / k
    return mean, (entropy(mean) - total_entropy / k).clamp_min_(0)


def plain():
    for _ in range(8):
        model(inputs)


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


peaks = {name: peak(fn) for name, fn in [("EightPlainForwardPasses", plain), ("TtaMapsStreamed", tta_streamed), ("TtaMapsOnePass", tta_one_pass)]}
for name, fn in [("EightPlainForwardPasses", plain), ("TtaMapsStreamed", tta_streamed)]:
    for _ in range(2):
        fn()
    times = []
    for _ in range(10):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    print(f"{name}: median {statistics.median(times):.1f} ms, peak above baseline {peaks[name]:.1f} MiB (torch {torch.__version__})")
print(f"TtaMapsOnePass: peak above baseline {peaks['TtaMapsOnePass']:.1f} MiB")
