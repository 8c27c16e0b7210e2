"""Peer of ImageLoaderBenchmarks: 64 grayscale 256 x 256 8-bit PNGs (seeded noise) into one (64, 1, 256, 256) float32 tensor.

Pillow decodes, NumPy stacks and scales, torch wraps; one thread. Writes its own files with Pillow
(zlib level 6, as ImageSharp's default), then reports the median of 10 runs.
Run: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 image_loader_peer.py
"""
import os
import statistics
import tempfile
import time

import numpy as np
import torch
from PIL import Image

torch.set_num_threads(1)
rng = np.random.default_rng(0)
folder = tempfile.mkdtemp(prefix="uqlib-image-peer-")
paths = []
for i in range(64):
    path = os.path.join(folder, f"{i:02d}.png")
    Image.fromarray(rng.integers(0, 256, size=(256, 256), dtype=np.uint8), mode="L").save(path, compress_level=6)
    paths.append(path)


def load_batch():
    arrays = [np.asarray(Image.open(p), dtype=np.float32) for p in paths]
    return torch.from_numpy(np.stack(arrays)[:, None] / np.float32(255))


load_batch()
times = []
for _ in range(10):
    start = time.perf_counter()
    load_batch()
    times.append(time.perf_counter() - start)

print(f"Pillow+NumPy LoadBatch median {statistics.median(times) * 1000:.1f} ms (min {min(times) * 1000:.1f} ms)")
for p in paths:
    os.remove(p)
os.rmdir(folder)
