"""Peer timing for DetectorBenchmarks: the same detectors in PyTorch, one thread, same shapes and seed.

fDBD (Liu & Qin 2024), OpenOOD's form: logits, |max - logits| / the (C, C) matrix of |w_p - w_c| rows gathered by the prediction, summed,
divided by |x - mean| (float32 as OpenOOD, and float64 as Uqlib computes). NNGuide (Park et al. 2023): bank = normalised training
features x logsumexp confidence (100,000 x 512), 1,000 queries, matmul + topk(k = 100) + mean, x energy. MCM (Ming et al. 2022):
softmax(cos / 1) over 100 concepts, 100,000 x 512 embeddings. Sub-ensembles: 10 members, 100,000 x 10 probabilities, 50 subsets of
5, variance over subsets of the subset mean at the full ensemble's class.

Run: OMP_NUM_THREADS=1 /usr/bin/python3 detectors_peer.py [repeats]   (prints medians in ms and the peak RSS)
"""
import resource
import statistics
import sys
import time

import torch

torch.set_num_threads(1)
repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
g = torch.Generator().manual_seed(0)
train = torch.randn(100_000, 512, generator=g).relu_()
weight = torch.randn(100, 512, generator=g) / 10
bias = torch.randn(100, generator=g)
features = torch.randn(100_000, 512, generator=g).relu_()
queries = features[:1_000].clone()
concepts = torch.randn(100, 512, generator=g)
members = torch.randn(10, 100_000, 10, generator=g).softmax(2)

denominator = torch.cdist(weight.double(), weight.double())
denominator.fill_diagonal_(1.0)
train_mean = train.double().mean(0)


def fdbd(dtype):
    w, b, d, mu = weight.to(dtype), bias.to(dtype), denominator.to(dtype), train_mean.to(dtype)
    x = features.to(dtype)
    logits = x @ w.T + b
    values, predicted = logits.max(1)
    return -((values[:, None] - logits) / d[predicted]).sum(1) / (w.shape[0] - 1) / (x - mu).norm(dim=1)


bank = torch.nn.functional.normalize(train, dim=1) * torch.logsumexp(train @ weight.T + bias, dim=1)[:, None]


def nnguide(k=100):
    q = torch.nn.functional.normalize(queries, dim=1)
    guidance = (q @ bank.T).topk(k, dim=1).values.double().mean(1)
    return -torch.logsumexp((queries @ weight.T + bias).double(), dim=1) * guidance


def mcm():
    v = torch.nn.functional.normalize(features.double(), dim=1)
    z = torch.nn.functional.normalize(concepts.double(), dim=1)
    return 1.0 - (v @ z.T).softmax(1).amax(1)


subsets = [torch.randperm(10, generator=g)[:5] for _ in range(50)]


def sub_ensembles():
    p = members.double()
    predicted = p.mean(0).argmax(1, keepdim=True)
    chosen = torch.stack([p[s].mean(0).gather(1, predicted).squeeze(1) for s in subsets])
    return chosen.var(0, unbiased=False)


for name, fn in [("fDBD float32 (OpenOOD)", lambda: fdbd(torch.float32)), ("fDBD float64", lambda: fdbd(torch.float64)),
                 ("NNGuide k=100, 1,000 queries", nnguide), ("MCM", mcm), ("Sub-ensembles", sub_ensembles)]:
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    print(f"{name}: median {statistics.median(times):.0f} ms over {repeats} (torch {torch.__version__})")
print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
