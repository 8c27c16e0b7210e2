"""Peer timings for CalibrationBenchmarks, one thread, same shapes and distributions:
- temperature fit on (50,000 x 100) float32 logits by PyTorch LBFGS: (a) as in Guo et al.'s reference code
  (gpleiss/temperature_scaling: T0 = 1.5, lr = 0.01, max_iter = 50), (b) LBFGS with a strong-Wolfe line search run to
  convergence (tolerance_grad 1e-9);
- ECE (15 equal-width bins) on (1,000,000 x 10) float32 probabilities in NumPy, vectorised with bincount.

Run: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python3 calibration_peer.py   (median of 10 runs after 2 warm-ups, in ms)
"""
import statistics
import time

import numpy as np
import torch

torch.set_num_threads(1)
logits = torch.randn(50_000, 100, generator=torch.manual_seed(0)) * 3
labels = torch.multinomial(torch.softmax(logits / 2, 1), 1, generator=torch.manual_seed(1)).squeeze(1)
probabilities = torch.softmax(torch.randn(1_000_000, 10, generator=torch.manual_seed(2)) * 2, 1).numpy()
ece_labels = torch.randint(0, 10, (1_000_000,), generator=torch.manual_seed(3)).numpy()


def lbfgs(reference_code):
    t = torch.full((1,), 1.5 if reference_code else 1.0, requires_grad=True)
    if reference_code:
        opt = torch.optim.LBFGS([t], lr=0.01, max_iter=50)
    else:
        opt = torch.optim.LBFGS([t], lr=1.0, max_iter=100, tolerance_grad=1e-9, tolerance_change=1e-12,
                                line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(logits / t, labels)
        loss.backward()
        return loss

    opt.step(closure)
    return t.item()


def ece(p=probabilities, y=ece_labels, bins=15):
    conf = p.max(axis=1).astype(np.float64)
    correct = (p.argmax(axis=1) == y).astype(np.float64)
    b = np.clip(np.ceil(conf * bins).astype(np.int64) - 1, 0, bins - 1)
    gap = np.bincount(b, weights=conf, minlength=bins) - np.bincount(b, weights=correct, minlength=bins)
    return np.abs(gap).sum() / len(y)


for name, fn in [("TemperatureFit (Guo reference LBFGS)", lambda: lbfgs(True)),
                 ("TemperatureFit (LBFGS strong Wolfe, converged)", lambda: lbfgs(False)),
                 ("Ece (NumPy)", ece)]:
    for _ in range(2):
        value = fn()
    times = []
    for _ in range(10):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    print(f"{name}: median {statistics.median(times):.1f} ms, value {value:.10g} (torch {torch.__version__}, numpy {np.__version__})")
