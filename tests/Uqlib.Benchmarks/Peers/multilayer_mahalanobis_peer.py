"""Peer timing for MultiLayerMahalanobisBenchmarks: the multi-layer Mahalanobis score in PyTorch, one thread, same shapes and seed.

Three layers of 128, 128 and 256 features (512 in all), class means and the shared within-class covariance of 10,000 training
samples of 10 classes per layer; 100,000 x 512 float32 test features. Per layer the one-GEMM form: z = x A^T with A^T the
whitening of the covariance, d = |z|^2 - 2 z (A mu)^T + |A mu|^2, min over classes; combined with equal weights, mean_l d_l / r_l
(Uqlib's default, r_l = the layer's rank). Rows: float64 (as Uqlib's default) and float32 (the usual PyTorch code).

Run: OMP_NUM_THREADS=1 /usr/bin/python3 multilayer_mahalanobis_peer.py [repeats]   (prints medians in ms and the peak RSS)
"""
import resource
import statistics
import sys
import time

import torch

torch.set_num_threads(1)
repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
widths = [128, 128, 256]
g = torch.Generator().manual_seed(0)
train = torch.randn(10_000, 512, generator=g, dtype=torch.float64)
labels = torch.arange(10_000) % 10
test = torch.randn(100_000, 512, generator=g)
fits = []
for layer in train.split(widths, 1):
    means = torch.stack([layer[labels == c].mean(0) for c in range(10)])
    centred = layer - means[labels]
    cov = centred.T @ centred / layer.shape[0]
    whiten_t = torch.linalg.solve_triangular(torch.linalg.cholesky(cov), torch.eye(layer.shape[1], dtype=torch.float64), upper=False).T.contiguous()
    w_means = means @ whiten_t
    fits.append((whiten_t, w_means, (w_means * w_means).sum(1), layer.shape[1]))


def score(dtype):
    total = torch.zeros(test.shape[0], dtype=torch.float64)
    for x, (whiten_t, w_means, w_norms, rank) in zip(test.split(widths, 1), fits):
        z = x.to(dtype) @ whiten_t.to(dtype)
        d = ((z * z).sum(1, keepdim=True) - 2.0 * z @ w_means.to(dtype).T + w_norms.to(dtype)).clamp_min(0.0).amin(1)
        total += d.double() / rank
    return total / len(widths)


for name, dtype in [("Multi-layer Mahalanobis float64 (one GEMM per layer)", torch.float64), ("Multi-layer Mahalanobis float32 (one GEMM per layer)", torch.float32)]:
    score(dtype)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        score(dtype)
        times.append((time.perf_counter() - start) * 1000)
    print(f"{name}: median {statistics.median(times):.1f} ms over {repeats}")
print(f"torch {torch.__version__}; peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
