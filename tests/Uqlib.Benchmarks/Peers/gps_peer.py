"""Peer timing for GreedyPolicySearchBenchmarks: greedy policy search as the authors implement it (Lyzhov et al. 2020,
bayesgroup/gps-augment, policy-search.py and metrics.py): at each step, for every candidate, the running mixture's temperature is
fitted by SciPy's Nelder-Mead on T from T = 1 and the calibrated log-likelihood scored; the argmax is added (first index on ties).
One process, one thread.

Two forms of the same rule (--dtype):
  float64  NumPy / SciPy in float64: the mixture by np.logaddexp, the NLL by scipy.special.log_softmax.
  float32  PyTorch in float32, as the authors' code computes it: the running mixture and the candidate re-normalised by log_softmax
           and mixed by log-add-exp with weights (t - 1, 1) over t (their logmeansoftmax); the objective of Nelder-Mead is their
           -mean(log(1e-12 + softmax(m / T)[i, y_i])), here with the log-softmax taken at the label only (the same numbers, without
           exponentiating the whole matrix).
The authors pass options={'xtol': 1e-3}; SciPy 1.10 no longer knows that key for Nelder-Mead (it warns "Unknown solver options: xtol" and
ignores it), so their code runs with Nelder-Mead's defaults (xatol = fatol = 1e-4), as both forms here do.

The cache (1,000 candidates x 5,000 samples x 10 classes, float32 log-probabilities, seeded NumPy) is written to
/tmp/uqlib_gps_bench.f32 (with labels in /tmp/uqlib_gps_bench.labels) for the C# benchmark to read the same numbers; the C#
benchmark writes its selection to /tmp/uqlib_gps_bench.selection.txt, which --compare checks against this run's.
Run: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 gps_peer.py [--dtype float32] [--steps 2] [--candidates 1000] [--compare]
(prints wall and CPU seconds per step and the selection; with --candidates below 1000 the search runs on the first candidates of the cache only)
"""
import argparse
import math
import os
import sys
import time

import numpy as np
import scipy
import torch
from scipy import optimize, special

K, N, C = 1000, 5000, 10
CACHE, LABELS = "/tmp/uqlib_gps_bench.f32", "/tmp/uqlib_gps_bench.labels"
SELECTION = "/tmp/uqlib_gps_bench.selection.txt"


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


def calibrated_ll_float64(log_probs, y):
    """The authors' temperature scaling in float64: Nelder-Mead on T from T = 1; returns the calibrated log-likelihood."""
    rows = np.arange(len(y))

    def nll(t):
        return -special.log_softmax(log_probs / t[0], axis=1)[rows, y].mean()

    return -optimize.minimize(nll, x0=np.array([1.0]), method="Nelder-Mead").fun


def calibrated_ll_float32(log_probs, index):
    """The authors' temperature scaling in float32 PyTorch: Nelder-Mead on T from T = 1 over -mean(log(1e-12 + p_y(T)))."""

    def nll(t):
        at_label = torch.log_softmax(log_probs / float(t[0]), dim=1).gather(1, index)
        return -torch.log(at_label.exp_().add_(1e-12)).mean().item()

    return -optimize.minimize(nll, x0=np.array([1.0]), method="Nelder-Mead").fun


def search_float64(cache, y, steps):
    cache = cache.astype(np.float64)
    pool = cache.shape[0]
    policy = None
    for t in range(1, steps + 1):
        start, cpu = time.perf_counter(), time.process_time()
        scores = np.empty(pool)
        for s in range(pool):
            mix = cache[s] if policy is None else np.logaddexp(np.log(t - 1) + policy, cache[s]) - np.log(t)
            scores[s] = calibrated_ll_float64(mix, y)
        best = int(np.argmax(scores))
        policy = cache[best] if policy is None else np.logaddexp(np.log(t - 1) + policy, cache[best]) - np.log(t)
        yield best, scores[best], time.perf_counter() - start, time.process_time() - cpu


def search_float32(cache, y, steps):
    cache = torch.from_numpy(cache)
    index = torch.from_numpy(y).view(-1, 1)
    pool = cache.shape[0]
    policy = None

    def mixture(candidate, t):
        # The authors' logmeansoftmax over (policy, candidate) with weights (t - 1, 1), in float32.
        if policy is None:
            return torch.log_softmax(candidate, dim=1)
        return torch.logaddexp(torch.log_softmax(policy, dim=1) + math.log(t - 1), torch.log_softmax(candidate, dim=1)) - math.log(t)

    with torch.no_grad():
        for t in range(1, steps + 1):
            start, cpu = time.perf_counter(), time.process_time()
            scores = np.empty(pool)
            for s in range(pool):
                scores[s] = calibrated_ll_float32(mixture(cache[s], t), index)
            best = int(np.argmax(scores))
            policy = mixture(cache[best], t)
            yield best, scores[best], time.perf_counter() - start, time.process_time() - cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dtype", choices=["float64", "float32"], default="float64", help="the form of the rule (default float64)")
    parser.add_argument("--steps", type=int, default=2, help="steps to run (default 2; the benchmark runs 20)")
    parser.add_argument("--candidates", type=int, default=K, help=f"the first candidates of the cache to search (default {K})")
    parser.add_argument("--compare", action="store_true", help=f"compare the selection with the C# benchmark's ({SELECTION})")
    args = parser.parse_args()

    torch.set_num_threads(1)
    print(f"NumPy {np.__version__}, SciPy {scipy.__version__}, PyTorch {torch.__version__}, Python {sys.version.split()[0]}; "
          f"{args.dtype}, {args.candidates} candidates, {args.steps} steps, torch threads {torch.get_num_threads()}", flush=True)
    if os.path.exists(CACHE) and os.path.exists(LABELS):
        cache = np.fromfile(CACHE, dtype=np.float32).reshape(K, N, C)
        y = np.fromfile(LABELS, dtype=np.int64)
    else:
        cache, y = make_cache()
    cache = np.ascontiguousarray(cache[:args.candidates])
    search = search_float32 if args.dtype == "float32" else search_float64
    selected, times = [], []
    for t, (best, score, seconds, cpu) in enumerate(search(cache, y, args.steps), start=1):
        selected.append(best)
        times.append(seconds)
        print(f"step {t}: candidate {best}, cLL {score:.8f}, {seconds:.2f} s (CPU {cpu:.2f} s)", flush=True)
    print("selection", selected)
    print(f"median seconds per step {np.median(times):.2f}; extrapolated to 20 steps {20 * np.median(times):.0f} s")
    if args.compare:
        with open(SELECTION) as f:
            theirs = [int(line.split(": +")[1].split(",")[0]) for line in f if ": +" in line]
        agree = theirs[:len(selected)] == selected
        print(f"Uqlib selection {theirs}; the first {len(selected)} {'agree' if agree else 'DIFFER'}")


if __name__ == "__main__":
    main()
