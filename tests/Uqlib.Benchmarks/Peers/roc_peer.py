"""Peer timing for RocEvaluatorBenchmarks: scikit-learn on the same data shapes, one thread.

Run: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python3 roc_peer.py   (medians in ms)
Scores are U(0, 1) + 0.3 for failures (20% failures), float64.
"""
import statistics
import time

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score


def cases(n, seed):
    rng = np.random.default_rng(seed)
    failures = rng.random(n) < 0.2
    return rng.random(n) + 0.3 * failures, failures


def timed(name, fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    print(f"{name}: median {statistics.median(times):.1f} ms of {repeats}")


large_s, large_f = cases(10_000_000, 1)
small_s, small_f = cases(10_000, 3)


def bootstrap():
    rng = np.random.default_rng(0)
    pos, neg = np.flatnonzero(small_f), np.flatnonzero(~small_f)
    out = np.empty(1000)
    for b in range(1000):
        idx = np.concatenate([rng.choice(pos, len(pos)), rng.choice(neg, len(neg))])
        out[b] = roc_auc_score(small_f[idx], small_s[idx])
    return np.percentile(out, [2.5, 97.5])


timed("roc_auc_score 1e7", lambda: roc_auc_score(large_f, large_s), 5)
timed("roc_auc_score + average_precision_score 1e7",
      lambda: (roc_auc_score(large_f, large_s), average_precision_score(large_f, large_s)), 5)
timed("stratified bootstrap 1000 x 1e4 (roc_auc_score)", bootstrap, 3)
