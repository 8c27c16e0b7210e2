"""Peer timing for GreedyPolicySearchBenchmarks: greedy policy search as the authors implement it (Lyzhov et al. 2020,
bayesgroup/gps-augment): at each step, for every candidate, the running mixture's temperature is fitted by SciPy's Nelder-Mead on T
from T = 1 (default tolerances) and the calibrated log-likelihood scored; the argmax is added. One process, one thread.

The cache (1,000 candidates x 5,000 samples x 10 classes, float32 log-probabilities, seeded NumPy) is written to
/tmp/uqlib_gps_bench.f32 (with labels in /tmp/uqlib_gps_bench.labels) for the C# benchmark to read the same numbers.
Run: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python3 gps_peer.py [steps] [candidates]   (prints seconds per step and the
selection; with candidates < 1000 the search runs on the first candidates of the cache only)
"""
import os
import sys
import time

import numpy as np
from scipy import optimize, special

K, N, C = 1000, 5000, 10
CACHE, LABELS = "/tmp/uqlib_gps_bench.f32", "/tmp/uqlib_gps_bench.labels"


def make_cache():
    rng = np.random.default_rng(0)
    y = rng.integers(0, C, size=N)
    signal = 2.0 * np.eye(C)[y]
    shared = rng.standard_normal((N, C))
    cache = np.empty((K, N, C), dtype=np.float32)
    for k in range(K):
        own = rng.standard_normal((N, C))
        kind = k % 10
        if kind < 6:  # harmless: partly shared noise, partly its own
            logits = signal + 1.0 * shared + (0.8 + 0.05 * kind) * own
        elif kind < 8:  # harmful: a random fraction of samples with classes rolled by one
            rolled = np.roll(signal, 1, axis=1)
            pick = rng.random(N) < 0.05 * (k % 20 + 1)
            logits = np.where(pick[:, None], rolled, signal) + 1.0 * shared + 0.8 * own
        else:  # very noisy
            logits = signal + shared + 3.0 * own
        cache[k] = special.log_softmax(logits, axis=1)
    cache.tofile(CACHE)
    y.astype(np.int64).tofile(LABELS)
    return cache, y


def calibrated_nll(log_probs, y):
    """The authors' temperature scaling: Nelder-Mead on T from T = 1, default tolerances; returns the minimal NLL."""
    rows = np.arange(len(y))

    def nll(t):
        return -special.log_softmax(log_probs / t[0], axis=1)[rows, y].mean()

    return optimize.minimize(nll, x0=np.array([1.0]), method="Nelder-Mead").fun


def main():
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    pool = int(sys.argv[2]) if len(sys.argv) > 2 else K
    if os.path.exists(CACHE) and os.path.exists(LABELS):
        cache = np.fromfile(CACHE, dtype=np.float32).reshape(K, N, C)
        y = np.fromfile(LABELS, dtype=np.int64)
    else:
        cache, y = make_cache()
    cache = cache[:pool].astype(np.float64)
    policy, selected, times = None, [], []
    for t in range(1, steps + 1):
        start = time.perf_counter()
        scores = np.empty(pool)
        for s in range(pool):
            mix = cache[s] if policy is None else np.logaddexp(np.log(t - 1) + policy, cache[s]) - np.log(t)
            scores[s] = -calibrated_nll(mix, y)
        best = int(np.argmax(scores))
        policy = cache[best] if policy is None else np.logaddexp(np.log(t - 1) + policy, cache[best]) - np.log(t)
        selected.append(best)
        times.append(time.perf_counter() - start)
        print(f"step {t}: candidate {best}, cLL {scores[best]:.8f}, {times[-1]:.1f} s", flush=True)
    print("selection", selected)
    print(f"median seconds per step {np.median(times):.1f}; extrapolated to 20 steps {20 * np.median(times):.0f} s")


if __name__ == "__main__":
    main()
