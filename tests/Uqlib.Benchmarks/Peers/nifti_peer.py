"""Peer of VolumeBenchmarks.ReadNiftiGz: nibabel reads a 256 x 256 x 160 int16 .nii.gz into float32.

The values follow VolumeBenchmarks.SyntheticMri's formula; nibabel writes the file (gzip level 1, its default, as Uqlib's
CompressionLevel.Fastest); one thread; median of 10 reads.
Run: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 nifti_peer.py
"""
import os
import statistics
import tempfile
import time

import nibabel as nib
import numpy as np

x = np.arange(256, dtype=np.float64).reshape(256, 1, 1)
y = np.arange(256, dtype=np.float64).reshape(1, 256, 1)
z = np.arange(160, dtype=np.float64).reshape(1, 1, 160)
body = np.sin(x / 20) * np.cos(y / 17) * 300 + 500
texture = np.remainder(x * 31 + y * 17 + z * 7, 61)
data = np.floor(body + texture).astype(np.int16)
folder = tempfile.mkdtemp(prefix="uqlib-nifti-peer-")
path = os.path.join(folder, "mri.nii.gz")
nib.save(nib.Nifti1Image(data, np.eye(4)), path)


def read():
    return nib.load(path).get_fdata(dtype=np.float32)


read()
times = []
for _ in range(10):
    start = time.perf_counter()
    read()
    times.append(time.perf_counter() - start)
print(f"nibabel {nib.__version__} read .nii.gz median {statistics.median(times) * 1000:.1f} ms (min {min(times) * 1000:.1f} ms), "
      f"file {os.path.getsize(path) / 1e6:.1f} MB")
os.remove(path)
os.rmdir(folder)
