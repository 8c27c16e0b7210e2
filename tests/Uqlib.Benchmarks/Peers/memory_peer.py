"""Peer peak memory for the peak-memory rows of StreamingBenchmarks / PeakMemoryRows: the same work in PyTorch, one thread.

Each scenario runs in a fresh Python process and prints its resident high-water mark (ru_maxrss, MiB), as
`dotnet run -c Release --project tests/Uqlib.Benchmarks -- --peak-memory-rows` prints VmHWM for Uqlib.
- idle: nothing but importing torch, the floor under every row.
- knn: 10,000 x 512 float32 queries against a normalised 50,000 x 512 bank, k = 50, matmul + topk over query chunks of
  1,024 rows (as latent_peer.py).
- chunks N: the small CNN of tta_peer.py over 10,000 (1 x 28 x 28) images, N images per forward pass (none: one pass),
  softmax and entropy, under torch.inference_mode().
- roc: scikit-learn 1.2 on 10^7 float64 scores (U(0, 1) + 0.3 for the 20 % failures, as roc_peer.py): roc_auc_score,
  average_precision_score, roc_curve and precision_recall_curve (the work of RocEvaluator.Evaluate, less the risk-coverage
  curve and DeLong's interval).
- roc-metrics: roc_auc_score and average_precision_score alone (the work of RocEvaluator.Metrics).
- loop N: the loop a user writes instead of EstimateAll: N images in lazily made batches of 500 through the same CNN under
  torch.inference_mode(), the probabilities and entropies of each batch kept in lists and concatenated at the end.

Run: OMP_NUM_THREADS=1 /usr/bin/python3 memory_peer.py   (all rows; or one: memory_peer.py loop 100000)
"""
import resource
import subprocess
import sys

import torch
import torch.nn.functional as F
from small_cnn import small_cnn

torch.set_num_threads(1)


def estimate(forward, x):
    p = forward(x).softmax(1)
    return p, -(p * p.clamp_min(1e-45).log()).sum(1)


def knn():
    g = torch.Generator().manual_seed(0)
    bank = F.normalize(torch.randn(50_000, 512, generator=g), dim=1)
    queries = F.normalize(torch.randn(10_000, 512, generator=g), dim=1)
    out = []
    for start in range(0, queries.shape[0], 1024):
        sims = queries[start:start + 1024] @ bank.T
        kth = sims.topk(50, dim=1, sorted=False).values.amin(dim=1)
        out.append((2.0 - 2.0 * kth).clamp_min(0.0).sqrt())
    return torch.cat(out)


def chunks(size):
    forward = small_cnn(0)
    images = torch.rand(10_000, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        if size == "none":
            return estimate(forward, images)
        parts = [estimate(forward, images[i:i + int(size)]) for i in range(0, 10_000, int(size))]
        return torch.cat([p for p, _ in parts]), torch.cat([s for _, s in parts])


def loop(count):
    forward = small_cnn(0)
    probabilities, scores = [], []
    with torch.inference_mode():
        for i in range(int(count) // 500):
            x = torch.rand(500, 1, 28, 28, generator=torch.Generator().manual_seed(i))
            p, s = estimate(forward, x)
            probabilities.append(p)
            scores.append(s)
            del x
        return torch.cat(probabilities), torch.cat(scores)


def roc_cases():
    import numpy as np
    rng = np.random.default_rng(1)
    failures = rng.random(10_000_000) < 0.2
    return rng.random(10_000_000) + 0.3 * failures, failures


def roc():
    from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score, roc_curve
    scores, failures = roc_cases()
    return (roc_auc_score(failures, scores), average_precision_score(failures, scores),
            roc_curve(failures, scores), precision_recall_curve(failures, scores))


def roc_metrics():
    from sklearn.metrics import average_precision_score, roc_auc_score
    scores, failures = roc_cases()
    return roc_auc_score(failures, scores), average_precision_score(failures, scores)


ROWS = [("nothing (the process with torch imported)", ["idle"]),
        ("kNN scores, 10,000 queries x 50,000 x 512, k = 50", ["knn"]),
        ("10,000 images, chunks of 500", ["chunks", "500"]),
        ("10,000 images, one pass", ["chunks", "none"]),
        ("loop over 10^5 images (200 batches of 500)", ["loop", "100000"]),
        ("loop over 10^6 images (2,000 batches of 500)", ["loop", "1000000"]),
        ("scikit-learn AUROC, AP, ROC and PR curves of 10^7 scores", ["roc"]),
        ("scikit-learn AUROC and AP of 10^7 scores", ["roc-metrics"])]

if len(sys.argv) > 1:
    {"idle": lambda: torch.ones(1), "knn": knn, "chunks": chunks, "loop": loop, "roc": roc, "roc-metrics": roc_metrics}[sys.argv[1]](*sys.argv[2:])
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB (torch {torch.__version__})")
else:
    print("| work | peak RSS (MiB) |")
    print("|---|---|")
    for work, arguments in ROWS:
        line = subprocess.run([sys.executable, __file__, *arguments], capture_output=True, text=True, check=True).stdout
        print(f"| {work} | {line.split()[2]} |")
