"""Peer timing for DetectorBenchmarks: the same detectors in PyTorch, one thread, same shapes and seed.

fDBD (Liu & Qin 2024), OpenOOD's form: logits, |max - logits| / the (C, C) matrix of |w_p - w_c| rows gathered by the prediction, summed,
divided by |x - mean| (float32 as OpenOOD, and float64 as Uqlib computes). NNGuide (Park et al. 2023): bank = normalised training
features x logsumexp confidence (100,000 x 512), 1,000 queries, matmul + topk(k = 100) + mean, x energy. MCM (Ming et al. 2022):
softmax(cos / 1) over 100 concepts, 100,000 x 512 embeddings. Sub-ensembles: 10 members, 100,000 x 10 probabilities, 50 subsets of
5, variance over subsets of the subset mean at the full ensemble's class. GEN (Liu et al. 2023, gamma = 0.1, M = 100) and KL matching
(Hendrycks et al. 2022, templates = mean probabilities per predicted class) on 100,000 x 100 probabilities, float64. ODIN (Liang et al.
2018, T = 1000, eps = 0.0014, the authors' sign rule): a 512 -> 100 linear network on the 100,000 x 512 features.

Run: OMP_NUM_THREADS=1 /usr/bin/python3 detectors_peer.py [repeats] [--only=NAME ...]   (prints medians in ms and the peak RSS)
"""
import resource
import statistics
import sys
import time

import torch

torch.set_num_threads(1)
repeats = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 5
only = [a.split('=', 1)[1] for a in sys.argv if a.startswith('--only=')]  # run only the rows whose name contains one of these
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
probabilities = torch.randn(100_000, 100, generator=g).softmax(1)
odin_network = torch.nn.Linear(512, 100)
with torch.no_grad():
    odin_network.weight.copy_(torch.randn(100, 512, generator=g) / 10)
    odin_network.bias.copy_(torch.randn(100, generator=g))
odin_network.eval()
_p = probabilities.double()
_predicted = _p.argmax(1)
templates = torch.zeros(100, 100, dtype=torch.float64).index_add_(0, _predicted, _p) / torch.bincount(_predicted, minlength=100).double()[:, None]


def gen(gamma=0.1, m=100):
    p = probabilities.double()
    top = p.topk(m, dim=1).values if m < p.shape[1] else p
    return (top ** gamma * (1 - top) ** gamma).sum(1)


def kl_matching():
    p = probabilities.double()
    return ((p * p.log()).sum(1, keepdim=True) - p @ templates.clamp_min(5e-324).log().T).amin(1)


def odin(temperature=1000.0, eps=0.0014):
    x = features.clone().requires_grad_(True)
    logits = odin_network(x)
    loss = torch.nn.functional.cross_entropy(logits / temperature, logits.detach().argmax(1))
    loss.backward()
    direction = (torch.ge(x.grad, 0).float() - 0.5) * 2
    with torch.no_grad():
        return -(odin_network(x.detach() - eps * direction).double() / temperature).softmax(1).amax(1)


def sub_ensembles():
    p = members.double()
    predicted = p.mean(0).argmax(1, keepdim=True)
    chosen = torch.stack([p[s].mean(0).gather(1, predicted).squeeze(1) for s in subsets])
    return chosen.var(0, unbiased=False)


for name, fn in [("fDBD float32 (OpenOOD)", lambda: fdbd(torch.float32)), ("fDBD float64", lambda: fdbd(torch.float64)),
                 ("NNGuide k=100, 1,000 queries", nnguide), ("MCM", mcm), ("Sub-ensembles", sub_ensembles), ("GEN", gen),
                 ("KL matching", kl_matching), ("ODIN", odin)]:
    if only and not any(o in name for o in only):
        continue
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    print(f"{name}: median {statistics.median(times):.0f} ms over {repeats} (torch {torch.__version__})")
print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
