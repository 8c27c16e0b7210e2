"""Peer timing for LastLayerBenchmarks: ReAct, ASH-S, DICE and GradNorm in PyTorch, one thread, the same shapes.

10^5 x 512 float32 post-ReLU features, a 10-class final layer; scoring in float64 as Uqlib does. ReAct (Sun et al. 2021): clip at the
90th percentile of the activations (fit: np.percentile over all 5.12e7, as the authors' code), then -logsumexp. ASH-S (Djurisic et al.
2023): the authors' topk/scatter/exp form at p = 90. DICE (Sun & Li 2022): x @ (W * mask).T + b. GradNorm (Huang et al. 2021):
(a) the closed form |p - 1/C|_1 |x|_1 Uqlib uses, (b) the authors' one-backward-per-sample loop, timed on 1,000 samples.

Run: OMP_NUM_THREADS=1 /usr/bin/python3 last_layer_peer.py [repeats] [--only=NAME ...]   (prints medians in ms and the peak RSS)
"""
import resource
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(1)
repeats = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 5
only = [a.split('=', 1)[1] for a in sys.argv if a.startswith('--only=')]  # run only the rows whose name contains one of these
g = torch.Generator().manual_seed(0)
features = torch.randn(100_000, 512, generator=g).relu_()
weight = (torch.randn(10, 512, generator=g) / 16).double()
bias = torch.randn(10, generator=g).double()


def react_fit():
    return float(np.percentile(features.numpy().flatten(), 90))


threshold = react_fit()


def react():
    x = features.double().clamp(max=threshold)
    return -torch.logsumexp(x @ weight.T + bias, dim=1)


def ash_s(percentile=90):
    x = features.double()
    s1 = x.sum(1)
    n = x.shape[1]
    k = n - int(np.round(n * percentile / 100.0))
    v, i = torch.topk(x, k, dim=1)
    t = torch.zeros_like(x).scatter_(1, i, v)
    t = t * torch.exp(s1 / t.sum(1))[:, None]
    return -torch.logsumexp(t @ weight.T + bias, dim=1)


mean_act = features.double().mean(0)
contrib = mean_act[None, :] * weight
masked = weight * (contrib > np.percentile(contrib.numpy(), 90))


def dice():
    return -torch.logsumexp(features.double() @ masked.T + bias, dim=1)


def gradnorm_closed():
    x = features.double()
    p = torch.softmax(x @ weight.T + bias, dim=1)
    return -(p - 1.0 / weight.shape[0]).abs().sum(1) * x.abs().sum(1)


def gradnorm_autograd(n=1000):
    fc = torch.nn.Linear(512, 10).double()
    with torch.no_grad():
        fc.weight.copy_(weight)
        fc.bias.copy_(bias)
    out = []
    for row in features[:n].double():
        fc.zero_grad()
        loss = torch.sum(-torch.full((1, 10), 0.1, dtype=torch.float64) * F.log_softmax(fc(row[None]), dim=1))
        loss.backward()
        out.append(-fc.weight.grad.abs().sum())
    return torch.stack(out)


for name, fn in [("ReAct fit (np.percentile)", react_fit), ("ReAct", react), ("ASH-S", ash_s), ("DICE", dice),
                 ("GradNorm (closed form)", gradnorm_closed), ("GradNorm (autograd loop, 1,000 samples)", gradnorm_autograd)]:
    if only and not any(o in name for o in only):
        continue
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    print(f"{name}: median {statistics.median(times):.0f} ms over {repeats} (torch {torch.__version__}, numpy {np.__version__})")
print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
