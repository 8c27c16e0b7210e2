"""Peer timing for ConformalBenchmarks: conformal set prediction for 10^6 cases x 100 classes in NumPy, one thread.

The NumPy formulation of tests/Uqlib.Tests/Reference/make_conformal.py (float32 probabilities scored in float64, rows in chunks of
2^22 values as Uqlib does, so that memory stays bounded): LAC sets (1 - p <= q) and randomised APS sets (stable argsort of -p,
cumsum, s = cum - p + u p, put back in class order, s <= q, the top class added to empty sets).
Run: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 conformal_peer.py   (median of 10 runs after 2 warm-ups, in ms)
"""
import statistics
import time

import numpy as np

rng = np.random.default_rng(0)
n, c = 1_000_000, 100
logits = rng.standard_normal((n, c), dtype=np.float32) * 2
p = np.exp(logits - logits.max(axis=1, keepdims=True))
p /= p.sum(axis=1, keepdims=True)
del logits
u = rng.random(n)
q = 0.9
rows = (1 << 22) // c


def lac():
    out = np.empty((n, c), dtype=bool)
    for start in range(0, n, rows):
        chunk = p[start:start + rows].astype(np.float64)
        inside = 1.0 - chunk <= q
        empty = ~inside.any(axis=1)
        inside[np.nonzero(empty)[0], chunk[empty].argmax(axis=1)] = True
        out[start:start + rows] = inside
    return out


def aps():
    out = np.empty((n, c), dtype=bool)
    for start in range(0, n, rows):
        chunk = p[start:start + rows].astype(np.float64)
        order = np.argsort(-chunk, axis=1, kind="stable")
        srt = np.take_along_axis(chunk, order, axis=1)
        s = np.cumsum(srt, axis=1) - srt + srt * u[start:start + rows, None]
        inside = np.empty_like(s, dtype=bool)
        np.put_along_axis(inside, order, s <= q, axis=1)
        empty = ~inside.any(axis=1)
        inside[np.nonzero(empty)[0], order[empty, 0]] = True
        out[start:start + rows] = inside
    return out


for name, fn in [("Lac", lac), ("Aps", aps)]:
    for _ in range(2):
        fn()
    times = []
    for _ in range(10):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    print(f"{name}: median {statistics.median(times):.0f} ms (numpy {np.__version__})")
