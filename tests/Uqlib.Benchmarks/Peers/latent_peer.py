"""Peer timing for LatentBenchmarks: the same scores in PyTorch, one thread.

kNN (Sun et al. 2022): 1,000 float32 queries (10,000 with --full) against a 50,000 x 512 normalised bank, k = 50, as matmul + topk over query
chunks of 1,024 rows (float32 sqrt(2 - 2s): Uqlib's distances are exact in float64), and faiss IndexFlatL2 (exact float32
squared distances) where the faiss module is installed (Debian: apt-get install python3-faiss; PyPI is not reachable here).
Mahalanobis (Lee et al. 2018): 10,000 x 512 features, 10 classes, (a) the same whitened expansion as Uqlib in float64 (one
N x F x F matmul), (b) the per-class form (x - mu_c) P (x - mu_c) common in published code, (c) the one-GEMM whitened form
in float32 (the peer of Uqlib's ScoreArithmetic.Float32), (d) relative Mahalanobis (Ren et al. 2021), whitened, float64.

Run: OMP_NUM_THREADS=1 python3 latent_peer.py [repeats] [--only=NAME ...] [--full]   (prints medians in ms and the peak RSS)
"""
import resource
import statistics
import sys
import time

import torch

try:
    import faiss
except ImportError:
    faiss = None

torch.set_num_threads(1)
if faiss is not None:
    faiss.omp_set_num_threads(1)
repeats = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 5
only = [a.split('=', 1)[1] for a in sys.argv if a.startswith('--only=')]  # run only the rows whose name contains one of these
full = "--full" in sys.argv
g = torch.Generator().manual_seed(0)

bank = torch.nn.functional.normalize(torch.randn(50_000, 512, generator=g), dim=1)
queries = torch.randn(10_000 if full else 1_000, 512, generator=g)


def knn(k=50, chunk=1024):
    q = torch.nn.functional.normalize(queries, dim=1)
    out = []
    for start in range(0, q.shape[0], chunk):
        sims = q[start:start + chunk] @ bank.T
        kth = sims.topk(k, dim=1, sorted=False).values.amin(dim=1)
        out.append((2.0 - 2.0 * kth).clamp_min(0.0).sqrt())
    return torch.cat(out)


def knn_faiss(k=50):
    q = torch.nn.functional.normalize(queries, dim=1).numpy()
    distances, _ = index.search(q, k)
    return torch.from_numpy(distances[:, k - 1]).clamp_min(0.0).sqrt()


if faiss is not None:
    index = faiss.IndexFlatL2(512)
    index.add(bank.numpy())

train = torch.randn(10_000, 512, generator=g, dtype=torch.float64)
labels = torch.arange(10_000) % 10
means = torch.stack([train[labels == c].mean(0) for c in range(10)])
centred = train - means[labels]
cov = centred.T @ centred / train.shape[0]
precision = torch.linalg.inv(cov)
whiten_t = torch.linalg.solve_triangular(torch.linalg.cholesky(cov), torch.eye(512, dtype=torch.float64), upper=False).T.contiguous()
w_means = means @ whiten_t
w_norms = (w_means * w_means).sum(1)
test = torch.randn(10_000, 512, generator=g).to(torch.float64)


def mahalanobis_whitened():
    z = test @ whiten_t
    d = (z * z).sum(1, keepdim=True) - 2.0 * z @ w_means.T + w_norms
    return d.clamp_min(0.0).amin(1)


whiten_t32, w_means32, w_norms32 = whiten_t.float(), w_means.float(), w_norms.float()
test32 = test.float()
total_mean = train.mean(0)
total_centred = train - total_mean
total_cov = total_centred.T @ total_centred / train.shape[0]
b_whiten_t = torch.linalg.solve_triangular(torch.linalg.cholesky(total_cov), torch.eye(512, dtype=torch.float64), upper=False).T.contiguous()
b_mean = total_mean @ b_whiten_t


def mahalanobis_float32():
    z = test32 @ whiten_t32
    d = (z * z).sum(1, keepdim=True) - 2.0 * z @ w_means32.T + w_norms32
    return d.clamp_min(0.0).amin(1)


def relative_mahalanobis():
    zb = test @ b_whiten_t - b_mean
    return mahalanobis_whitened() - (zb * zb).sum(1)


def mahalanobis_per_class():
    return torch.stack([((test - m) @ precision * (test - m)).sum(1) for m in means], 1).amin(1)


rows = [("Mahalanobis (whitened)", mahalanobis_whitened), ("Mahalanobis (per class)", mahalanobis_per_class),
        ("Mahalanobis float32 (one GEMM)", mahalanobis_float32), ("Relative Mahalanobis (whitened)", relative_mahalanobis),
        ("kNN k=50 (matmul+topk)", knn)]
if faiss is not None:
    rows.append(("kNN k=50 (faiss IndexFlatL2)", knn_faiss))
else:
    print("faiss is not installed: no IndexFlatL2 row")
for name, fn in rows:
    if only and not any(o in name for o in only):
        continue
    fn()
    times, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    print(f"{name}: median {statistics.median(times):.0f} ms wall, {statistics.median(cpu):.0f} ms CPU over {repeats} "
          f"(torch {torch.__version__}{', faiss ' + faiss.__version__ if faiss is not None else ''})")
print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
