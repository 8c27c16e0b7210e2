"""Peer timing for TtaBenchmarks: the same small CNN in PyTorch, 2,000 (1 x 28 x 28) float32 images in batches of 500, one thread.

Measures 8 plain forward passes, a hand-written TTA with the same 8 augmentations (one forward pass per copy, softmax,
mean, mutual information), 5 ensemble members' plain passes, and the ensemble (softmax, mean, MI).

Run: OMP_NUM_THREADS=1 python3 tta_peer.py   (prints the median of 3 runs after 1 warm-up, in ms)
"""
import math
import statistics
import time

import torch
import torch.nn.functional as F
from small_cnn import small_cnn

torch.set_num_threads(1)
images = torch.rand(2_000, 1, 28, 28, generator=torch.manual_seed(0))
batches = [images[i:i + 500].contiguous() for i in range(0, 2_000, 500)]


members = [small_cnn(m) for m in range(5)]


def per_image(x):
    lo = x.amin(dim=(1, 2, 3), keepdim=True)
    return lo, x.amax(dim=(1, 2, 3), keepdim=True) - lo


def rotate(x, degrees):
    r = math.radians(degrees)
    theta = torch.tensor([[math.cos(r), math.sin(r), 0.0], [-math.sin(r), math.cos(r), 0.0]], dtype=x.dtype).expand(x.shape[0], 2, 3)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


def noise(x):
    lo, rng = per_image(x)
    g = torch.Generator().manual_seed(1)
    return x + torch.randn(x.shape, generator=g) * rng * 0.05


def gamma(x):
    lo, rng = per_image(x)
    return lo + rng * ((x - lo) / rng).clamp(0, 1) ** 0.8


def contrast(x):
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return mean + 1.2 * (x - mean)


augmentations = [
    lambda x: x.clone(), lambda x: x.flip(3), lambda x: x.flip(2), lambda x: rotate(x, 10),
    lambda x: x + 0.1 * per_image(x)[1], contrast, gamma, noise,
]


def entropy(p, dim):
    return -torch.special.xlogy(p, p).sum(dim)


def variability(p):  # p: (K, N, C)
    mean = p.mean(0)
    return mean, (entropy(mean, 1) - entropy(p, 2).mean(0)).clamp_min(0)


def eight_plain():
    with torch.inference_mode():
        for b in batches:
            for _ in range(8):
                members[0](b)


def tta():
    with torch.inference_mode():
        for b in batches:
            # One copy per forward pass, as the Uqlib benchmark does (one pass of 8 x 500 is ~3x slower on a CPU).
            p = torch.stack([members[0](a(b)).softmax(1) for a in augmentations])
            variability(p)


def five_plain():
    with torch.inference_mode():
        for b in batches:
            for m in members:
                m(b)


def ensemble():
    with torch.inference_mode():
        for b in batches:
            p = torch.stack([m(b).softmax(1) for m in members])
            variability(p)


for name, fn in [("EightPlainForwardPasses", eight_plain), ("TtaWithEightAugmentations", tta),
                 ("FiveMembersPlainForwardPasses", five_plain), ("DeepEnsembleOfFive", ensemble)]:
    fn()
    times = []
    for _ in range(3):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    print(f"{name}: median {statistics.median(times):.0f} ms (torch {torch.__version__})", flush=True)
