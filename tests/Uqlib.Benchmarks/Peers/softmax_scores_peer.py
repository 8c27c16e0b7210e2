"""Peer timing for SoftmaxScoresBenchmarks: the same scores in PyTorch, (100,000 x 1,000) float32 logits, one thread.

Run: python3 softmax_scores_peer.py   (prints the median of 10 runs after 2 warm-ups, in ms)
"""
import statistics
import time

import torch

torch.set_num_threads(1)
logits = torch.randn(100_000, 1_000, generator=torch.manual_seed(0))


def max_probability():
    return 1.0 - torch.softmax(logits, 1).amax(1)


def entropy():
    p = torch.softmax(logits, 1)
    return -torch.special.xlogy(p, p).sum(1)


def energy():
    return -torch.logsumexp(logits, 1)


for name, fn in [("OneMinusMaxProbability", max_probability), ("Entropy", entropy), ("Energy", energy)]:
    for _ in range(2):
        fn()
    times = []
    for _ in range(10):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    print(f"{name}: median {statistics.median(times):.1f} ms (torch {torch.__version__})")
